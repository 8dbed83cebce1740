"""Settings of the ticket channels (GitHub, GitLab, Jira) and their text, without a network."""

from __future__ import annotations

import pytest

from faultbox.alerts.channels import CHANNELS, Notification, secret_keys, validate_config
from faultbox.alerts.channels.jira import description
from faultbox.alerts.channels.ticket_text import cut_markdown, markdown_body, one_line
from tests.fakes.tickets import validate_adf


def test_github_settings() -> None:
    assert validate_config("github", {"repository": "acme/shop"}, {"token": "t"}) == []
    assert (
        validate_config(
            "github",
            {
                "repository": "acme/shop",
                "api_url": "https://ghe.acme.example/api/v3",
                "labels": "a",
            },
            {"token": "t"},
        )
        == []
    )
    assert validate_config("github", {}, {}) == [
        "repository: required (owner/name of the repository)",
        "token: required (token with Issues: write)",
    ]
    assert validate_config("github", {"repository": "shop"}, {"token": "t"}) == [
        "repository: must be owner/name, e.g. acme/shop"
    ]
    assert validate_config("github", {"repository": "a/b", "token": "t"}, {"token": "t"}) == [
        "token: belongs in secrets"
    ]
    assert validate_config(
        "github", {"repository": "a/b", "api_url": "ftp://x"}, {"token": "t"}
    ) == ["api_url: must be an http:// or https:// URL"]
    assert secret_keys("github") == {"token"}


def test_gitlab_settings() -> None:
    assert validate_config("gitlab", {"project": "group/sub/shop"}, {"token": "t"}) == []
    assert validate_config("gitlab", {"project": "42"}, {"token": "t"}) == []
    assert validate_config("gitlab", {"project": "my shop"}, {"token": "t"}) == [
        "project: a numeric id or a path like group/name, without spaces"
    ]
    assert validate_config("gitlab", {"project": "a/b", "labels": 3}, {"token": "t"}) == [
        "labels: a comma-separated text or a list"
    ]
    assert "token: required (access token with the api scope)" in validate_config(
        "gitlab", {"project": "a/b"}, {}
    )


def test_jira_settings() -> None:
    good = {"base_url": "https://acme.atlassian.net", "project_key": "OPS", "email": "a@b.c"}
    assert validate_config("jira", good, {"api_token": "t"}) == []
    assert validate_config("jira", {**good, "issue_type": "Task"}, {"api_token": "t"}) == []
    assert validate_config(
        "jira", {**good, "project_key": "ops-1", "email": "nobody"}, {"api_token": "t"}
    ) == [
        "project_key: capital letters, digits and _, starting with a letter",
        "email: not an email address",
    ]
    problems = validate_config("jira", {}, {})
    assert [p.split(":")[0] for p in problems] == ["base_url", "project_key", "email", "api_token"]
    assert secret_keys("jira") == {"api_token"}


@pytest.mark.parametrize("kind", ["github", "gitlab", "jira"])
def test_missing_secret_or_target_is_permanent_without_a_request(kind: str) -> None:
    n = Notification(kind="trigger", title="t", text="x", dedup_key="k")
    result = CHANNELS[kind].send(n, {}, {})
    assert result.permanent and not result.ok


def test_titles_are_one_line_and_never_empty() -> None:
    assert one_line("a\nb\r\x00c\u2028d", 100) == "a b c d"
    assert one_line(" \n\t", 10) == "Faultbox alert"
    assert one_line("x" * 300, 256) == "x" * 255 + "…"


def test_a_cut_report_closes_its_open_fence() -> None:
    report = "## Frame\n\n````python\n" + "line\n" * 100 + "````\n\nafter"
    cut = cut_markdown(report, 120)
    assert cut.endswith("\n````") and len(cut) <= 120
    body = markdown_body(
        Notification(kind="trigger", title="t", text="x", dedup_key="k", report=report * 50), 2000
    )
    assert len(body) <= 2000 and "cut to fit" in body and body.count("````") % 2 == 0


def test_jira_description_reads_the_reports_markdown() -> None:
    report = (
        "# ERR\\-1: Value\\*Error\n\n- **Project:** shop\\_x\n- **Level:** error\n\n"
        "```\ncode\n```\n\n---\n\nplain **bold** end"
    )
    doc = description(
        Notification(kind="trigger", title="t", text="", dedup_key="k", report=report)
    )
    validate_adf(doc)
    kinds = [b["type"] for b in doc["content"]]
    assert kinds[:4] == ["heading", "bulletList", "codeBlock", "rule"]
    assert doc["content"][0]["content"][0]["text"] == "ERR-1: Value*Error"
    item = doc["content"][1]["content"][0]["content"][0]["content"]
    assert item[0] == {"type": "text", "text": "Project:", "marks": [{"type": "strong"}]}
    assert item[1]["text"] == " shop_x"


def test_mentions_are_quieted_outside_code_only() -> None:
    report = "Seen by @alice and @org/team, mail a@b.example\n\n```python\n@app.route('/')\n```"
    body = markdown_body(
        Notification(kind="trigger", title="t", text="ping @everyone", dedup_key="k",
                     report=report),
        10_000,
    )  # fmt: skip
    assert "@\u200balice" in body and "@\u200borg/team" in body and "@\u200beveryone" in body
    assert "a@b.example" in body  # an address is no mention
    assert "@app.route('/')" in body  # source stays as written

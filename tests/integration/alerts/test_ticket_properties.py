"""Property: whatever the title, text and report (unicode, control characters, Markdown
and markup, huge), each ticket service's fake accepts the ticket and its comments, and
closes it: the limits hold and Jira's ADF stays valid."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.alerts.channels import CHANNELS, Notification
from tests.fakes.services import FakeService, serve
from tests.fakes.tickets import GitHubFake, GitLabFake, JiraFake

Target = tuple[FakeService, dict[str, Any], dict[str, Any]]


@pytest.fixture(scope="module")
def targets() -> Iterator[dict[str, Target]]:
    with (
        serve(FakeService(GitHubFake(token="gh-token"))) as gh,
        serve(FakeService(GitLabFake(token="gl-token"))) as gl,
        serve(FakeService(JiraFake(email="bot@acme.example", token="jira-token"))) as jr,
    ):
        yield {
            "github": (gh, {"repository": "acme/shop", "api_url": gh.url}, {"token": "gh-token"}),
            "gitlab": (gl, {"project": "acme/shop", "base_url": gl.url}, {"token": "gl-token"}),
            "jira": (
                jr,
                {"base_url": jr.url, "project_key": "OPS", "email": "bot@acme.example"},
                {"api_token": "jira-token"},
            ),
        }


hostile = st.text(
    alphabet=st.sampled_from(
        "<>&*_`~#-[]()!@\\\x00\x07\x1b\r\n\t\u2028\u2029\u202e\u200bé😀|\"' abc1."
    ),
    max_size=3000,
)
texts = (
    st.text(max_size=2000) | hostile | st.builds(lambda c, n: c * n, hostile, st.integers(1, 400))
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(title=texts, text=texts, report=texts, culprit=texts)
def test_any_text_makes_a_ticket_every_service_accepts(
    targets: dict[str, Target], title: str, text: str, report: str, culprit: str
) -> None:
    n = Notification(
        kind="trigger",
        title=title,
        text=text,
        dedup_key="faultbox-1-1-x",
        project="shop",
        short_id="ERR-1",
        severity="P2",
        culprit=culprit,
        url="https://faultbox.example/issues/1",
        report=report,
    )
    for name, (_service, config, secrets) in targets.items():
        created = CHANNELS[name].send(n, config, secrets, timeout=5)
        assert created.ok, (name, created.response)
        assert created.reference
        again = CHANNELS[name].send(
            dataclasses.replace(n, reference=created.reference), config, secrets
        )
        assert again.ok, (name, again.response)
        closed = CHANNELS[name].send(
            dataclasses.replace(n, kind="resolve", reference=created.reference),
            config,
            secrets,
        )
        assert closed.ok, (name, closed.response)

"""The signed acknowledge link in each message that people read (email text and
HTML, Slack, Teams) and in the webhook's JSON, only when the page has one; every
payload still passes the services' validation."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from faultbox.alerts.channels import Notification, slack, teams, webhook
from faultbox.alerts.channels import email as email_channel
from tests.fakes.services import validate_slack, validate_teams

ACK = "https://faultbox.example/alerts/ack/v1.7.1800604800." + "A" * 43
ISSUE = "https://faultbox.example/issues/123"
CONFIG = {"host": "127.0.0.1", "from_addr": "alerts@faultbox.local", "to": "oncall@example.com"}


def make(ack_url: str = ACK, kind: str = "trigger") -> Notification:
    return Notification(
        kind=kind,  # type: ignore[arg-type]
        title="ZeroDivisionError: division by zero",
        text="in checkout",
        dedup_key="faultbox-1-2-issue:3",
        severity="P1",
        url=ISSUE,
        ack_url=ack_url,
    )


def _parts(notification: Notification) -> tuple[str, str]:
    msg = email_channel.build_message(notification, CONFIG)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_email_has_the_link_in_text_and_an_acknowledge_link_in_html() -> None:
    text, html = _parts(make())
    assert f"Acknowledge (stops the escalation): {ACK}" in text
    assert f'<a href="{ACK}">Acknowledge</a>' in html


def test_email_without_a_link_says_nothing_of_acknowledging() -> None:
    text, html = _parts(make(ack_url=""))
    assert "Acknowledge" not in text and "Acknowledge" not in html


def test_email_refuses_a_link_that_is_not_http() -> None:
    text, html = _parts(make(ack_url="javascript:alert(1)"))
    assert "javascript" not in text and "javascript" not in html


def test_slack_has_an_acknowledge_button_beside_open_issue() -> None:
    body = slack.payload(make())
    validate_slack(body)
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    assert [(e["text"]["text"], e["url"]) for e in actions["elements"]] == [
        ("Open issue", ISSUE),
        ("Acknowledge", ACK),
    ]


@pytest.mark.parametrize("ack_url", ["", "https://x/" + "a" * 3000, "javascript:alert(1)"])
def test_slack_without_a_usable_link_has_only_open_issue(ack_url: str) -> None:
    body = slack.payload(make(ack_url=ack_url))
    validate_slack(body)
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Open issue"]


def test_teams_has_an_acknowledge_action() -> None:
    body = teams.payload(make())
    validate_teams(body)
    card = body["attachments"][0]["content"]
    assert [(a["title"], a["url"]) for a in card["actions"]] == [
        ("Open issue", ISSUE),
        ("Acknowledge", ACK),
    ]
    validate_teams(teams.payload(make(ack_url="")))
    assert [
        a["title"] for a in teams.payload(make(ack_url=""))["attachments"][0]["content"]["actions"]
    ] == ["Open issue"]


def test_webhook_json_has_ack_url_only_when_set() -> None:
    assert webhook.payload(make(), 1)["ack_url"] == ACK
    assert "ack_url" not in webhook.payload(make(ack_url=""), 1)


def test_acknowledged_messages_carry_no_link() -> None:
    """incidents.acknowledge sends its messages without a link; the channels show none."""
    body = slack.payload(make(ack_url="", kind="acknowledge"))
    assert body["text"].startswith("Acknowledged: ")
    text, _ = _parts(make(ack_url="", kind="acknowledge"))
    assert text.startswith("[acknowledged] ")

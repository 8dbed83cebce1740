"""Property: any notification text reaches every fake service as an accepted request, and
the email through a real SMTP server parses with both parts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.alerts.channels import CHANNELS, DigestItem, Notification
from tests.fakes.services import (
    FakeService,
    opsgenie,
    pagerduty,
    serve,
    slack,
    teams,
    webhook_receiver,
)
from tests.fakes.smtp import Mailbox, smtp_server


@dataclass
class Services:
    http: dict[str, tuple[FakeService, dict[str, str], dict[str, str]]]
    mailbox: Mailbox


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    with (
        serve(FakeService(slack)) as sl,
        serve(FakeService(teams)) as tm,
        serve(FakeService(pagerduty)) as pd,
        serve(FakeService(opsgenie)) as og,
        serve(FakeService(webhook_receiver("k3y"))) as wh,
        smtp_server() as mailbox,
    ):
        yield Services(
            http={
                "slack": (sl, {}, {"webhook_url": f"{sl.url}/services/T/B/X"}),
                "teams": (tm, {}, {"webhook_url": f"{tm.url}/workflow"}),
                "pagerduty": (
                    pd,
                    {"events_url": f"{pd.url}/v2/enqueue"},
                    {"routing_key": "R" * 32},
                ),
                "opsgenie": (og, {"api_url": og.url}, {"api_key": "genie"}),
                "webhook": (wh, {}, {"url": f"{wh.url}/hook", "secret": "k3y"}),
            },
            mailbox=mailbox,
        )


OUR_TAGS = re.compile(r"<(?:!doctype|/?(?:html|body|h2|pre|table|tr|th|td|ul|li|a|p)[ >])")

texts = st.text(max_size=4000) | st.text(
    alphabet=st.sampled_from("<>&*_`~\x00\x07\x1b\r\n\t\u2028\u202eé😀|\"'"), max_size=5000
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    title=texts,
    text=texts,
    dedup=st.text(min_size=1, max_size=200),
    kind=st.sampled_from(["trigger", "acknowledge", "resolve", "test"]),
    items=st.lists(st.text(max_size=200), max_size=25),
)
def test_any_text_is_delivered(
    services: Services, title: str, text: str, dedup: str, kind: str, items: list[str]
) -> None:
    n = Notification(
        kind=kind,  # type: ignore[arg-type]
        title=title,
        text=text,
        dedup_key=dedup,
        project="shop <&>",
        severity="P1",
        level="error",
        culprit=text[:300],
        url="https://faultbox.example/projects/shop/issues/1",
        items=tuple(DigestItem(title=t, url="https://faultbox.example/i") for t in items),
    )
    for name, (service, config, secrets) in services.http.items():
        result = CHANNELS[name].send(n, config, secrets, timeout=5)
        assert result.ok, (name, result)
        assert len(service.requests[-1].body) < 600_000
    before = len(services.mailbox.received)
    config = {
        "host": "127.0.0.1",
        "port": services.mailbox.port,
        "security": "none",
        "from_addr": "alerts@faultbox.local",
        "to": "oncall@example.com",
    }
    assert CHANNELS["email"].send(n, config, {}, timeout=5).ok
    msg = services.mailbox.received[before].message()
    assert len(msg["Subject"]) <= 200
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    # Whatever the text, every "<" in the HTML part opens one of our own tags.
    markup = html.get_content()
    assert markup.count("<") == len(OUR_TAGS.findall(markup))

"""Signed acknowledge links: a token names one incident for seven days, under the
server's secret, and any change to it is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultbox.alerts import ack_links
from faultbox.alerts.ack_links import BadAckLink, ExpiredAckLink

SECRET = "s3cret-key-of-this-server"
T0 = 1_800_000_000.0
DAY = 86400.0


def test_url_carries_a_token_that_verifies_to_the_incident() -> None:
    url = ack_links.url_for("https://faultbox.example/", SECRET, 42, T0)
    prefix = "https://faultbox.example/alerts/ack/"
    assert url.startswith(prefix)
    assert ack_links.verify(SECRET, url.removeprefix(prefix), T0) == 42


def test_valid_for_seven_days_then_expired() -> None:
    token = ack_links.token_for(SECRET, 7, T0)
    assert ack_links.verify(SECRET, token, T0 + 7 * DAY) == 7
    with pytest.raises(ExpiredAckLink, match="expired"):
        ack_links.verify(SECRET, token, T0 + 7 * DAY + 1)


def test_another_servers_secret_is_refused() -> None:
    token = ack_links.token_for("another-secret", 7, T0)
    with pytest.raises(BadAckLink, match="signature") as caught:
        ack_links.verify(SECRET, token, T0)
    assert not isinstance(caught.value, ExpiredAckLink)


def test_an_expired_forgery_is_bad_not_expired() -> None:
    """The signature is checked first: a stranger learns nothing from the expiry."""
    token = ack_links.token_for("another-secret", 7, T0)
    with pytest.raises(BadAckLink) as caught:
        ack_links.verify(SECRET, token, T0 + 30 * DAY)
    assert not isinstance(caught.value, ExpiredAckLink)


def test_the_incident_id_cannot_be_swapped() -> None:
    token = ack_links.token_for(SECRET, 7, T0)
    forged = token.replace("v1.7.", "v1.8.", 1)
    with pytest.raises(BadAckLink, match="signature"):
        ack_links.verify(SECRET, forged, T0)


def test_a_later_expiry_cannot_be_written_in() -> None:
    version, incident, expiry, signature = ack_links.token_for(SECRET, 7, T0).split(".")
    forged = ".".join([version, incident, str(int(expiry) + 30 * 86400), signature])
    with pytest.raises(BadAckLink, match="signature"):
        ack_links.verify(SECRET, forged, T0)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "v1",
        "v1.7.1800604800",
        "v2.7.1800604800." + "A" * 43,
        "v1.0.1800604800." + "A" * 43,  # no incident 0
        "v1.-7.1800604800." + "A" * 43,
        "v1.07.1800604800." + "A" * 43,  # not canonical
        "v1.7.1800604800." + "A" * 44,
        "v1.7.1800604800." + "A" * 42 + "=",
        "v1.7.1800604800." + "A" * 42 + "/",
        "v1.7.1800604800.." + "A" * 43,
        "v1.7.1800604800." + "A" * 43 + "\n",
        "x" * 10_000,
        "v1.99999999999999999999.1.AAAA",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(BadAckLink):
        ack_links.verify(SECRET, token, T0)


def test_ids_out_of_range_are_never_signed() -> None:
    for bad in (0, -1, 2**63):
        with pytest.raises(ValueError):
            ack_links.token_for(SECRET, bad, T0)


@given(
    incident_id=st.integers(min_value=1, max_value=2**63 - 1),
    now=st.floats(min_value=0, max_value=4e9),
    secret=st.text(min_size=1, max_size=64),
)
def test_roundtrip_for_any_incident_time_and_secret(
    incident_id: int, now: float, secret: str
) -> None:
    token = ack_links.token_for(secret, incident_id, now)
    assert len(token) <= ack_links.MAX_TOKEN
    assert ack_links.verify(secret, token, now) == incident_id


@given(
    incident_id=st.integers(min_value=1, max_value=2**63 - 1),
    position=st.integers(min_value=0),
    replacement=st.characters(codec="ascii"),
)
def test_any_single_byte_change_is_refused(
    incident_id: int, position: int, replacement: str
) -> None:
    token = ack_links.token_for(SECRET, incident_id, T0)
    i = position % len(token)
    changed = token[:i] + replacement + token[i + 1 :]
    if changed == token:
        return
    with pytest.raises(BadAckLink):
        ack_links.verify(SECRET, changed, T0)


@given(incident_id=st.integers(min_value=1, max_value=2**63 - 1), cut=st.integers(min_value=1))
def test_any_truncation_or_extension_is_refused(incident_id: int, cut: int) -> None:
    token = ack_links.token_for(SECRET, incident_id, T0)
    with pytest.raises(BadAckLink):
        ack_links.verify(SECRET, token[: len(token) - 1 - cut % len(token)], T0)
    with pytest.raises(BadAckLink):
        ack_links.verify(SECRET, token + "A", T0)

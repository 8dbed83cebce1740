"""Every real envelope in the shared corpus goes through the ingest parsers."""

import os
from pathlib import Path

import pytest

from faultbox.ingest.envelope import parse_envelope
from faultbox.ingest.errors import BadRequest
from faultbox.ingest.limits import decode_body, loads_json

REPO = Path(__file__).resolve().parents[3]
CORPUS = Path(os.environ.get("FAULTBOX_CORPUS", REPO / ".." / "shared" / "corpus" / "samples"))
# The corpus sits beside the checkout (CI clones with shared/ next to it): a missing
# corpus is a broken setup, so it fails rather than skips.
assert CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set FAULTBOX_CORPUS)"

KNOWN_BAD = {"truncated.envelope"}  # declared length runs past EOF
# Item payloads that are not JSON on purpose (attachments) or by accident (cut off).
NOT_JSON = {("envelope-event-attachment.txt", 0)}

ENVELOPES = sorted(CORPUS.glob("**/*.envelope")) + sorted(CORPUS.glob("sentry-java/**/*.txt"))
GOOD = [p for p in ENVELOPES if p.name not in KNOWN_BAD]
BAD = [p for p in ENVELOPES if p.name in KNOWN_BAD]


def _id(path: Path) -> str:
    return str(path.relative_to(CORPUS))


def test_corpus_is_complete() -> None:
    assert len(GOOD) >= 40
    assert len(BAD) == len(KNOWN_BAD)


@pytest.mark.parametrize("path", GOOD, ids=_id)
def test_corpus_envelope_parses(path: Path) -> None:
    envelope = parse_envelope(path.read_bytes())
    event_id = envelope.headers.get("event_id")
    assert event_id is None or (len(event_id) == 32 and event_id == event_id.lower())
    for index, item in enumerate(envelope.items):
        assert item.type == item.headers["type"]
        if "length" in item.headers:
            assert len(item.payload) == item.headers["length"]
        if item.type == "attachment":
            continue
        if (path.name, index) in NOT_JSON:
            with pytest.raises(BadRequest, match="invalid JSON in event"):
                loads_json(item.payload, "event")
        else:
            assert isinstance(loads_json(item.payload, item.type), dict | list)


@pytest.mark.parametrize("path", BAD, ids=_id)
def test_corpus_known_bad_envelope_is_rejected(path: Path) -> None:
    with pytest.raises(BadRequest, match=r"declares length 4096 but only 21 bytes remain"):
        parse_envelope(path.read_bytes())


def test_sentry_java_event_attachment_envelope() -> None:
    path = CORPUS / "sentry-java/sentry/src/test/resources/envelope-event-attachment.txt"
    items = parse_envelope(path.read_bytes()).items
    assert [i.type for i in items] == ["event", "attachment", "attachment"]
    assert items[1].payload == b"some plain text attachment file which include two line breaks"
    assert items[2].payload == b"attachment\nwith\nline breaks\n\n"


def test_two_event_items_are_both_returned() -> None:
    path = CORPUS / "sentry-java/sentry-android-core/src/test/resources/envelopes"
    items = parse_envelope((path / "java-then-native-large.txt").read_bytes()).items
    assert [i.type for i in items] == ["event", "event"]
    assert len(items[0].payload) == 10136


def test_unknown_item_and_header_dsn_fixtures() -> None:
    fixtures = CORPUS / "glitchtip-fork/apps/event_ingest/tests/parity_fixtures"
    unknown = parse_envelope((fixtures / "unknown_item.envelope").read_bytes())
    assert [i.type for i in unknown.items] == ["quantum_report"]
    dsn_only = parse_envelope((fixtures / "header_dsn_only.envelope").read_bytes())
    assert dsn_only.headers["dsn"] == "https://__PUBLIC_KEY__@testserver/__PROJECT_ID__"
    assert parse_envelope((fixtures / "header_only.envelope").read_bytes()).items == ()


@pytest.mark.parametrize(
    "wire",
    sorted(CORPUS.glob("sdk-captured/**/*.envelope.gz"))
    + sorted(CORPUS.glob("sdk-captured/**/*.envelope.br")),
    ids=_id,
)
def test_captured_wire_bodies_decode(wire: Path) -> None:
    encoding = "gzip" if wire.suffix == ".gz" else "br"
    body = decode_body(wire.read_bytes(), encoding, 20 * 1024 * 1024)
    decoded = wire.with_suffix("")
    if decoded.exists():
        assert body == decoded.read_bytes()
    envelope = parse_envelope(body)
    assert envelope.items[0].type == "event"
    assert loads_json(envelope.items[0].payload)["event_id"] == envelope.headers["event_id"]

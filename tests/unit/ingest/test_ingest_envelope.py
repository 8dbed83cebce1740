import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.ingest.envelope import (
    DEFAULT_MAX_ITEM_SIZES,
    MAX_ITEMS,
    EnvelopeItem,
    normalize_event_id,
    parse_envelope,
)
from faultbox.ingest.errors import BadRequest, IngestError, PayloadTooLarge

EVENT_ID = "9c15a1d0f2f04df08a4d35d1cb8e5ec2"


def build_envelope(
    headers: dict[str, Any],
    items: list[tuple[dict[str, Any], bytes, bool]],
    trailing_newline: bool = True,
) -> bytes:
    """Serialize (item headers, payload, with_length) triples the way SDKs do."""
    lines = [json.dumps(headers).encode()]
    for item_headers, payload, with_length in items:
        if with_length:
            item_headers = {**item_headers, "length": len(payload)}
        lines.append(json.dumps(item_headers).encode())
        lines.append(payload)
    return b"\n".join(lines) + (b"\n" if trailing_newline else b"")


def test_minimal_envelope() -> None:
    data = b'{"event_id":"%s"}\n{"type":"event"}\n{"message":"hi"}\n' % EVENT_ID.encode()
    envelope = parse_envelope(data)
    assert envelope.headers == {"event_id": EVENT_ID}
    assert envelope.items == (EnvelopeItem({"type": "event"}, "event", b'{"message":"hi"}'),)


def test_length_counts_bytes_not_characters() -> None:
    payload = '{"m":"日本語 ✓"}'.encode()
    data = b'{}\n{"type":"event","length":%d}\n' % len(payload) + payload + b"\n"
    assert parse_envelope(data).items[0].payload == payload


def test_length_payload_may_contain_newlines_and_crlf() -> None:
    payload = b"line1\nline2\r\nline3\n"
    data = b'{}\n{"type":"attachment","length":%d}\n' % len(payload) + payload
    data += b'\n{"type":"session"}\n{"sid":"x"}'
    envelope = parse_envelope(data)
    assert [i.payload for i in envelope.items] == [payload, b'{"sid":"x"}']


def test_crlf_is_not_a_line_end() -> None:
    envelope = parse_envelope(b'{}\r\n{"type":"event"}\r\n{"a":1}\r\n')
    # Header lines tolerate the \r as JSON whitespace; a payload keeps it.
    assert envelope.headers == {}
    assert envelope.items[0].type == "event"
    assert envelope.items[0].payload == b'{"a":1}\r'


def test_no_trailing_newline_and_blank_trailing_lines() -> None:
    base = b'{}\n{"type":"event"}\n{"a":1}'
    for suffix in (b"", b"\n", b"\n\n\n", b"\n \n"):
        items = parse_envelope(base + suffix).items
        assert [i.payload for i in items] == [b'{"a":1}']


def test_zero_items_and_empty_header() -> None:
    assert parse_envelope(b"{}").items == ()
    assert parse_envelope(b"{}\n").items == ()
    assert parse_envelope(b'{"event_id":"%s"}\n' % EVENT_ID.encode()).items == ()


@pytest.mark.parametrize("data", [b"", b"\n", b"  \n\n"])
def test_empty_envelope_is_400(data: bytes) -> None:
    with pytest.raises(BadRequest, match="^empty envelope$"):
        parse_envelope(data)


def test_empty_payloads() -> None:
    data = b'{}\n{"type":"attachment","length":0}\n\n{"type":"attachment"}\n\n{"type":"x"}'
    assert [i.payload for i in parse_envelope(data).items] == [b"", b"", b""]


def test_declared_length_past_eof() -> None:
    data = b'{}\n{"type":"event","length":500}\n' + b"x" * 120
    with pytest.raises(BadRequest) as info:
        parse_envelope(data)
    assert info.value.detail == "item 0 (event) declares length 500 but only 120 bytes remain"


def test_payload_must_end_at_declared_length() -> None:
    with pytest.raises(BadRequest, match=r"^item 0 \(event\) payload of 3 bytes"):
        parse_envelope(b'{}\n{"type":"event","length":3}\n{"a":1}\n')


@pytest.mark.parametrize(
    ("item_header", "detail"),
    [
        (b'{"length":3}', "item 0 has no type"),
        (b'{"type":null}', "item 0 has no type"),
        (b'{"type":""}', "item 0 type must be a non-empty string"),
        (b'{"type":7}', "item 0 type must be a non-empty string"),
        (b'{"type":"event","length":-1}', "item 0 (event) length must be a non-negative integer"),
        (b'{"type":"event","length":"3"}', "item 0 (event) length must be a non-negative integer"),
        (b'{"type":"event","length":true}', "item 0 (event) length must be a non-negative integer"),
        (b'["event"]', "item 0 header must be a JSON object, got list"),
    ],
)
def test_bad_item_headers(item_header: bytes, detail: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_envelope(b"{}\n" + item_header + b"\nabc\n")
    assert info.value.detail == detail


def test_bad_header_names_the_item_index() -> None:
    data = b'{}\n{"type":"session"}\n{}\n{"type": oops}\nabc\n'
    with pytest.raises(BadRequest, match="^invalid JSON in item 1 header: "):
        parse_envelope(data)


@pytest.mark.parametrize("header", [b"[]", b"not json", b'{"a":'])
def test_bad_envelope_header(header: bytes) -> None:
    with pytest.raises(BadRequest, match="envelope header"):
        parse_envelope(header + b'\n{"type":"event"}\n{}\n')


def test_item_size_limits() -> None:
    payload = b"x" * 2_000_000
    data = b'{}\n{"type":"event","length":2000000}\n' + payload
    with pytest.raises(PayloadTooLarge) as info:
        parse_envelope(data)
    assert info.value.detail == "item 0 (event) is 2000000 bytes, limit 1048576"
    # Without a length header the bound applies as well.
    with pytest.raises(PayloadTooLarge, match=r"^item 1 \(event\) is 2000000 bytes"):
        parse_envelope(b'{}\n{"type":"session"}\n{}\n{"type":"event"}\n' + payload)
    # Attachments have their own, larger bound.
    assert len(parse_envelope(data.replace(b"event", b"attachment")).items[0].payload) == 2_000_000


def test_custom_item_size_limits_and_default_for_others() -> None:
    limits = {"event": 10, "*": 20}
    assert parse_envelope(b'{}\n{"type":"event"}\n' + b"x" * 10, limits).items
    with pytest.raises(PayloadTooLarge, match=r"\(event\) is 11 bytes, limit 10$"):
        parse_envelope(b'{}\n{"type":"event"}\n' + b"x" * 11, limits)
    with pytest.raises(PayloadTooLarge, match=r"\(whatever\) is 21 bytes, limit 20$"):
        parse_envelope(b'{}\n{"type":"whatever"}\n' + b"x" * 21, limits)
    # Without "*" the built-in default bound applies to unlisted types.
    assert parse_envelope(b'{}\n{"type":"whatever"}\n' + b"x" * 21, {"event": 10}).items
    assert DEFAULT_MAX_ITEM_SIZES["event"] == 1024 * 1024


def test_unknown_item_types_are_kept_for_the_caller_to_skip() -> None:
    envelope = parse_envelope(b'{}\n{"type":"quantum_report","x":1}\n{"x": 1}\n')
    assert envelope.items[0].type == "quantum_report"
    assert envelope.items[0].headers == {"type": "quantum_report", "x": 1}


def test_envelope_header_event_id_is_normalized() -> None:
    dashed = "9C15A1D0-F2F0-4DF0-8A4D-35D1CB8E5EC2"
    envelope = parse_envelope(b'{"event_id":"%s","dsn":"x","sdk":{"name":"s"}}' % dashed.encode())
    assert envelope.headers == {"event_id": EVENT_ID, "dsn": "x", "sdk": {"name": "s"}}


@pytest.mark.parametrize("bad", ['"nope"', "123", "null", '"9c15a1d0f2f04df08a4d35d1cb8e5ec"'])
def test_invalid_event_id_header_is_dropped(bad: str) -> None:
    headers = parse_envelope(b'{"event_id":%s,"sent_at":"t"}' % bad.encode()).headers
    assert headers == {"sent_at": "t"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EVENT_ID, EVENT_ID),
        (EVENT_ID.upper(), EVENT_ID),
        ("9c15a1d0-f2f0-4df0-8a4d-35d1cb8e5ec2", EVENT_ID),
        ("9c15a1d0-f2f04df0-8a4d-35d1cb8e5ec2", None),
        ("9c15a1d0f2f04df08a4d35d1cb8e5ec2\n", None),
        ("{9c15a1d0-f2f0-4df0-8a4d-35d1cb8e5ec2}", None),
        ("g" * 32, None),
        ("", None),
        (None, None),
        (12345, None),
        (["x"], None),
    ],
)
def test_normalize_event_id(value: object, expected: str | None) -> None:
    assert normalize_event_id(value) == expected


@given(st.uuids())
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_normalize_event_id_accepts_any_uuid(value: Any) -> None:
    assert normalize_event_id(str(value)) == value.hex
    assert normalize_event_id(value.hex.upper()) == value.hex


_item_types = st.sampled_from(["event", "attachment", "session", "client_report", "x_new"])
# orjson reads integers past 64 bits as floats: no SDK sends such a header value.
_header_values = st.one_of(
    st.text(max_size=10), st.integers(-(2**63), 2**64 - 1), st.booleans(), st.none()
)
_items = st.lists(
    st.tuples(
        st.fixed_dictionaries(
            {"type": _item_types},
            optional={"filename": st.text(max_size=10), "content_type": st.text(max_size=10)},
        ),
        st.one_of(
            st.binary(max_size=60),
            st.lists(st.sampled_from([b"a", b"\n", b"\r\n", b"\r", b"{", b" "]), max_size=12).map(
                b"".join
            ),
        ),
        st.booleans(),
    ),
    max_size=6,
)


@given(
    st.dictionaries(st.sampled_from(["sdk", "sent_at", "dsn", "other"]), _header_values),
    _items,
    st.booleans(),
)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_build_then_parse_round_trip(
    headers: dict[str, Any], items: list[tuple[dict[str, Any], bytes, bool]], trailing: bool
) -> None:
    # Without a length header a payload ends at the first newline, so SDKs must send one.
    items = [(h, p, with_length or b"\n" in p) for h, p, with_length in items]
    envelope = parse_envelope(build_envelope(headers, items, trailing), {"*": 1000})
    assert envelope.headers == headers
    assert [i.payload for i in envelope.items] == [p for _, p, _ in items]
    assert [i.type for i in envelope.items] == [h["type"] for h, _, _ in items]
    for item, (item_headers, payload, with_length) in zip(envelope.items, items, strict=True):
        expected = {**item_headers, "length": len(payload)} if with_length else item_headers
        assert item.headers == expected


@given(st.binary(max_size=400))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_random_bytes_only_raise_ingest_errors(data: bytes) -> None:
    try:
        parse_envelope(data, {"*": 100})
    except IngestError:
        pass


@given(
    st.lists(
        st.sampled_from(
            [
                b"{}",
                b'{"type":"e"}',
                b'{"type":"e","length":2}',
                b"\n",
                b"ab",
                b"\r",
                b"[",
                b'"',
                b"x",
            ]
        ),
        max_size=20,
    )
)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_envelope_shaped_noise_only_raises_ingest_errors(parts: list[bytes]) -> None:
    try:
        envelope = parse_envelope(b"".join(parts))
    except IngestError:
        return
    assert all(isinstance(i.payload, bytes) for i in envelope.items)


def test_item_count_is_bounded() -> None:
    item = b'{"type":"client_report"}\n{}\n'
    assert len(parse_envelope(b"{}\n" + item * MAX_ITEMS).items) == MAX_ITEMS
    with pytest.raises(PayloadTooLarge, match=f"^envelope has more than {MAX_ITEMS} items$"):
        parse_envelope(b"{}\n" + item * (MAX_ITEMS + 1))

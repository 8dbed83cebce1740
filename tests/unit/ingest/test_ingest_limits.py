import base64
import gzip
import json
import tracemalloc
import zlib
from collections.abc import Callable

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.ingest.errors import BadRequest, IngestError, PayloadTooLarge
from faultbox.ingest.limits import (
    MAX_JSON_DEPTH,
    decode_body,
    decode_store_body,
    loads_json,
    loads_json_object,
)

EVENT = json.dumps(
    {"event_id": "9c15a1d0f2f04df08a4d35d1cb8e5ec2", "message": "héllo ✓", "extra": {"n": 1}}
).encode()
LIMIT = 1024 * 1024
BOMB_SIZE = 100 * 1024 * 1024


def _zeros_compressed(compressobj: "zlib._Compress") -> bytes:
    chunk = bytes(1024 * 1024)
    parts = [compressobj.compress(chunk) for _ in range(BOMB_SIZE // len(chunk))]
    parts.append(compressobj.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return _zeros_compressed(zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS))


@pytest.fixture(scope="module")
def deflate_bomb() -> bytes:
    return _zeros_compressed(zlib.compressobj(9))


@pytest.fixture(scope="module")
def brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=1)
    chunk = bytes(1024 * 1024)
    parts = [compressor.process(chunk) for _ in range(BOMB_SIZE // len(chunk))]
    parts.append(compressor.finish())
    return b"".join(parts)


# --- decode_body ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("GZip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, no zlib wrapper
        ("br", brotli.compress),
        ("identity", lambda b: b),
        (None, lambda b: b),
        ("", lambda b: b),
        ("zstd-unknown", lambda b: b),  # unknown encodings pass through like in Relay
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
    ],
)
def test_decode_body_round_trip(encoding: str | None, encode: Callable[[bytes], bytes]) -> None:
    assert decode_body(encode(EVENT), encoding, LIMIT) == EVENT


def test_concatenated_gzip_members_are_one_body() -> None:
    assert decode_body(gzip.compress(b"abc") + gzip.compress(b"def"), "gzip", LIMIT) == b"abcdef"


def test_concatenated_gzip_members_share_the_size_limit() -> None:
    member = gzip.compress(bytes(600))
    with pytest.raises(PayloadTooLarge, match="^decompressed body exceeds 1000 bytes$"):
        decode_body(member + member, "gzip", 1000)


def test_identity_body_over_limit_is_413() -> None:
    with pytest.raises(PayloadTooLarge, match="body exceeds 10 bytes"):
        decode_body(b"x" * 11, None, 10)
    assert decode_body(b"x" * 10, None, 10) == b"x" * 10


def test_decompressed_size_exactly_at_limit_is_accepted() -> None:
    body = b"a" * 5000
    for encoding, encode in (("gzip", gzip.compress), ("br", brotli.compress)):
        assert decode_body(encode(body), encoding, 5000) == body
        with pytest.raises(PayloadTooLarge, match="decompressed body exceeds 4999 bytes"):
            decode_body(encode(body), encoding, 4999)


@pytest.mark.parametrize(
    ("encoding", "body", "reason"),
    [
        ("gzip", gzip.compress(EVENT, mtime=0)[:-12], "truncated gzip body"),
        ("gzip", gzip.compress(EVENT, mtime=0)[:5], "truncated gzip body"),
        ("gzip", b"", "truncated gzip body"),
        ("gzip", b"not gzip at all", "invalid gzip body"),
        ("deflate", zlib.compress(EVENT)[:-6], "truncated deflate body"),
        ("deflate", b"\xff\xfe garbage", "invalid deflate body"),
        ("br", brotli.compress(EVENT)[:-4], "truncated brotli body"),
        ("br", b"", "truncated brotli body"),
        ("br", b"\xff" * 40, "invalid brotli body"),
        ("br", brotli.compress(EVENT) + b"trailing", "invalid brotli body"),
    ],
)
def test_corrupt_bodies_are_400_with_reason(encoding: str, body: bytes, reason: str) -> None:
    with pytest.raises(BadRequest) as info:
        decode_body(body, encoding, LIMIT)
    assert info.value.status == 400
    assert info.value.detail.startswith(reason)


@pytest.mark.parametrize("bomb_name", ["gzip_bomb", "deflate_bomb", "brotli_bomb"])
def test_compression_bombs_are_refused_with_bounded_memory(
    bomb_name: str, request: pytest.FixtureRequest
) -> None:
    bomb: bytes = request.getfixturevalue(bomb_name)
    encoding = {"gzip_bomb": "gzip", "deflate_bomb": "deflate", "brotli_bomb": "br"}[bomb_name]
    assert len(bomb) < 1024 * 1024  # really a bomb: < 1 MB expanding to 100 MB
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge, match=f"decompressed body exceeds {LIMIT} bytes"):
            decode_body(bomb, encoding, LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * LIMIT  # it stops early instead of inflating 100 MB


@given(st.binary(max_size=300), st.sampled_from(["gzip", "deflate", "br", None, "identity"]))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_decode_body_random_bytes_only_raise_ingest_errors(body: bytes, enc: str | None) -> None:
    try:
        out = decode_body(body, enc, 4096)
    except IngestError:
        return
    assert len(out) <= 4096


@given(st.binary(max_size=2000), st.sampled_from(["gzip", "deflate", "br"]))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_decode_body_round_trips_any_bytes(payload: bytes, encoding: str) -> None:
    encode = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding]
    assert decode_body(encode(payload), encoding, 2000) == payload


# --- decode_store_body --------------------------------------------------------------------


def test_store_body_plain_json_passes_through() -> None:
    assert decode_store_body(b"  \n" + EVENT) == b"  \n" + EVENT


def test_store_body_base64_zlib_raven_style() -> None:
    assert decode_store_body(base64.b64encode(zlib.compress(EVENT))) == EVENT
    assert decode_store_body(base64.urlsafe_b64encode(zlib.compress(EVENT))) == EVENT


def test_store_body_base64_plain_json() -> None:
    assert decode_store_body(base64.b64encode(EVENT)) == EVENT


@pytest.mark.parametrize("body", [b"", b"!!!!", base64.b64encode(b"\x00\x01 not zlib")])
def test_store_body_garbage_is_400(body: bytes) -> None:
    with pytest.raises(BadRequest):
        decode_store_body(body)


def test_store_body_zlib_bomb_is_413() -> None:
    body = base64.b64encode(zlib.compress(bytes(2_000_000)))
    with pytest.raises(PayloadTooLarge):
        decode_store_body(body, max_size=100_000)


# --- loads_json -------------------------------------------------------------------------


def test_loads_json_parses() -> None:
    assert loads_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


def test_loads_json_error_names_what_and_position() -> None:
    with pytest.raises(BadRequest) as info:
        loads_json(b'{"a": x}', "event item")
    assert info.value.detail.startswith("invalid JSON in event item: unexpected character")
    assert "line 1 column 7" in info.value.detail


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b'{"a": 1', b'"\xed\xa0\x80"'])
def test_loads_json_rejects_invalid(data: bytes) -> None:
    with pytest.raises(BadRequest, match="^invalid JSON in body: "):
        loads_json(data)


def test_nan_and_infinity_become_null() -> None:
    value = loads_json(b'{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN"}')
    assert value == {"a": None, "b": [None, None], "c": "NaN"}


def test_broken_json_with_nan_still_reports_the_error() -> None:
    with pytest.raises(BadRequest, match="^invalid JSON in event: "):
        loads_json(b'{"a": NaN, ', "event")


def _nested(depth: int, inner: bytes = b"1") -> bytes:
    opens = b"".join(b'{"k":' if i % 3 == 0 else b"[" for i in range(depth))
    closes = b"".join(b"}" if i % 3 == 0 else b"]" for i in reversed(range(depth)))
    return opens + inner + closes


def test_depth_limit_boundary() -> None:
    assert loads_json(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(BadRequest, match="^JSON nested deeper than 128 levels$"):
        loads_json(_nested(MAX_JSON_DEPTH + 1))


@pytest.mark.parametrize("depth", [1000, 1025, 10_000])
def test_very_deep_nesting_gives_the_depth_message(depth: int) -> None:
    with pytest.raises(BadRequest, match="^JSON nested deeper than 128 levels$"):
        loads_json(b"[" * depth + b"]" * depth)
    with pytest.raises(BadRequest, match="^JSON nested deeper than 128 levels$"):
        loads_json(b"[" * depth)  # truncated too: depth wins over "unexpected end"


def test_deep_nesting_on_the_nan_path() -> None:
    for depth in (200, 10_000):
        with pytest.raises(BadRequest, match="^JSON nested deeper than 128 levels$"):
            loads_json(b"[" * depth + b"NaN" + b"]" * depth)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    data = json.dumps({"s": "[" * 5000, "t": "{" * 5000}).encode()
    assert loads_json(data) == {"s": "[" * 5000, "t": "{" * 5000}


def test_many_shallow_containers_are_fine() -> None:
    data = json.dumps({"frames": [{"vars": {"a": [1]}} for _ in range(2000)]}).encode()
    assert len(loads_json(data)["frames"]) == 2000


@given(st.integers(min_value=1, max_value=300), st.text(alphabet='[]{}"\\ab', max_size=20))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_depth_check_matches_real_depth(depth: int, text: str) -> None:
    data = _nested(depth, json.dumps(text).encode())
    if depth > MAX_JSON_DEPTH:
        with pytest.raises(BadRequest, match="nested deeper"):
            loads_json(data)
    else:
        loads_json(data)


def test_loads_json_object_requires_an_object() -> None:
    assert loads_json_object(b'{"a": 1}') == {"a": 1}
    with pytest.raises(BadRequest, match="^event item must be a JSON object, got list$"):
        loads_json_object(b"[1]", "event item")
    with pytest.raises(BadRequest, match="got string$"):
        loads_json_object(b'"x"')
    with pytest.raises(BadRequest, match="got null$"):
        loads_json_object(b"null")


@given(st.binary(max_size=200))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_loads_json_random_bytes_only_raise_bad_request(data: bytes) -> None:
    try:
        loads_json(data)
    except BadRequest:
        pass


@given(st.integers(min_value=1, max_value=300), st.text(alphabet='[]{}"\\ab', max_size=20))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_truncated_deep_input_reports_depth_only_when_too_deep(depth: int, text: str) -> None:
    full = _nested(depth, json.dumps(text).encode())
    truncated = full[: len(full) - depth]  # cut off all closing brackets
    with pytest.raises(BadRequest) as info:
        loads_json(truncated)
    if depth > MAX_JSON_DEPTH:
        assert info.value.detail == "JSON nested deeper than 128 levels"
    else:
        assert info.value.detail.startswith("invalid JSON in body: ")


def test_nan_path_rejects_what_orjson_would_reject_downstream() -> None:
    with pytest.raises(BadRequest, match="^invalid JSON in event: "):
        loads_json(b'{"a": NaN, "b": "\\ud800"}', "event")

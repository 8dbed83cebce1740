import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.ingest.auth import (
    Dsn,
    SentryAuth,
    auth_from_request,
    format_dsn,
    native_key_from_request,
    parse_dsn,
)
from faultbox.ingest.errors import BadRequest, IngestError, Unauthorized

KEY = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
DSN = f"http://{KEY}@127.0.0.1:8000/1"


# --- auth_from_request -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.75.0",
        f"sentry sentry_key={KEY},sentry_version=7,sentry_client=sentry.python/2.75.0",
        f"SENTRY  sentry_key = {KEY} , sentry_version = 7.0, sentry_client=sentry.python/2.75.0",
        f'Sentry sentry_key="{KEY}", sentry_version="7", sentry_client="sentry.python/2.75.0"',
        f"Sentry sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_key={KEY.upper()}",
        f"Sentry sentry_key={KEY}, sentry_secret=s3cr3t, sentry_timestamp=1, sentry_version=7,"
        " sentry_client=sentry.python/2.75.0",
        f"sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.75.0",
    ],
)
def test_x_sentry_auth_variants(header: str) -> None:
    auth = auth_from_request({"x-sentry-auth": header}, {})
    assert auth == SentryAuth(KEY, 7, "sentry.python/2.75.0")


def test_client_with_spaces_survives() -> None:
    header = f"Sentry sentry_key={KEY}, sentry_client=raven-js/3.0 (browser)"
    assert auth_from_request({"x-sentry-auth": header}, {}).client == "raven-js/3.0 (browser)"


def test_authorization_sentry_header() -> None:
    auth = auth_from_request({"authorization": f"Sentry sentry_key={KEY}, sentry_version=7"}, {})
    assert auth == SentryAuth(KEY, 7, None)


def test_authorization_basic() -> None:
    token = base64.b64encode(f"{KEY}:".encode()).decode()
    assert auth_from_request({"authorization": f"Basic {token}"}, {}).public_key == KEY


def test_basic_from_a_proxy_does_not_conflict_with_query_auth() -> None:
    token = base64.b64encode(b"admin:hunter2").decode()
    auth = auth_from_request({"authorization": f"Basic {token}"}, {"sentry_key": KEY})
    assert auth.public_key == KEY


def test_bad_basic_credentials() -> None:
    with pytest.raises(Unauthorized, match="Basic"):
        auth_from_request({"authorization": "Basic !!!notbase64"}, {})


def test_bearer_token_is_not_sentry_auth() -> None:
    with pytest.raises(Unauthorized, match="^missing authentication"):
        auth_from_request({"authorization": "Bearer abc"}, {})


def test_query_string_auth_like_sentry_node() -> None:
    query = {"sentry_key": KEY, "sentry_version": "7", "sentry_client": "sentry.javascript.node/11"}
    assert auth_from_request({}, query) == SentryAuth(KEY, 7, "sentry.javascript.node/11")


def test_envelope_dsn_auth() -> None:
    assert auth_from_request({}, {}, envelope_dsn=DSN) == SentryAuth(KEY, None, None)


def test_invalid_envelope_dsn_is_401() -> None:
    with pytest.raises(Unauthorized, match="envelope header"):
        auth_from_request({}, {}, envelope_dsn="not a dsn")


def test_sources_that_agree_are_accepted() -> None:
    auth = auth_from_request(
        {"x-sentry-auth": f"Sentry sentry_key={KEY}, sentry_version=7"},
        {"sentry_key": KEY.upper(), "sentry_client": "c/1"},
        envelope_dsn=DSN,
    )
    assert auth == SentryAuth(KEY, 7, "c/1")


@pytest.mark.parametrize(
    ("headers", "query", "dsn", "detail"),
    [
        (
            {"x-sentry-auth": f"Sentry sentry_key={KEY}"},
            {"sentry_key": OTHER},
            None,
            "conflicting keys in X-Sentry-Auth and query string",
        ),
        (
            {"x-sentry-auth": f"Sentry sentry_key={KEY}"},
            {},
            f"http://{OTHER}@h/1",
            "conflicting keys in X-Sentry-Auth and envelope DSN",
        ),
        (
            {"authorization": f"Sentry sentry_key={OTHER}"},
            {"sentry_key": KEY},
            None,
            "conflicting keys in Authorization and query string",
        ),
        (
            {"x-sentry-auth": f"Sentry sentry_key={KEY}"},
            {},
            f"http://{KEY[:-1]}0@h/1",
            "conflicting keys in X-Sentry-Auth and envelope DSN",
        ),
    ],
)
def test_conflicting_keys_are_401(
    headers: dict[str, str], query: dict[str, str], dsn: str | None, detail: str
) -> None:
    with pytest.raises(Unauthorized) as info:
        auth_from_request(headers, query, dsn)
    assert info.value.status == 401
    assert info.value.detail == detail


def test_missing_auth_is_401() -> None:
    with pytest.raises(Unauthorized) as info:
        auth_from_request({"user-agent": "x"}, {"sentry_key": ""})
    assert info.value.detail == "missing authentication: send X-Sentry-Auth or ?sentry_key="


@pytest.mark.parametrize(
    "header", ["Bearer abc", "Sentry", "Sentry sentry_version=7", "", "garbage words here"]
)
def test_unparsable_auth_header_is_401(header: str) -> None:
    with pytest.raises(Unauthorized, match="^invalid X-Sentry-Auth header"):
        auth_from_request({"x-sentry-auth": header}, {"sentry_key": KEY})


@pytest.mark.parametrize("version", ["8", "8.0", "12"])
def test_newer_protocol_is_400(version: str) -> None:
    with pytest.raises(BadRequest, match=f"^unsupported protocol version {int(float(version))}$"):
        auth_from_request({}, {"sentry_key": KEY, "sentry_version": version})


@pytest.mark.parametrize(("version", "expected"), [("7", 7), ("7.0", 7), ("5", 5), ("", None)])
def test_versions(version: str, expected: int | None) -> None:
    assert auth_from_request({}, {"sentry_key": KEY, "sentry_version": version}).version == expected


def test_non_numeric_version_is_400() -> None:
    with pytest.raises(BadRequest, match="invalid protocol version 'seven'"):
        auth_from_request({}, {"sentry_key": KEY, "sentry_version": "seven"})


@pytest.mark.parametrize("key", ["abc", KEY + "0", "g" * 32, "__PUBLIC_KEY__", KEY[:-1] + "-"])
def test_malformed_key_is_400(key: str) -> None:
    with pytest.raises(BadRequest, match="^malformed public key$"):
        auth_from_request({}, {"sentry_key": key})


@given(
    st.dictionaries(
        st.sampled_from(["x-sentry-auth", "authorization", "user-agent"]), st.text(max_size=80)
    ),
    st.dictionaries(st.sampled_from(["sentry_key", "sentry_version"]), st.text(max_size=40)),
    st.one_of(st.none(), st.text(max_size=60)),
)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_random_auth_input_only_raises_ingest_errors(
    headers: dict[str, str], query: dict[str, str], dsn: str | None
) -> None:
    try:
        auth = auth_from_request(headers, query, dsn)
    except IngestError:
        return
    assert len(auth.public_key) == 32


# --- DSN ---------------------------------------------------------------------------------


def test_parse_dsn() -> None:
    dsn = parse_dsn(f"https://{KEY}:secret@Sentry.Example.com:9000/sentry/42")
    assert dsn == Dsn("https", KEY, "sentry.example.com", 9000, "/sentry", "42")
    assert dsn.base_url == "https://sentry.example.com:9000/sentry"
    assert dsn.endpoint("envelope") == "https://sentry.example.com:9000/sentry/api/42/envelope/"
    assert str(dsn) == f"https://{KEY}@sentry.example.com:9000/sentry/42"


def test_parse_dsn_doc_example() -> None:
    dsn = parse_dsn(DSN)
    assert dsn.endpoint("envelope") == "http://127.0.0.1:8000/api/1/envelope/"
    assert (dsn.port, dsn.path_prefix, dsn.project_id) == (8000, "", "1")


def test_parse_dsn_ipv6_and_trailing_slash() -> None:
    dsn = parse_dsn(f"http://{KEY}@[::1]:9000/7/")
    assert (dsn.host, dsn.project_id) == ("::1", "7")
    assert dsn.base_url == "http://[::1]:9000"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "scheme must be http or https"),
        (f"ftp://{KEY}@h/1", "scheme must be http or https"),
        ("http://h/1", "missing public key"),
        (f"http://{KEY}@/1", "missing host"),
        (f"http://{KEY}@h", "missing project id"),
        (f"http://{KEY}@h/", "missing project id"),
        (f"http://{KEY}@h:99999/1", "invalid DSN"),
        (f"http://{KEY}@h:abc/1", "invalid DSN"),
    ],
)
def test_parse_dsn_errors(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_dsn(text)


def test_format_dsn_normalizes_prefix() -> None:
    assert format_dsn("https", KEY, "h", None, "3", "sentry/") == f"https://{KEY}@h/sentry/3"
    assert format_dsn("http", KEY, "::1", 80, "3") == f"http://{KEY}@[::1]:80/3"


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=8)


@given(
    st.sampled_from(["http", "https"]),
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    st.lists(_label, min_size=1, max_size=4).map(".".join),
    st.one_of(st.none(), st.integers(min_value=1, max_value=65535)),
    st.lists(_segment, max_size=3).map("/".join),
    _segment.filter(lambda s: s not in (".", "..")),
)
def test_dsn_round_trip(
    scheme: str, key: str, host: str, port: int | None, prefix: str, project_id: str
) -> None:
    text = format_dsn(scheme, key, host, port, project_id, prefix)
    dsn = parse_dsn(text)
    assert dsn == Dsn(scheme, key, host, port, f"/{prefix}" if prefix else "", project_id)
    assert str(dsn) == text
    assert dsn.endpoint("store") == f"{dsn.base_url}/api/{project_id}/store/"


# --- native_key_from_request ------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"x-faultbox-key": KEY},
        {"x-faultbox-key": f" {KEY.upper()} "},
        {"authorization": f"DSN {DSN}"},
        {"authorization": f"dsn {DSN}"},
        {"authorization": f"Sentry sentry_key={KEY}"},
        {"x-sentry-auth": f"Sentry sentry_key={KEY}, sentry_version=7"},
        {"x-faultbox-key": KEY, "authorization": f"DSN {DSN}"},
    ],
)
def test_native_key_sources(headers: dict[str, str]) -> None:
    assert native_key_from_request(headers) == KEY


def test_native_key_missing_is_401() -> None:
    with pytest.raises(Unauthorized, match="^missing authentication: send X-Faultbox-Key"):
        native_key_from_request({"authorization": "Bearer user-token"})


def test_native_key_conflict_is_401() -> None:
    with pytest.raises(Unauthorized, match="^conflicting keys in X-Faultbox-Key and Authorization"):
        native_key_from_request({"x-faultbox-key": KEY, "authorization": f"DSN http://{OTHER}@h/1"})


def test_native_key_bad_dsn_is_401() -> None:
    with pytest.raises(Unauthorized, match="invalid DSN"):
        native_key_from_request({"authorization": "DSN nope"})


def test_native_key_malformed_is_400() -> None:
    with pytest.raises(BadRequest, match="^malformed public key$"):
        native_key_from_request({"x-faultbox-key": "short"})


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({}, {"faultbox_key": KEY}),
        ({}, {"sentry_key": f" {KEY.upper()} "}),
        ({"x-faultbox-key": KEY}, {"faultbox_key": KEY}),
        ({"authorization": f"DSN {DSN}"}, {"sentry_key": KEY, "faultbox_key": KEY}),
    ],
)
def test_native_key_from_query_string(headers: dict[str, str], query: dict[str, str]) -> None:
    # navigator.sendBeacon (the browser script's transport) cannot set headers.
    assert native_key_from_request(headers, query) == KEY


def test_native_key_query_conflicts_are_401() -> None:
    header_and_query = r"^conflicting keys in X-Faultbox-Key and \?faultbox_key="
    with pytest.raises(Unauthorized, match=header_and_query):
        native_key_from_request({"x-faultbox-key": KEY}, {"faultbox_key": OTHER})
    two_queries = r"conflicting keys in \?faultbox_key= and \?sentry_key="
    with pytest.raises(Unauthorized, match=two_queries):
        native_key_from_request({}, {"faultbox_key": KEY, "sentry_key": OTHER})


def test_native_key_query_blank_or_malformed() -> None:
    with pytest.raises(Unauthorized, match="^missing authentication: .*faultbox_key="):
        native_key_from_request({}, {"faultbox_key": "  ", "other": KEY})
    with pytest.raises(BadRequest, match="^malformed public key$"):
        native_key_from_request({}, {"faultbox_key": "short"})

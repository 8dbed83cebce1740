"""Who is sending: DSNs and the public key of a request (docs/sentry-protocol.md §1-2).

Unlike Relay we accept several auth sources at once as long as their keys agree (§14.1):
proxies and SDKs add query auth on top of headers more often than they conflict.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from faultbox.ingest.errors import BadRequest, Unauthorized

PROTOCOL_VERSION = 7

_KEY = re.compile(r"[0-9a-fA-F]{32}")
_VERSION = re.compile(r"(\d+)(?:\.\d*)?")
_MISSING_SENTRY_AUTH = "missing authentication: send X-Sentry-Auth or ?sentry_key="
_MISSING_NATIVE_AUTH = (
    "missing authentication: send X-Faultbox-Key, Authorization: DSN <dsn> or ?faultbox_key="
)


@dataclass(frozen=True, slots=True)
class SentryAuth:
    public_key: str
    version: int | None
    client: str | None


@dataclass(frozen=True, slots=True)
class Dsn:
    scheme: str
    public_key: str
    host: str
    port: int | None
    path_prefix: str
    project_id: str

    @property
    def base_url(self) -> str:
        """Where the server lives: ``https://host:port/prefix`` (no trailing slash)."""
        return f"{self.scheme}://{_netloc(self.host, self.port)}{self.path_prefix}"

    def endpoint(self, name: str) -> str:
        return f"{self.base_url}/api/{self.project_id}/{name}/"

    def __str__(self) -> str:
        return format_dsn(
            self.scheme, self.public_key, self.host, self.port, self.project_id, self.path_prefix
        )


def parse_dsn(dsn: str) -> Dsn:
    """Parse ``{scheme}://{public_key}[:{secret}]@{host}[:{port}]{prefix}/{project_id}``."""
    try:
        parts = urlsplit(dsn.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid DSN: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"invalid DSN: scheme must be http or https, got {parts.scheme!r}")
    if not parts.username:
        raise ValueError("invalid DSN: missing public key before '@'")
    if not parts.hostname:
        raise ValueError("invalid DSN: missing host")
    prefix, _, project_id = parts.path.rstrip("/").rpartition("/")
    if not project_id:
        raise ValueError("invalid DSN: missing project id at the end of the path")
    return Dsn(scheme, parts.username, parts.hostname, port, prefix, project_id)


def format_dsn(
    scheme: str, public_key: str, host: str, port: int | None, project_id: str, prefix: str = ""
) -> str:
    prefix = prefix.strip("/")
    path = f"/{prefix}" if prefix else ""
    return f"{scheme}://{public_key}@{_netloc(host, port)}{path}/{project_id}"


def _netloc(host: str, port: int | None) -> str:
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return host if port is None else f"{host}:{port}"


def auth_from_request(
    headers: Mapping[str, str], query: Mapping[str, str], envelope_dsn: str | None = None
) -> SentryAuth:
    """Public key, protocol version and client of a Sentry request; header keys lowercase."""
    sources: list[tuple[str, str]] = []
    versions: list[str] = []
    clients: list[str] = []

    def add(source: str, params: Mapping[str, str]) -> None:
        _add_key(sources, source, params)
        versions.append(params.get("sentry_version", ""))
        clients.append(params.get("sentry_client", ""))

    header = headers.get("x-sentry-auth")
    if header is not None:
        add("X-Sentry-Auth", _parse_sentry_auth(header, "X-Sentry-Auth"))
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "sentry":
        add("Authorization", _parse_sentry_auth(authorization, "Authorization"))
    add("query string", query)
    if envelope_dsn is not None:
        try:
            sources.append(("envelope DSN", parse_dsn(envelope_dsn).public_key))
        except ValueError as exc:
            raise Unauthorized(f"{exc} (envelope header)") from None
    # Basic is Relay-only and often belongs to a proxy in front of us, so it never overrides
    # or conflicts with a real Sentry credential.
    if not sources and scheme.lower() == "basic":
        sources.append(("Authorization", _basic_user(credentials)))

    key = _agreed_key(sources, _MISSING_SENTRY_AUTH)
    version = _parse_version(next((v for v in versions if v.strip()), None))
    client = next((c.strip() for c in clients if c.strip()), None)
    return SentryAuth(key, version, client)


def native_key_from_request(
    headers: Mapping[str, str], query: Mapping[str, str] | None = None
) -> str:
    """Public key for /api/v1/errors: X-Faultbox-Key, Authorization: DSN, Sentry auth, or
    ``?faultbox_key=`` / ``?sentry_key=`` (``navigator.sendBeacon`` cannot set headers)."""
    sources: list[tuple[str, str]] = []
    native = headers.get("x-faultbox-key", "").strip()
    if native:
        sources.append(("X-Faultbox-Key", native))
    authorization = headers.get("authorization", "").strip()
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "dsn":
        try:
            sources.append(("Authorization", parse_dsn(credentials).public_key))
        except ValueError as exc:
            raise Unauthorized(f"{exc} (Authorization header)") from None
    elif scheme.lower() == "sentry":
        _add_key(sources, "Authorization", _parse_sentry_auth(authorization, "Authorization"))
    header = headers.get("x-sentry-auth")
    if header is not None:
        _add_key(sources, "X-Sentry-Auth", _parse_sentry_auth(header, "X-Sentry-Auth"))
    for name in ("faultbox_key", "sentry_key"):
        if value := (query or {}).get(name, "").strip():
            sources.append((f"?{name}=", value))
    return _agreed_key(sources, _MISSING_NATIVE_AUTH)


def _add_key(sources: list[tuple[str, str]], source: str, params: Mapping[str, str]) -> None:
    key = params.get("sentry_key", "").strip()
    if key:
        sources.append((source, key))


def _parse_sentry_auth(value: str, source: str) -> dict[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "sentry":
        # A bare "sentry_key=..., ..." list is unambiguous, so it is read as if prefixed.
        if "=" not in scheme:
            raise Unauthorized(
                f"invalid {source} header: expected 'Sentry sentry_key=<key>, sentry_version=7'"
            )
        rest = value
    params: dict[str, str] = {}
    # Values may contain spaces (old clients: "raven-js/3.0 (browser)"), so only commas split.
    for pair in rest.split(","):
        name, eq, raw = pair.partition("=")
        if eq:
            params.setdefault(name.strip().lower(), raw.strip().strip('"'))
    if not params.get("sentry_key"):
        raise Unauthorized(f"invalid {source} header: no sentry_key")
    return params


def _basic_user(credentials: str) -> str:
    try:
        decoded = binascii.a2b_base64(credentials.strip(), strict_mode=True).decode()
    except (binascii.Error, ValueError):
        raise Unauthorized("invalid Basic credentials in Authorization header") from None
    user = decoded.partition(":")[0].strip()
    if not user:
        raise Unauthorized("invalid Basic credentials in Authorization header: no user")
    return user


def _agreed_key(sources: list[tuple[str, str]], missing: str) -> str:
    if not sources:
        raise Unauthorized(missing)
    first_source, first_key = sources[0]
    for source, key in sources[1:]:
        if key.lower() != first_key.lower():
            raise Unauthorized(f"conflicting keys in {first_source} and {source}")
    if _KEY.fullmatch(first_key) is None:
        raise BadRequest("malformed public key")
    return first_key.lower()


def _parse_version(raw: str | None) -> int | None:
    if raw is None:
        return None
    match = _VERSION.fullmatch(raw.strip())
    if match is None:
        raise BadRequest(f"invalid protocol version {raw.strip()!r}")
    version = int(match.group(1))
    if version > PROTOCOL_VERSION:
        raise BadRequest(f"unsupported protocol version {version}")
    return version

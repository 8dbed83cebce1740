"""The project's DSN: ``{scheme}://{public_key}@{host}[:{port}]{prefix}/{project_id}``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Dsn:
    scheme: str
    public_key: str
    netloc: str  # host[:port], as written
    path_prefix: str  # "" or "/prefix" (a server behind a path)
    project_id: str
    raw: str

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path_prefix}"

    @property
    def envelope_url(self) -> str:
        return f"{self.base_url}/api/{self.project_id}/envelope/"

    @property
    def native_batch_url(self) -> str:
        return f"{self.base_url}/api/v1/errors/batch"


def parse_dsn(dsn: str) -> Dsn:
    """Raise ValueError naming what is wrong (the one error ``init`` lets through)."""
    try:
        parts = urlsplit(dsn.strip())
        parts.port  # noqa: B018 - validates the port
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
    netloc = parts.netloc.rpartition("@")[2]
    return Dsn(scheme, parts.username, netloc, prefix, project_id, dsn.strip())

"""Settings: each one declared once (name, type, default, env var, help).

Precedence is command-line flag > ``FAULTBOX_*`` environment variable > default.
A wrong value raises :class:`ConfigError` naming the setting, which the CLI prints
as one line instead of a traceback.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Secret:
    """A value that never prints."""

    value: str

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


def _int_range(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"expected an integer, got {raw!r}") from None
        if not lo <= value <= hi:
            raise ConfigError(f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"expected true or false, got {raw!r}")


def _database_url(raw: str) -> str:
    if not raw.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        raise ConfigError(f"expected a sqlite:/// or postgresql:// URL, got {raw!r}")
    if raw.startswith("postgres:"):
        raw = "postgresql:" + raw[len("postgres:") :]
    return raw


def _queue_url(raw: str) -> str:
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"expected empty (embedded) or a redis:// URL, got {raw!r}")
    return raw


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ConfigError(f"must be one of {', '.join(allowed)}, got {raw!r}")
        return raw

    return parse


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str

    @property
    def env(self) -> str:
        return "FAULTBOX_" + self.name.upper()


MiB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "./data", str, "Directory for the SQLite database, queue and secret key."),
    Setting(
        "database_url",
        "",
        _database_url,
        "Database URL; empty means sqlite:///<data_dir>/faultbox.sqlite3.",
    ),
    Setting("secret_key", "", str, "Signing key; generated into <data_dir>/secret_key if empty."),
    Setting("host", "127.0.0.1", str, "Address to listen on."),
    Setting("port", 8000, _int_range(0, 65535), "Port to listen on."),
    Setting("base_url", "", str, "Public URL used in DSNs; empty means http://<host>:<port>."),
    Setting(
        "max_body_size", 20 * MiB, _int_range(1024, 1024 * MiB), "Largest compressed request body."
    ),
    Setting(
        "max_decoded_size",
        50 * MiB,
        _int_range(1024, 1024 * MiB),
        "Largest request body after decompression.",
    ),
    Setting("max_event_size", 1 * MiB, _int_range(1024, 200 * MiB), "Largest single event item."),
    Setting(
        "queue_max_depth",
        200_000,
        _int_range(10, 100_000_000),
        "Queued events above which ingest answers 429.",
    ),
    Setting(
        "queue_sync",
        "normal",
        _choice("normal", "full"),
        "SQLite inbox fsync: 'normal' survives a process crash, 'full' also power loss.",
    ),
    Setting(
        "queue_url",
        "",
        _queue_url,
        "Queue URL: empty means the embedded SQLite inbox; redis://… means Redis Streams.",
    ),
    Setting(
        "queue_name",
        "faultbox",
        str,
        "Key prefix of the Redis streams (installations sharing one Redis need their own).",
    ),
    Setting("queue_shards", 4, _int_range(1, 256), "Redis streams the queue is spread over."),
    Setting(
        "queue_claim_idle_seconds",
        30,
        _int_range(1, 3600),
        "Seconds a Redis entry may stay unacknowledged before another worker claims it.",
    ),
    Setting("digest_batch_size", 500, _int_range(1, 10_000), "Events per digest transaction."),
    Setting("digest_max_attempts", 5, _int_range(1, 100), "Failed digests before a dead letter."),
    Setting(
        "grouping_transition_days",
        90,
        _int_range(0, 3650),
        "Days a project's previous grouping algorithm is still consulted after an upgrade.",
    ),
    Setting(
        "session_days",
        14,
        _int_range(1, 365),
        "Days a dashboard sign-in lasts without use (each visit extends it).",
    ),
    Setting(
        "login_max_failures",
        5,
        _int_range(1, 1000),
        "Failed sign-ins per email (x6 per client address) in 15 minutes before throttling.",
    ),
    Setting(
        "alert_max_attempts",
        8,
        _int_range(1, 50),
        "Tries of an alert delivery (backoff 10 s doubling, at most 15 min) before it fails.",
    ),
    Setting(
        "alert_digest_hour",
        8,
        _int_range(0, 23),
        "Hour of the day (UTC) the daily digest email of P3 alerts is sent.",
    ),
    Setting(
        "rate_limit_per_minute",
        0,
        _int_range(0, 100_000_000),
        "Events per minute a project key may send unless the key sets its own (0: no limit).",
    ),
    Setting(
        "quota_per_day",
        0,
        _int_range(0, 2_000_000_000),
        "Events per UTC day a project key may send unless the key sets its own (0: no limit).",
    ),
    Setting(
        "spike_floor_per_minute",
        1000,
        _int_range(1, 100_000_000),
        "Events per minute a project with spike protection may always send (its cap is the "
        "larger of this and 10x its usual rate).",
    ),
    Setting(
        "retention_info_days",
        90,
        _int_range(1, 36500),
        "Days debug and info events are kept unless the project sets its own.",
    ),
    Setting(
        "retention_error_days",
        365,
        _int_range(1, 36500),
        "Days warning, error and fatal events are kept unless the project sets its own.",
    ),
    Setting("log_format", "text", _choice("text", "json"), "Log lines as text or as JSON."),
    Setting(
        "metrics_token",
        "",
        str,
        "If set, /metrics asks for 'Authorization: Bearer <token>'; empty: open.",
    ),
    Setting(
        "metrics_port",
        0,
        _int_range(0, 65535),
        "Port where the worker process (faultbox worker, serve's child) serves /metrics; 0: none.",
    ),
    Setting("log_level", "info", _choice("debug", "info", "warning", "error"), "Log level."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: Secret
    host: str
    port: int
    base_url: str
    max_body_size: int
    max_decoded_size: int
    max_event_size: int
    queue_max_depth: int
    queue_sync: str
    queue_url: str
    queue_name: str
    queue_shards: int
    queue_claim_idle_seconds: int
    digest_batch_size: int
    digest_max_attempts: int
    grouping_transition_days: int
    session_days: int
    login_max_failures: int
    alert_max_attempts: int
    alert_digest_hour: int
    rate_limit_per_minute: int
    quota_per_day: int
    spike_floor_per_minute: int
    retention_info_days: int
    retention_error_days: int
    log_format: str
    metrics_token: str
    metrics_port: int
    log_level: str

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite3"

    @property
    def public_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    create_data_dir: bool = True,
) -> Settings:
    """Resolve every setting; overrides (CLI flags) win over the environment."""
    env = os.environ if environ is None else environ
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(overrides) - set(_BY_NAME)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            raw, source = str(overrides[setting.name]), f"--{setting.name.replace('_', '-')}"
        elif setting.env in env:
            raw, source = env[setting.env], setting.env
        else:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    data_dir = Path(values["data_dir"]).expanduser().resolve()
    if create_data_dir:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"FAULTBOX_DATA_DIR: cannot create {data_dir}: {exc.strerror}"
            ) from None
    values["data_dir"] = data_dir
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{data_dir / 'faultbox.sqlite3'}"
    values["secret_key"] = Secret(values["secret_key"] or _stored_secret(data_dir, create_data_dir))
    if values["max_decoded_size"] < values["max_event_size"]:
        raise ConfigError("FAULTBOX_MAX_DECODED_SIZE must be at least FAULTBOX_MAX_EVENT_SIZE")
    names = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in names})


def _stored_secret(data_dir: Path, create: bool) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    if not create:
        return ""
    key = secrets.token_urlsafe(48)
    # Written with 0600 so other local users cannot forge sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key

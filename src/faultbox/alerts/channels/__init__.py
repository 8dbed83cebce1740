"""Notification channels: email, Slack, Teams, PagerDuty, Opsgenie and a signed webhook.

Each channel turns a :class:`Notification` into one request and classifies the answer
as a :class:`DeliveryResult` (ok, transient, or permanent with the service's excerpt and
Retry-After); the outbox decides about retries. Why short hand-written clients and not
``apprise``: apprise 2.2.0 (read from its wheel) returns only a bool from ``notify()``,
so the status code, the response body and ``Retry-After`` are lost and a 400 (permanent)
cannot be told from a 503 (retry); its PagerDuty plugin triggers and resolves with a dedup
key but cannot acknowledge; its Opsgenie plugin closes and acknowledges by the request ids
it keeps in its own local store (``identifierType=id``), not by our alias, so a close from
another worker or after a restart finds nothing; its JSON webhook has neither an HMAC
signature nor an ``Idempotency-Key``; and it brings ``requests`` beside our ``httpx``.
It does none of these channels fully, so each is ~100 lines over ``httpx``/``smtplib``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from faultbox.alerts.channels.base import (
    KINDS,
    Channel,
    ConfigKey,
    DeliveryResult,
    DigestItem,
    Kind,
    Notification,
)
from faultbox.alerts.channels.email import EmailChannel
from faultbox.alerts.channels.opsgenie import OpsgenieChannel
from faultbox.alerts.channels.pagerduty import PagerDutyChannel
from faultbox.alerts.channels.slack import SlackChannel
from faultbox.alerts.channels.teams import TeamsChannel
from faultbox.alerts.channels.webhook import WebhookChannel, verify_signature

CHANNELS: dict[str, Channel] = {
    "email": EmailChannel(),
    "slack": SlackChannel(),
    "teams": TeamsChannel(),
    "pagerduty": PagerDutyChannel(),
    "opsgenie": OpsgenieChannel(),
    "webhook": WebhookChannel(),
}


def secret_keys(kind: str) -> frozenset[str]:
    """The config keys of a channel kind that are stored encrypted and never shown."""
    return frozenset(k.name for k in CHANNELS[kind].keys if k.secret)


def _url_error(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "has no host"
    if any(c.isspace() for c in value):
        return "contains whitespace"
    return None


def validate_config(kind: str, config: Mapping[str, Any], secrets: Mapping[str, Any]) -> list[str]:
    """Problems with a channel's settings, one readable sentence each; [] when fine."""
    channel = CHANNELS.get(kind)
    if channel is None:
        return [f"unknown channel kind {kind!r}; one of: {', '.join(CHANNELS)}"]
    errors: list[str] = []
    known = {k.name for k in channel.keys}
    for name in sorted(set(config) | set(secrets)):
        if name not in known:
            errors.append(f"{name}: not a setting of {kind} channels")
    for key in channel.keys:
        home, other = (secrets, config) if key.secret else (config, secrets)
        if key.name in other:
            where = "secrets" if key.secret else "config"
            errors.append(f"{key.name}: belongs in {where}")
        value = home.get(key.name)
        if value is None or value == "" or value == []:
            if key.required:
                errors.append(
                    f"{key.name}: required ({key.help})" if key.help else f"{key.name}: required"
                )
            continue
        if key.url:
            problem = _url_error(str(value))
            if problem:
                errors.append(f"{key.name}: {problem}")
        if key.choices and value not in key.choices:
            errors.append(f"{key.name}: must be one of {', '.join(key.choices)}")
    if kind == "email":
        port = str(config.get("port") or "")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            errors.append("port: must be a number from 1 to 65535")
        if config.get("username") and not secrets.get("password"):
            errors.append("password: required when username is set")
        to = config.get("to")
        addresses = to.split(",") if isinstance(to, str) else list(to or [])
        for address in addresses:
            if "@" not in str(address):
                errors.append(f"to: {str(address).strip()!r} is not an email address")
        if config.get("from_addr") and "@" not in str(config["from_addr"]):
            errors.append("from_addr: not an email address")
    return errors


__all__ = [
    "CHANNELS",
    "KINDS",
    "Channel",
    "ConfigKey",
    "DeliveryResult",
    "DigestItem",
    "Kind",
    "Notification",
    "secret_keys",
    "validate_config",
    "verify_signature",
]

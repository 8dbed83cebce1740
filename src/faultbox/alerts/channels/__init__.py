"""Notification channels: email, Slack, Teams, PagerDuty, Opsgenie, a signed webhook, and
tickets in GitHub Issues, GitLab and Jira.

Each channel turns a :class:`Notification` into one request (a ticket: up to three) and
classifies the answer as a :class:`DeliveryResult` (ok, transient, or permanent with the
service's excerpt and Retry-After); the outbox decides about retries. Why short
hand-written clients and not ``apprise``: apprise 2.2.0 (read from its wheel) returns
only a bool from ``notify()``, so the status code, the response body and ``Retry-After``
are lost and a 400 (permanent) cannot be told from a 503 (retry); its PagerDuty plugin
triggers and resolves with a dedup key but cannot acknowledge; its Opsgenie plugin
closes and acknowledges by the request ids it keeps in its own local store
(``identifierType=id``), not by our alias, so a close from another worker or after a
restart finds nothing; its JSON webhook has neither an HMAC signature nor an
``Idempotency-Key``; and it brings ``requests`` beside our ``httpx``. It does none of
these channels fully, so each is ~100 lines over ``httpx``/``smtplib``.

Tickets likewise: PyGithub, python-gitlab and the ``jira`` package each bring
``requests`` (PyGithub also PyJWT and PyNaCl) for three calls per service (create,
comment, close; Jira's close lists the transitions first). Each raises its own
exception classes, so telling a retryable failure from a permanent one would be written
anyway, three times; and they wait inside the call: PyGithub 2 sleeps between requests
(its default throttling) and retries rate limits and 5xx itself (``GithubRetry``),
python-gitlab sleeps on a 429 (``obey_rate_limit``). Waiting and retrying are the
outbox's job, with the service's ``Retry-After`` recorded; a sender asleep in a call
holds its lease and the deliveries behind it. So GitHub, GitLab and Jira are short
clients over the same ``request_json`` as the others, with the ticket text shared
(``ticket_text``, ``jira_adf``).
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
from faultbox.alerts.channels.github import REPOSITORY, GitHubChannel
from faultbox.alerts.channels.gitlab import GitLabChannel
from faultbox.alerts.channels.jira import PROJECT_KEY, JiraChannel
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
    "github": GitHubChannel(),
    "gitlab": GitLabChannel(),
    "jira": JiraChannel(),
}
TICKET_KINDS = frozenset({"github", "gitlab", "jira"})  # channels that open tickets


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
    errors.extend(_ticket_errors(kind, config))
    return errors


def _ticket_errors(kind: str, config: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    repository = config.get("repository")
    if kind == "github" and repository and not REPOSITORY.match(str(repository)):
        errors.append("repository: must be owner/name, e.g. acme/shop")
    project = config.get("project")
    if (
        kind == "gitlab"
        and project
        and (any(c.isspace() for c in str(project)) or not str(project).strip("/"))
    ):
        errors.append("project: a numeric id or a path like group/name, without spaces")
    if kind == "jira":
        key = config.get("project_key")
        if key and not PROJECT_KEY.match(str(key)):
            errors.append("project_key: capital letters, digits and _, starting with a letter")
        email = config.get("email")
        if email and "@" not in str(email):
            errors.append("email: not an email address")
    labels = config.get("labels")
    if kind in TICKET_KINDS and labels is not None and not isinstance(labels, (str, list)):
        errors.append("labels: a comma-separated text or a list")
    return errors


__all__ = [
    "CHANNELS",
    "TICKET_KINDS",
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

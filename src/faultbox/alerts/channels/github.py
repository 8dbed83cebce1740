"""GitHub Issues (REST API 2022-11-28, github.com or GitHub Enterprise Server): open an
issue for the alert, comment on it when it fires again or is acknowledged, close it
(``state_reason=completed``) when the issue is resolved; a test reads the repository.

Rate limits: 403 or 429 with ``x-ratelimit-remaining: 0`` waits until
``x-ratelimit-reset``; a secondary limit's ``retry-after`` (or, without one, a minute,
as GitHub's guide says) — both retried, never permanent."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

from faultbox import clock
from faultbox.alerts.channels.base import (
    DEFAULT_TIMEOUT,
    ConfigKey,
    DeliveryResult,
    Notification,
    misconfigured,
    parse_retry_after,
    request_json,
)
from faultbox.alerts.channels.ticket_text import comment_markdown, markdown_body, one_line

Call = Callable[[str, str, dict[str, Any] | None, tuple[int, ...]], tuple[DeliveryResult, Any]]
API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TITLE_LIMIT = 256
BODY_LIMIT = 65536  # characters of an issue body or a comment
GONE = (404, 410)  # the ticket was deleted (GitHub answers 410 for a deleted issue)
SECONDARY_WAIT = 60.0  # seconds, when a secondary rate limit names no Retry-After
REPOSITORY = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")


def labels(config: Mapping[str, Any]) -> list[str]:
    value = config.get("labels") or []
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [item.strip()[:50] for item in items if item.strip()]


def rate_limited(response: httpx.Response, result: DeliveryResult) -> DeliveryResult:
    """GitHub's rate limits answer 403 (or 429): a wait, not a refusal."""
    if result.ok or response.status_code not in (403, 429):
        return result
    headers = response.headers
    retry_after = parse_retry_after(headers.get("retry-after"))
    if headers.get("x-ratelimit-remaining") == "0":
        reset = parse_retry_after(headers.get("x-ratelimit-reset"))
        if retry_after is None and reset is not None:
            retry_after = max(reset - clock.now(), 1.0)
        return dataclasses.replace(result, permanent=False, retry_after=retry_after)
    secondary = b"secondary rate limit" in response.content.lower()
    if retry_after is not None or secondary:
        wait = retry_after if retry_after is not None else SECONDARY_WAIT
        return dataclasses.replace(result, permanent=False, retry_after=wait)
    return result


class GitHubChannel:
    name = "github"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("repository", required=True, help="owner/name of the repository"),
        ConfigKey("token", required=True, secret=True, help="token with Issues: write"),
        ConfigKey("api_url", url=True, help=f"default {API_URL} (GitHub Enterprise: …/api/v3)"),
        ConfigKey("labels", help="labels for new issues, comma-separated"),
    )

    def send(
        self,
        notification: Notification,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeliveryResult:
        token = secrets.get("token")
        repository = str(config.get("repository") or "")
        if not token:
            return misconfigured("github: token is missing")
        if not REPOSITORY.match(repository):
            return misconfigured("github: repository must be owner/name")
        base = f"{str(config.get('api_url') or API_URL).rstrip('/')}/repos/{repository}"
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {token}",
        }

        def call(
            method: str, path: str, body: dict[str, Any] | None, ok: tuple[int, ...]
        ) -> tuple[DeliveryResult, Any]:
            return request_json(
                method,
                base + path,
                orjson.dumps(body) if body is not None else None,
                headers=headers,
                ok_statuses=ok,
                timeout=timeout,
                secrets=secrets.values(),
                classify=rate_limited,
            )

        n = notification
        if n.kind == "test":
            return call("GET", "", None, (200,))[0]
        if n.reference:
            updated = self._update(n, call)
            if not (n.kind == "trigger" and updated.status_code in GONE):
                return updated
            # Deleted since (404/410): the alert firing again opens a new ticket.
        elif n.kind != "trigger":
            return DeliveryResult(ok=True, response="no ticket to update")
        payload: dict[str, Any] = {
            "title": one_line(n.title, TITLE_LIMIT),
            "body": markdown_body(n, BODY_LIMIT),
        }
        if labels(config):
            payload["labels"] = labels(config)
        result, answer = call("POST", "/issues", payload, (201,))
        return _with_issue(result, answer)

    @staticmethod
    def _update(n: Notification, call: Call) -> DeliveryResult:
        """Comment on the ticket (reopening it first when it was closed), or close it."""
        number = n.reference
        if not number.isdigit():
            return misconfigured(f"github: {number!r} is not an issue number")
        if n.kind == "resolve":
            close = {"state": "closed", "state_reason": "completed"}
            result, answer = call("PATCH", f"/issues/{number}", close, (200,))
            return _with_issue(result, answer)
        if n.kind == "trigger" and n.reopen:
            reopen = {"state": "open", "state_reason": "reopened"}
            reopened, _issue = call("PATCH", f"/issues/{number}", reopen, (200,))
            if not reopened.ok:
                return reopened
        comment = {"body": comment_markdown(n, BODY_LIMIT)}
        result, answer = call("POST", f"/issues/{number}/comments", comment, (201,))
        link = str((answer or {}).get("html_url") or "").split("#")[0]
        return dataclasses.replace(result, reference=number, link=link) if result.ok else result


def _with_issue(result: DeliveryResult, answer: Any) -> DeliveryResult:
    if not result.ok or not isinstance(answer, dict):
        return result
    return dataclasses.replace(
        result, reference=str(answer.get("number", "")), link=str(answer.get("html_url", ""))
    )

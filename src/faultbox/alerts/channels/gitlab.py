"""GitLab Issues (REST API v4, gitlab.com or self-managed): open an issue, add a note
when the alert fires again or is acknowledged, close it (``state_event=close``) when
the issue is resolved; a test reads the project. Rate limits answer 429 with
``Retry-After`` (retried); 401/403/404/422 are permanent."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson

from faultbox.alerts.channels.base import (
    DEFAULT_TIMEOUT,
    ConfigKey,
    DeliveryResult,
    Notification,
    misconfigured,
    request_json,
)
from faultbox.alerts.channels.github import GONE, Call, labels
from faultbox.alerts.channels.ticket_text import comment_markdown, markdown_body, one_line

BASE_URL = "https://gitlab.com"
TITLE_LIMIT = 255
DESCRIPTION_LIMIT = 1_048_576
NOTE_LIMIT = 1_000_000


class GitLabChannel:
    name = "gitlab"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("project", required=True, help="project id or path (group/name)"),
        ConfigKey("token", required=True, secret=True, help="access token with the api scope"),
        ConfigKey("base_url", url=True, help=f"default {BASE_URL}"),
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
        project = str(config.get("project") or "").strip("/")
        if not token:
            return misconfigured("gitlab: token is missing")
        if not project:
            return misconfigured("gitlab: project is missing")
        root = str(config.get("base_url") or BASE_URL).rstrip("/")
        base = f"{root}/api/v4/projects/{quote(project, safe='')}"

        def call(
            method: str, path: str, body: dict[str, Any] | None, ok: tuple[int, ...]
        ) -> tuple[DeliveryResult, Any]:
            return request_json(
                method,
                base + path,
                orjson.dumps(body) if body is not None else None,
                headers={"PRIVATE-TOKEN": str(token)},
                ok_statuses=ok,
                timeout=timeout,
                secrets=secrets.values(),
            )

        n = notification
        if n.kind == "test":
            return call("GET", "", None, (200,))[0]
        if n.reference:
            updated = self._update(n, call)
            if not (n.kind == "trigger" and updated.status_code in GONE):
                return updated
            # Deleted since: the alert firing again opens a new ticket.
        elif n.kind != "trigger":
            return DeliveryResult(ok=True, response="no ticket to update")
        payload: dict[str, Any] = {
            "title": one_line(n.title, TITLE_LIMIT),
            "description": markdown_body(n, DESCRIPTION_LIMIT),
        }
        if labels(config):
            payload["labels"] = ",".join(labels(config))
        result, answer = call("POST", "/issues", payload, (201,))
        return _with_issue(result, answer)

    @staticmethod
    def _update(n: Notification, call: Call) -> DeliveryResult:
        """A note on the ticket (reopening it first when it was closed), or close it."""
        iid = n.reference
        if not iid.isdigit():
            return misconfigured(f"gitlab: {iid!r} is not an issue iid")
        if n.kind == "resolve":
            result, answer = call("PUT", f"/issues/{iid}", {"state_event": "close"}, (200,))
            return _with_issue(result, answer)
        if n.kind == "trigger" and n.reopen:
            reopened, _issue = call("PUT", f"/issues/{iid}", {"state_event": "reopen"}, (200,))
            if not reopened.ok:
                return reopened
        note = {"body": comment_markdown(n, NOTE_LIMIT)}
        result, _answer = call("POST", f"/issues/{iid}/notes", note, (201,))
        # A note's answer has no web URL; "" keeps the ticket's recorded link.
        return dataclasses.replace(result, reference=iid) if result.ok else result


def _with_issue(result: DeliveryResult, answer: Any) -> DeliveryResult:
    if not result.ok or not isinstance(answer, dict):
        return result
    return dataclasses.replace(
        result, reference=str(answer.get("iid", "")), link=str(answer.get("web_url", ""))
    )

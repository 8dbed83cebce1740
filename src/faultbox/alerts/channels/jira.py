"""Jira Cloud (REST API v3, basic auth with an account's email and API token): create an
issue in the project, comment when the alert fires again or is acknowledged, and on
resolution move it through the transition that leads to a status of the "done"
category (workflows name their statuses freely; the category is fixed), then comment.
A test reads the project. Descriptions and comments are ADF documents (jira_adf)."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson

from faultbox.alerts.channels import jira_adf as adf
from faultbox.alerts.channels.base import (
    DEFAULT_TIMEOUT,
    ConfigKey,
    DeliveryResult,
    DigestItem,
    Notification,
    misconfigured,
    request_json,
)
from faultbox.alerts.channels.github import GONE, Call, labels
from faultbox.alerts.channels.ticket_text import (
    FOOTER,
    ITEM_LIMIT,
    TEXT_LIMIT,
    comment_lead,
    one_line,
    parts,
    plain_lines,
)

SUMMARY_LIMIT = 255
LABEL_LIMIT = 255
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")
ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9]+$")
DONE = "done"  # the status category of finished work, whatever the status is called


def _explanation(n: Notification) -> list[adf.Node]:
    lines = [adf.text(line) for line in plain_lines(n.text, TEXT_LIMIT) if line.strip()]
    return [adf.lines_paragraph(lines)] if lines else []


def _link(n: Notification) -> list[adf.Node]:
    if not n.url:
        return []
    label = f"Open {n.short_id or 'the issue'} in Faultbox"
    return [adf.paragraph(adf.text(label, adf.link(n.url)))]


def _facts(pairs: list[tuple[str, str]]) -> adf.Node:
    return adf.bullet_list([adf.text(f"{k}: ", adf.strong()) + adf.text(v) for k, v in pairs])


def _item(item: DigestItem) -> list[adf.Node]:
    title = f"{item.short_id} {item.title}".strip() or "issue"
    events = f" ({item.event_count} events)" if item.event_count else ""
    return adf.text(title, *([adf.link(item.url)] if item.url else [])) + adf.text(events)


def description(n: Notification) -> adf.Node:
    p = parts(n)
    head = _explanation(n)
    if p.summary:
        head.append(_facts(p.summary))
    if n.items:  # a storm grouped into one message: one line per issue
        head.append(adf.bullet_list([_item(item) for item in n.items[:ITEM_LIMIT]]))
    head += _link(n)
    tail = [*adf.markdown_blocks(p.report), {"type": "rule"}] if p.report.strip() else []
    tail.append(adf.paragraph(adf.text(FOOTER.strip("*"), adf.em())))
    return adf.document(head, tail)


def comment(n: Notification) -> adf.Node:
    head = [adf.paragraph(adf.text(comment_lead(n), adf.strong())), *_explanation(n)]
    facts = [(k, v) for k, v in n.fields() if k in ("Events", "Last seen", "Release")]
    if facts:
        head.append(_facts(facts))
    return adf.document(head + _link(n))


def jira_labels(config: Mapping[str, Any]) -> list[str]:
    """Jira labels cannot contain spaces."""
    return ["-".join(label.split())[:LABEL_LIMIT] for label in labels(config)]


class JiraChannel:
    name = "jira"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("base_url", required=True, url=True, help="https://<site>.atlassian.net"),
        ConfigKey("project_key", required=True, help="the project's key, e.g. OPS"),
        ConfigKey("email", required=True, help="the Atlassian account the token belongs to"),
        ConfigKey("api_token", required=True, secret=True, help="the account's API token"),
        ConfigKey("issue_type", help="default Bug"),
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
        token = secrets.get("api_token")
        email = str(config.get("email") or "")
        project_key = str(config.get("project_key") or "")
        root = str(config.get("base_url") or "").rstrip("/")
        if not token or not email:
            return misconfigured("jira: email and api_token are needed")
        if not root or not PROJECT_KEY.match(project_key):
            return misconfigured("jira: base_url and project_key (e.g. OPS) are needed")
        basic = base64.b64encode(f"{email}:{token}".encode()).decode()
        hidden = [*secrets.values(), basic]

        def call(
            method: str, path: str, body: dict[str, Any] | None, ok: tuple[int, ...]
        ) -> tuple[DeliveryResult, Any]:
            return request_json(
                method,
                f"{root}/rest/api/3{path}",
                orjson.dumps(body) if body is not None else None,
                headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
                ok_statuses=ok,
                timeout=timeout,
                secrets=hidden,
            )

        n = notification
        if n.kind == "test":
            return call("GET", f"/project/{quote(project_key)}", None, (200,))[0]
        if n.reference:
            updated = self._update(n, call, f"{root}/browse/{n.reference}")
            if not (n.kind == "trigger" and updated.status_code in GONE):
                return updated
            # Deleted since: the alert firing again opens a new ticket.
        elif n.kind != "trigger":
            return DeliveryResult(ok=True, response="no ticket to update")
        fields: dict[str, Any] = {
            "project": {"key": project_key},
            "issuetype": {"name": str(config.get("issue_type") or "Bug")},
            "summary": one_line(n.title, SUMMARY_LIMIT),
            "description": description(n),
        }
        if jira_labels(config):
            fields["labels"] = jira_labels(config)
        result, answer = call("POST", "/issue", {"fields": fields}, (201,))
        if not result.ok or not isinstance(answer, dict) or not answer.get("key"):
            return result
        key = str(answer["key"])
        return dataclasses.replace(result, reference=key, link=f"{root}/browse/{key}")

    def _update(self, n: Notification, call: Call, link: str) -> DeliveryResult:
        """A comment on the ticket; on resolve, close it first; on a trigger for a
        closed ticket, reopen it first."""
        key = n.reference
        if not ISSUE_KEY.match(key):
            return misconfigured(f"jira: {key!r} is not an issue key")
        if n.kind == "resolve":
            result = self._close(call, key)
            if not result.ok:
                return result
        elif n.kind == "trigger" and n.reopen:
            result = self._reopen(call, key)
            if not result.ok:
                return result
        else:
            result = DeliveryResult(ok=True)
        noted, _answer = call("POST", f"/issue/{key}/comment", {"body": comment(n)}, (201,))
        if n.kind == "resolve" and not noted.ok:
            # Closed is what matters; a retry would find it closed and add no comment.
            return dataclasses.replace(
                result,
                response=f"closed; the comment failed: {noted.response}"[:2048],
                reference=key,
                link=link,
            )
        return dataclasses.replace(noted, reference=key, link=link) if noted.ok else noted

    @staticmethod
    def _reopen(call: Call, key: str) -> DeliveryResult:
        """Back to a status of the "new" category (else "in progress"); nothing to do
        when it is not done (someone reopened it already)."""
        status, issue = call("GET", f"/issue/{key}?fields=status", None, (200,))
        if not status.ok:
            return status
        current = (issue or {}).get("fields", {}).get("status", {})
        if current.get("statusCategory", {}).get("key") != DONE:
            return DeliveryResult(ok=True, status_code=200, response="not done: left as it is")
        listed, answer = call("GET", f"/issue/{key}/transitions", None, (200,))
        if not listed.ok:
            return listed
        by_category: dict[str, str] = {}
        for transition in (answer or {}).get("transitions", []):
            category = transition.get("to", {}).get("statusCategory", {}).get("key")
            by_category.setdefault(str(category), str(transition["id"]))
        chosen = by_category.get("new") or by_category.get("indeterminate")
        if chosen is None:
            return DeliveryResult(ok=True, response="no transition out of its status")
        body = {"transition": {"id": chosen}}
        return call("POST", f"/issue/{key}/transitions", body, (204,))[0]

    @staticmethod
    def _close(call: Call, key: str) -> DeliveryResult:
        """Through the transition into a "done" status; fine if it is already done."""
        listed, answer = call("GET", f"/issue/{key}/transitions", None, (200,))
        if not listed.ok:
            return listed
        for transition in (answer or {}).get("transitions", []):
            category = transition.get("to", {}).get("statusCategory", {}).get("key")
            if category == DONE:
                body = {"transition": {"id": str(transition["id"])}}
                return call("POST", f"/issue/{key}/transitions", body, (204,))[0]
        status, issue = call("GET", f"/issue/{key}?fields=status", None, (200,))
        if not status.ok:
            return status
        current = (issue or {}).get("fields", {}).get("status", {})
        if current.get("statusCategory", {}).get("key") == DONE:
            return DeliveryResult(ok=True, status_code=200, response="already done")
        name = str(current.get("name", "?"))[:100]
        return misconfigured(f"jira: no transition from {name!r} leads to a done status")

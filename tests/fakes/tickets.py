"""Local stand-ins for GitHub Issues, GitLab Issues and Jira Cloud that validate each
request against the documented REST API (authentication, required headers, JSON
shapes and limits; Jira's descriptions and comments as ADF documents), keep state
(tickets, comments, open/closed) and answer with the service's status codes and bodies.

Each fake is a handler for :class:`tests.fakes.services.FakeService`; the service's
``fail()`` makes the next requests fail first (5xx, rate limits), and the helpers
below build the rate-limit answers each service sends.

References: docs.github.com/rest/issues (issues, comments; 2022-11-28),
docs.gitlab.com/api/issues and /api/notes, developer.atlassian.com REST v3 (issue,
comment, transitions) and the ADF structure (developer.atlassian.com/cloud/jira/
platform/apis/document/structure/).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fakes.services import Answer, Invalid, Request, _check, _json, _text


def _body(req: Request) -> Any:
    return json.loads(req.body) if req.body else None


@dataclass
class Ticket:
    number: str  # GitHub number, GitLab iid, Jira key
    title: str
    body: Any  # Markdown text, or Jira's ADF document
    labels: list[str]
    state: str = "open"
    state_reason: str | None = None
    comments: list[Any] = field(default_factory=list)


# --- GitHub ---------------------------------------------------------------------------

GITHUB_VERSION = "2022-11-28"
_GH_REPO = re.compile(r"^/repos/([^/]+)/([^/]+)(/.*)?$")
_GH_DOCS = "https://docs.github.com/rest"


@dataclass
class GitHubFake:
    token: str
    repository: str = "acme/shop"
    tickets: dict[str, Ticket] = field(default_factory=dict)
    created: int = 0  # numbers are never reused, as in the services
    deleted: set[str] = field(default_factory=set)  # numbers answered 410 Gone
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def html_url(self, number: str) -> str:
        return f"https://github.com/{self.repository}/issues/{number}"

    def _issue_json(self, t: Ticket) -> dict[str, Any]:
        return {
            "id": 1000 + int(t.number),
            "number": int(t.number),
            "title": t.title,
            "body": t.body,
            "state": t.state,
            "state_reason": t.state_reason,
            "labels": [{"name": name} for name in t.labels],
            "html_url": self.html_url(t.number),
            "url": f"https://api.github.com/repos/{self.repository}/issues/{t.number}",
        }

    def __call__(self, req: Request) -> Answer:
        if not req.headers.get("user-agent"):
            return _text(
                403,
                "Request forbidden by administrative rules. Please make sure "
                "your request has a User-Agent header",
            )
        auth = req.headers.get("authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            return _json(401, {"message": "Bad credentials", "documentation_url": _GH_DOCS})
        if req.headers.get("accept") != "application/vnd.github+json":
            return _json(
                415, {"message": "Unsupported 'Accept' header", "documentation_url": _GH_DOCS}
            )
        version = req.headers.get("x-github-api-version")
        if version != GITHUB_VERSION:
            return _json(400, {"message": f"API version '{version}' is not supported."})
        match = _GH_REPO.match(req.path)
        if not match or f"{match.group(1)}/{match.group(2)}" != self.repository:
            return _json(404, {"message": "Not Found", "documentation_url": _GH_DOCS})
        rest = match.group(3) or ""
        try:
            body = _body(req)
        except ValueError:
            return _json(400, {"message": "Problems parsing JSON"})
        with self._lock:
            return self._route(req.method, rest, body)

    def _route(self, method: str, rest: str, body: Any) -> Answer:
        if method == "GET" and rest == "":
            return _json(200, {"id": 7, "full_name": self.repository, "has_issues": True})
        if method == "POST" and rest == "/issues":
            problem = validate_github_issue(body)
            if problem:
                return _validation_failed("Issue", *problem)
            self.created += 1
            number = str(self.created)
            labels = [str(x) for x in body.get("labels", [])]
            self.tickets[number] = Ticket(number, body["title"], body.get("body"), labels)
            answer = self._issue_json(self.tickets[number])
            return _json(201, answer, {"Location": answer["url"]})
        issue = re.match(r"^/issues/(\d+)(/comments)?$", rest)
        if issue and issue.group(1) in self.deleted:
            return _json(410, {"message": "This issue was deleted", "documentation_url": _GH_DOCS})
        if not issue or issue.group(1) not in self.tickets:
            return _json(404, {"message": "Not Found", "documentation_url": _GH_DOCS})
        ticket = self.tickets[issue.group(1)]
        if method == "POST" and issue.group(2):
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return _validation_failed("IssueComment", "missing_field", "body")
            if len(body["body"]) > 65536:
                return _validation_failed("IssueComment", "custom", "body", "body is too long")
            ticket.comments.append(body["body"])
            comment_id = 5000 + len(ticket.comments)
            url = f"{self.html_url(ticket.number)}#issuecomment-{comment_id}"
            return _json(201, {"id": comment_id, "body": body["body"], "html_url": url})
        if method == "PATCH" and not issue.group(2):
            _allowed = {
                "title",
                "body",
                "state",
                "state_reason",
                "labels",
                "assignees",
                "milestone",
            }
            if not isinstance(body, dict) or set(body) - _allowed:
                return _validation_failed("Issue", "invalid", "body")
            if body.get("state") not in (None, "open", "closed"):
                return _validation_failed("Issue", "invalid", "state")
            if body.get("state_reason") not in (None, "completed", "not_planned", "reopened"):
                return _validation_failed("Issue", "invalid", "state_reason")
            ticket.state = body.get("state", ticket.state)
            ticket.state_reason = body.get("state_reason", ticket.state_reason)
            return _json(200, self._issue_json(ticket))
        return _json(404, {"message": "Not Found", "documentation_url": _GH_DOCS})


def _validation_failed(resource: str, code: str, name: str, message: str = "") -> Answer:
    error: dict[str, Any] = {"resource": resource, "code": code, "field": name}
    if message:
        error["message"] = message
    return _json(
        422, {"message": "Validation Failed", "errors": [error], "documentation_url": _GH_DOCS}
    )


def validate_github_issue(body: Any) -> tuple[str, str, str] | None:
    """None when valid; else (code, field, message) as GitHub's 422 names them."""
    if not isinstance(body, dict):
        return ("invalid", "body", "body must be an object")
    allowed = {"title", "body", "assignee", "assignees", "milestone", "labels", "type"}
    if set(body) - allowed:
        return ("invalid", sorted(set(body) - allowed)[0], "unknown field")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        return ("missing_field", "title", "")
    if len(title) > 256:
        return ("custom", "title", "title is too long (maximum is 256 characters)")
    text = body.get("body")
    if text is not None and not isinstance(text, str):
        return ("invalid", "body", "body must be a string")
    if isinstance(text, str) and len(text) > 65536:
        return ("custom", "body", "body is too long (maximum is 65536 characters)")
    labels = body.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        return ("invalid", "labels", "labels must be a list of names")
    return None


def github_rate_limited(reset_at: float) -> tuple[int, bytes, dict[str, str]]:
    """GitHub's primary rate limit: 403 with remaining 0 and the reset time (epoch s)."""
    body = json.dumps(
        {"message": "API rate limit exceeded for user ID 1.", "documentation_url": _GH_DOCS}
    ).encode()
    return (
        403,
        body,
        {
            "Content-Type": "application/json",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(int(reset_at)),
        },
    )


# --- GitLab ---------------------------------------------------------------------------

_GL_PROJECT = re.compile(r"^/api/v4/projects/([^/]+)(/.*)?$")


@dataclass
class GitLabFake:
    token: str
    project: str = "acme/shop"
    project_id: int = 42
    tickets: dict[str, Ticket] = field(default_factory=dict)
    created: int = 0  # numbers are never reused, as in the services
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def web_url(self, iid: str) -> str:
        return f"https://gitlab.example/{self.project}/-/issues/{iid}"

    def _issue_json(self, t: Ticket) -> dict[str, Any]:
        return {
            "id": 9000 + int(t.number),
            "iid": int(t.number),
            "project_id": self.project_id,
            "title": t.title,
            "description": t.body,
            "state": "opened" if t.state == "open" else "closed",
            "labels": t.labels,
            "web_url": self.web_url(t.number),
        }

    def __call__(self, req: Request) -> Answer:
        if req.headers.get("private-token") != self.token:
            return _json(401, {"message": "401 Unauthorized"})
        match = _GL_PROJECT.match(req.path)
        # A path must be URL-encoded (group%2Fshop): a raw slash routes nowhere.
        if not match or unquote(match.group(1)) not in (self.project, str(self.project_id)):
            return _json(404, {"message": "404 Project Not Found"})
        try:
            body = _body(req)
        except ValueError:
            return _json(400, {"error": "The provided content-type is not supported."})
        with self._lock:
            return self._route(req.method, match.group(2) or "", body)

    def _route(self, method: str, rest: str, body: Any) -> Answer:
        if method == "GET" and rest == "":
            return _json(200, {"id": self.project_id, "path_with_namespace": self.project})
        if method == "POST" and rest == "/issues":
            if not isinstance(body, dict) or not isinstance(body.get("title"), str):
                return _json(400, {"error": "title is missing"})
            problems = validate_gitlab_issue(body)
            if problems:
                return _json(400, {"message": problems})
            self.created += 1
            iid = str(self.created)
            labels = [x for x in str(body.get("labels", "")).split(",") if x]
            self.tickets[iid] = Ticket(iid, body["title"], body.get("description"), labels)
            return _json(201, self._issue_json(self.tickets[iid]))
        issue = re.match(r"^/issues/(\d+)(/notes)?$", rest)
        if not issue or issue.group(1) not in self.tickets:
            return _json(404, {"message": "404 Issue Not Found"})
        ticket = self.tickets[issue.group(1)]
        if method == "POST" and issue.group(2):
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return _json(400, {"error": "body is missing"})
            if not body["body"].strip():
                return _json(400, {"message": {"note": ["can't be blank"]}})
            if len(body["body"]) > 1_000_000:
                return _json(
                    400, {"message": {"note": ["is too long (maximum is 1000000 characters)"]}}
                )
            ticket.comments.append(body["body"])
            note_id = 700 + len(ticket.comments)
            return _json(
                201,
                {
                    "id": note_id,
                    "body": body["body"],
                    "noteable_type": "Issue",
                    "noteable_iid": int(ticket.number),
                },
            )
        if method == "PUT" and not issue.group(2):
            event = (body or {}).get("state_event")
            if event not in (None, "close", "reopen"):
                return _json(400, {"error": "state_event does not have a valid value"})
            if event:
                ticket.state = "closed" if event == "close" else "open"
            return _json(200, self._issue_json(ticket))
        return _json(404, {"error": "404 Not Found"})


def validate_gitlab_issue(body: dict[str, Any]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    title = body["title"]
    if not title.strip():
        problems["title"] = ["can't be blank"]
    elif len(title) > 255:
        problems["title"] = ["is too long (maximum is 255 characters)"]
    description = body.get("description")
    if description is not None and (
        not isinstance(description, str) or len(description) > 1_048_576
    ):
        problems["description"] = ["is too long (maximum is 1048576 characters)"]
    labels = body.get("labels")
    if labels is not None and not isinstance(labels, (str, list)):
        problems["labels"] = ["is invalid"]
    return problems


# --- Jira Cloud -----------------------------------------------------------------------

_JIRA_ISSUE = re.compile(r"^/rest/api/3/issue/([A-Z][A-Z0-9_]*-\d+)(/comment|/transitions)?$")
_MARKS = {"strong", "em", "code", "link", "strike", "underline", "subsup", "textColor"}
_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
_BLOCKS = {
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "codeBlock",
    "rule",
    "blockquote",
    "panel",
    "table",
}
JIRA_FIELD_LIMIT = 32767


def validate_adf(doc: Any, name: str = "description") -> None:
    """An ADF document as Jira's v3 API takes it, and within its field size."""
    _check(isinstance(doc, dict) and doc.get("type") == "doc", f"{name}: type must be doc")
    _check(doc.get("version") == 1, f"{name}: version must be 1")
    _check(set(doc) <= {"type", "version", "content"}, f"{name}: unknown keys")
    content = doc.get("content")
    _check(isinstance(content, list), f"{name}: content must be a list")
    for node in content:
        _block(node)
    size = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    _check(size <= JIRA_FIELD_LIMIT, f"{name}: CONTENT_LIMIT_EXCEEDED ({size} characters)")


def _block(node: Any) -> None:
    _check(isinstance(node, dict) and node.get("type") in _BLOCKS, f"block node {node!r:.60}")
    kind = node["type"]
    _check(set(node) <= {"type", "content", "attrs", "marks"}, f"{kind}: unknown keys")
    content = node.get("content", [])
    _check(isinstance(content, list), f"{kind}: content must be a list")
    if kind in ("paragraph", "heading"):
        if kind == "heading":
            level = node.get("attrs", {}).get("level")
            _check(isinstance(level, int) and 1 <= level <= 6, "heading: level 1..6")
        for child in content:
            _inline(child)
    elif kind in ("bulletList", "orderedList"):
        _check(len(content) >= 1, f"{kind}: at least one listItem")
        for item in content:
            _check(isinstance(item, dict) and item.get("type") == "listItem", "listItem")
            items = item.get("content")
            _check(isinstance(items, list) and len(items) >= 1, "listItem: content")
            for child in items:
                _check(
                    child.get("type") in {"paragraph", "bulletList", "orderedList", "codeBlock"},
                    "listItem: child type",
                )
                _block(child)
    elif kind == "codeBlock":
        for child in content:
            _check(child.get("type") == "text" and "marks" not in child, "codeBlock: plain text")
            _inline(child)
    elif kind == "rule":
        _check(not content, "rule: no content")
    elif kind == "blockquote":
        for child in content:
            _block(child)


def _inline(node: Any) -> None:
    _check(isinstance(node, dict) and node.get("type") in _INLINE, f"inline node {node!r:.60}")
    if node["type"] == "text":
        _check(set(node) <= {"type", "text", "marks"}, "text: unknown keys")
        value = node.get("text")
        _check(isinstance(value, str) and len(value) >= 1, "text: a non-empty string")
        marks = node.get("marks", [])
        _check(isinstance(marks, list), "text: marks must be a list")
        kinds = [m.get("type") for m in marks]
        _check(len(set(kinds)) == len(kinds), "text: a mark twice")
        for mark in marks:
            _check(mark.get("type") in _MARKS, f"mark {mark.get('type')}")
            if mark["type"] == "link":
                _check(isinstance(mark.get("attrs", {}).get("href"), str), "link: href")
        if "code" in kinds:
            _check(set(kinds) <= {"code", "link"}, "code mark: only with link")


def _jira_error(status: int, field_errors: dict[str, str] | None = None, *messages: str) -> Answer:
    return _json(status, {"errorMessages": list(messages), "errors": field_errors or {}})


@dataclass
class JiraFake:
    email: str
    token: str
    project_key: str = "OPS"
    issue_types: tuple[str, ...] = ("Bug", "Task")
    has_done_transition: bool = True  # a workflow without one: close must say so
    tickets: dict[str, Ticket] = field(default_factory=dict)
    created: int = 0  # numbers are never reused, as in the services
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # status name → (category key, transition id leading to it)
    STATUSES = {
        "To Do": ("new", "11"),
        "In Progress": ("indeterminate", "21"),
        "Done": ("done", "31"),
    }

    def _auth_ok(self, req: Request) -> bool:
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return req.headers.get("authorization") == f"Basic {expected}"

    def __call__(self, req: Request) -> Answer:
        if not self._auth_ok(req):
            return _text(401, "Client must be authenticated to access this resource.")
        try:
            body = _body(req)
        except ValueError:
            return _jira_error(400, None, "Unexpected character: was expecting JSON")
        with self._lock:
            return self._route(req, body)

    def _route(self, req: Request, body: Any) -> Answer:
        method, path = req.method, req.path
        if method == "GET" and path == f"/rest/api/3/project/{self.project_key}":
            return _json(200, {"id": "10000", "key": self.project_key, "name": "Operations"})
        if method == "GET" and path.startswith("/rest/api/3/project/"):
            key = path.rsplit("/", 1)[1]
            return _jira_error(404, None, f"No project could be found with key '{key}'.")
        if method == "POST" and path == "/rest/api/3/issue":
            errors = self.validate_create(body)
            if errors:
                return _jira_error(400, errors)
            fields = body["fields"]
            self.created += 1
            key = f"{self.project_key}-{self.created}"
            self.tickets[key] = Ticket(
                key,
                fields["summary"],
                fields.get("description"),
                list(fields.get("labels", [])),
                state="To Do",
            )
            issue_id = str(10000 + self.created)
            return _json(
                201,
                {
                    "id": issue_id,
                    "key": key,
                    "self": f"https://site.atlassian.net/rest/api/3/issue/{issue_id}",
                },
            )
        match = _JIRA_ISSUE.match(path)
        if not match or match.group(1) not in self.tickets:
            return _jira_error(
                404, None, "Issue does not exist or you do not have permission to see it."
            )
        ticket, what = self.tickets[match.group(1)], match.group(2)
        if what is None and method == "GET":
            category = self.STATUSES[ticket.state][0]
            return _json(
                200,
                {
                    "key": ticket.number,
                    "fields": {
                        "status": {"name": ticket.state, "statusCategory": {"key": category}}
                    },
                },
            )
        if what == "/comment" and method == "POST":
            try:
                _check(
                    isinstance(body, dict) and set(body) <= {"body", "visibility", "properties"},
                    "comment body",
                )
                validate_adf(body.get("body"), "body")
            except (Invalid, AttributeError) as exc:
                return _jira_error(400, {"comment": str(exc)})
            ticket.comments.append(body["body"])
            return _json(201, {"id": str(100 + len(ticket.comments)), "body": body["body"]})
        if what == "/transitions" and method == "GET":
            return _json(200, {"expand": "transitions", "transitions": self._transitions(ticket)})
        if what == "/transitions" and method == "POST":
            wanted = str(((body or {}).get("transition") or {}).get("id", ""))
            for t in self._transitions(ticket):
                if t["id"] == wanted:
                    ticket.state = t["to"]["name"]
                    return 204, b"", {}
            return _jira_error(400, None, f"Transition id '{wanted}' is not valid for this issue.")
        return _jira_error(405, None, "Method not allowed")

    def _transitions(self, ticket: Ticket) -> list[dict[str, Any]]:
        out = []
        for name, (category, transition_id) in self.STATUSES.items():
            if name == ticket.state or (category == "done" and not self.has_done_transition):
                continue
            out.append(
                {
                    "id": transition_id,
                    "name": name,
                    "hasScreen": False,
                    "to": {"name": name, "statusCategory": {"key": category}},
                }
            )
        return out

    def validate_create(self, body: Any) -> dict[str, str]:
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            return {"fields": "fields is required"}
        f = body["fields"]
        errors: dict[str, str] = {}
        if (f.get("project") or {}).get("key") != self.project_key:
            errors["project"] = "Specify a valid project ID or key"
        if (f.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "Specify a valid issue type"
        summary = f.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        elif "\n" in summary or "\r" in summary:
            errors["summary"] = "Field 'summary' cannot contain line breaks."
        if "description" in f:
            try:
                validate_adf(f["description"])
            except (Invalid, AttributeError, TypeError) as exc:
                errors["description"] = (
                    "Operation value must be an Atlassian Document "
                    f"(see the Atlassian Document Format): {exc}"
                )
        labels = f.get("labels", [])
        if not isinstance(labels, list) or any(
            not isinstance(x, str) or not x or " " in x or len(x) > 255 for x in labels
        ):
            errors["labels"] = "The label must not contain spaces and be at most 255 characters."
        unknown = set(f) - {"project", "issuetype", "summary", "description", "labels", "priority"}
        for name in unknown:
            errors[name] = (
                f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            )
        return errors

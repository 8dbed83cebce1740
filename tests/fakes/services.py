"""Local stand-ins for Slack, Teams, PagerDuty, Opsgenie and a webhook receiver.

Each validates a request against the service's documented payload and answers as the
service does (status, body, Retry-After). ``fail(times, status)`` makes the next requests
fail first, like a service that is down or rate limiting.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from faultbox.alerts.channels.webhook import verify_signature


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, bytes, dict[str, str]]


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Answer:
    return (
        status,
        json.dumps(data).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


def _text(status: int, text: str) -> Answer:
    return status, text.encode(), {"Content-Type": "text/plain"}


class Invalid(Exception):
    pass


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise Invalid(message)


def _string(value: Any, name: str, limit: int, *, required: bool = True) -> None:
    if value is None and not required:
        return
    _check(isinstance(value, str), f"{name} must be a string")
    _check(bool(value) or not required, f"{name} must not be empty")
    _check(len(value) <= limit, f"{name} longer than {limit}")


# --- Slack: https://api.slack.com/messaging/webhooks, Block Kit reference -------------

_SLACK_BLOCKS = {"header", "section", "actions", "context", "divider"}


def _slack_text(obj: Any, name: str, limit: int, types: tuple[str, ...]) -> None:
    _check(isinstance(obj, dict), f"{name} must be a text object")
    _check(obj.get("type") in types, f"{name}.type must be one of {types}")
    _string(obj.get("text"), f"{name}.text", limit)


def validate_slack(body: Any) -> None:
    _check(isinstance(body, dict), "payload must be an object")
    _check("text" in body or "blocks" in body, "text or blocks required")
    if "text" in body:
        _string(body["text"], "text", 40000)
    blocks = body.get("blocks", [])
    _check(isinstance(blocks, list) and len(blocks) <= 50, "blocks: a list of at most 50")
    for i, block in enumerate(blocks):
        _check(isinstance(block, dict) and block.get("type") in _SLACK_BLOCKS, f"blocks[{i}].type")
        kind = block["type"]
        if kind == "header":
            _slack_text(block.get("text"), f"blocks[{i}].text", 150, ("plain_text",))
        elif kind == "section":
            _check("text" in block or "fields" in block, f"blocks[{i}]: text or fields")
            if "text" in block:
                _slack_text(block["text"], f"blocks[{i}].text", 3000, ("mrkdwn", "plain_text"))
            fields = block.get("fields", [])
            _check(isinstance(fields, list) and len(fields) <= 10, f"blocks[{i}].fields")
            for f in fields:
                _slack_text(f, f"blocks[{i}].fields[]", 2000, ("mrkdwn", "plain_text"))
        elif kind == "actions":
            elements = block.get("elements")
            _check(isinstance(elements, list) and 0 < len(elements) <= 25, "actions.elements")
            for e in elements:
                _check(e.get("type") == "button", "actions: buttons only")
                _slack_text(e.get("text"), "button.text", 75, ("plain_text",))
                _string(e.get("url"), "button.url", 3000)


def slack(req: Request) -> Answer:
    if req.method != "POST" or not req.path.startswith("/services/"):
        return _text(404, "no_service")
    try:
        validate_slack(req.json())
    except (ValueError, Invalid):
        return _text(400, "invalid_payload")
    return _text(200, "ok")


# --- Teams: incoming webhook with an Adaptive Card attachment -------------------------


def validate_teams(body: Any) -> None:
    _check(isinstance(body, dict) and body.get("type") == "message", "type must be message")
    attachments = body.get("attachments")
    _check(isinstance(attachments, list) and len(attachments) >= 1, "attachments required")
    for a in attachments:
        _check(a.get("contentType") == "application/vnd.microsoft.card.adaptive", "contentType")
        card = a.get("content")
        _check(isinstance(card, dict) and card.get("type") == "AdaptiveCard", "content.type")
        _check(isinstance(card.get("version"), str), "content.version")
        _check(isinstance(card.get("body"), list), "content.body")
        for element in card["body"]:
            if element.get("type") == "TextBlock":
                _check(isinstance(element.get("text"), str), "TextBlock.text")
            elif element.get("type") == "FactSet":
                for fact in element.get("facts", []):
                    _check(isinstance(fact.get("title"), str), "Fact.title")
                    _check(isinstance(fact.get("value"), str), "Fact.value")
            else:
                raise Invalid(f"unexpected element {element.get('type')}")
        for action in card.get("actions", []):
            _check(action.get("type") == "Action.OpenUrl", "Action.OpenUrl only")
            _check(isinstance(action.get("url"), str), "action.url")


def teams(req: Request) -> Answer:
    if len(req.body) > 28 * 1024:
        return _text(413, "Payload too large")
    try:
        validate_teams(req.json())
    except (ValueError, Invalid, AttributeError) as exc:
        return _text(400, f"Bad payload: {exc}")
    return 202, b"", {}


# --- PagerDuty Events API v2 ---------------------------------------------------------

_PD_SEVERITIES = {"critical", "error", "warning", "info"}
_PD_ACTIONS = {"trigger", "acknowledge", "resolve"}


def validate_pagerduty(body: Any) -> None:
    _check(isinstance(body, dict), "Event object is invalid")
    _string(body.get("routing_key"), "routing_key", 64)
    _check(body.get("event_action") in _PD_ACTIONS, "'event_action' is invalid")
    _string(body.get("dedup_key"), "dedup_key", 255, required=body["event_action"] != "trigger")
    if body["event_action"] != "trigger":
        return
    payload = body.get("payload")
    _check(isinstance(payload, dict), "'payload' is missing")
    _string(payload.get("summary"), "payload.summary", 1024)
    _string(payload.get("source"), "payload.source", 255)
    _check(payload.get("severity") in _PD_SEVERITIES, "payload.severity is invalid")
    for key in ("component", "group", "class", "timestamp"):
        _string(payload.get(key), f"payload.{key}", 1024, required=False)
    details = payload.get("custom_details", {})
    _check(isinstance(details, dict), "payload.custom_details must be an object")
    for link in body.get("links", []):
        _string(link.get("href"), "links.href", 4096)
        _string(link.get("text"), "links.text", 1024, required=False)
    if len(json.dumps(body)) > 512 * 1024:
        raise Invalid("event larger than 512 KB")


def pagerduty(req: Request) -> Answer:
    if req.path != "/v2/enqueue":
        return _text(404, "Not Found")
    try:
        body = req.json()
        validate_pagerduty(body)
    except (ValueError, Invalid, AttributeError) as exc:
        return _json(
            400,
            {"status": "invalid event", "message": "Event object is invalid", "errors": [str(exc)]},
        )
    key = body.get("dedup_key") or uuid.uuid4().hex
    return _json(202, {"status": "success", "message": "Event processed", "dedup_key": key})


# --- Opsgenie Alert API v2 ----------------------------------------------------------

_OG_PRIORITIES = {"P1", "P2", "P3", "P4", "P5"}
_OG_ACTION = re.compile(r"^/v2/alerts/([^/]+)/(close|acknowledge)$")


def validate_opsgenie_create(body: Any) -> None:
    _check(isinstance(body, dict), "body must be an object")
    _string(body.get("message"), "message", 130)
    _string(body.get("alias"), "alias", 512, required=False)
    _string(body.get("description"), "description", 15000, required=False)
    _string(body.get("entity"), "entity", 512, required=False)
    _string(body.get("source"), "source", 100, required=False)
    _check(body.get("priority", "P3") in _OG_PRIORITIES, "priority must be P1..P5")
    tags = body.get("tags", [])
    _check(isinstance(tags, list) and len(tags) <= 20, "tags: at most 20")
    for tag in tags:
        _string(tag, "tag", 50)
    details = body.get("details", {})
    _check(isinstance(details, dict), "details must be a map")
    for k, v in details.items():
        _check(isinstance(k, str) and isinstance(v, str), "details: string to string")
    _check(sum(len(k) + len(v) for k, v in details.items()) <= 8000, "details: 8000 chars")


def opsgenie(req: Request) -> Answer:
    request_id = str(uuid.uuid4())
    auth = req.headers.get("authorization", "")
    if not auth.startswith("GenieKey ") or len(auth) <= len("GenieKey "):
        return _json(
            401, {"message": "Could not authenticate", "took": 0.0, "requestId": request_id}
        )
    try:
        body = req.json() if req.body else {}
        if req.path == "/v2/alerts":
            validate_opsgenie_create(body)
        elif match := _OG_ACTION.match(req.path):
            _check(req.query.get("identifierType", ["id"])[0] in {"id", "alias", "tiny"}, "idType")
            _string(body.get("source"), "source", 100, required=False)
            _string(body.get("note"), "note", 25000, required=False)
            del match
        else:
            return _json(404, {"message": "Not found", "took": 0.0, "requestId": request_id})
    except (ValueError, Invalid, AttributeError) as exc:
        return _json(
            422,
            {
                "message": f"Request body is not processable: {exc}",
                "took": 0.0,
                "requestId": request_id,
            },
        )
    return _json(
        202, {"result": "Request will be processed", "took": 0.01, "requestId": request_id}
    )


# --- a webhook receiver that checks Faultbox's signature -----------------------------


def webhook_receiver(secret: str) -> Callable[[Request], Answer]:
    def receive(req: Request) -> Answer:
        signature = req.headers.get("x-faultbox-signature", "")
        timestamp = req.headers.get("x-faultbox-timestamp", "")
        if not req.headers.get("idempotency-key"):
            return _text(400, "missing Idempotency-Key")
        if not verify_signature(req.body, signature, secret):
            return _text(401, "bad signature")
        body = json.loads(req.body)
        if str(body.get("timestamp")) != timestamp:
            return _text(400, "timestamp mismatch")
        return _text(200, "ok")

    return receive


@dataclass
class FakeService:
    handler: Callable[[Request], Answer]
    requests: list[Request] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    _failures: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(
        self, times: int, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        """The next ``times`` requests get this answer instead of the service's."""
        with self._lock:
            self._failures.extend([(status, body, headers or {})] * times)

    def answer(self, req: Request) -> Answer:
        with self._lock:
            self.requests.append(req)
            failure = self._failures.pop(0) if self._failures else None
        result = failure or self.handler(req)
        with self._lock:
            self.answers.append(result)
        return result


@contextmanager
def serve(service: FakeService) -> Iterator[FakeService]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's names)
            self._handle("POST")

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_PATCH(self) -> None:  # noqa: N802
            self._handle("PATCH")

        def do_PUT(self) -> None:  # noqa: N802
            self._handle("PUT")

        def do_DELETE(self) -> None:  # noqa: N802
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            req = Request(
                method=method,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length),
            )
            status, body, headers = service.answer(req)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def silent_port() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def closed_port() -> str:
    """A URL on a port nothing listens on: connection refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"

"""What every channel shares: the notification, the delivery result and the protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

Kind = Literal["trigger", "acknowledge", "resolve", "test"]
KINDS: tuple[Kind, ...] = ("trigger", "acknowledge", "resolve", "test")

EXCERPT_LIMIT = 2048  # bytes of a response body kept for the delivery record
DEFAULT_TIMEOUT = 10.0  # seconds, connect/read/write/pool each


@dataclass(frozen=True)
class DigestItem:
    """One issue inside a storm digest."""

    title: str
    url: str = ""
    short_id: str = ""
    level: str = ""
    event_count: int = 0


@dataclass(frozen=True)
class Notification:
    kind: Kind
    title: str
    text: str
    dedup_key: str  # stable per rule + issue: PagerDuty dedup_key, Opsgenie alias, …
    project: str = ""
    short_id: str = ""
    level: str = ""
    severity: str = ""  # P0 … P3
    environment: str = ""
    release: str = ""
    culprit: str = ""
    event_count: int = 0
    first_seen: str = ""  # ISO 8601
    last_seen: str = ""
    url: str = ""  # the issue on the dashboard
    items: tuple[DigestItem, ...] = field(default=())
    ack_url: str = ""  # a signed link that acknowledges the incident (pages only)
    reference: str = ""  # the service's id from an earlier delivery (a ticket to update)
    report: str = ""  # the analysis report in Markdown (ticket bodies)
    reopen: bool = False  # the ticket in ``reference`` was closed: reopen it (a regression)
    # The same for every retry of one delivery, different between deliveries: the
    # outbox sets it (the webhook's Idempotency-Key). A pager's dedup_key, by contrast,
    # is shared by every message about one page.
    delivery_key: str = ""

    def fields(self) -> list[tuple[str, str]]:
        """The summary fields that have a value, labelled for people."""
        pairs = [
            ("Project", self.project),
            ("Issue", self.short_id),
            ("Level", self.level),
            ("Severity", self.severity),
            ("Environment", self.environment),
            ("Release", self.release),
            ("Culprit", self.culprit),
            ("Events", str(self.event_count) if self.event_count else ""),
            ("First seen", self.first_seen),
            ("Last seen", self.last_seen),
        ]
        return [(k, v) for k, v in pairs if v]


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None = None
    response: str = ""  # at most EXCERPT_LIMIT bytes of the answer (or the error)
    retry_after: float | None = None  # seconds the service asked us to wait
    permanent: bool = False  # retrying will not help (4xx other than 408/429, bad config)
    reference: str = ""  # what the service calls what we created (ticket number, alert id)
    link: str = ""  # where people see it (the ticket's URL)

    @property
    def transient(self) -> bool:
        return not self.ok and not self.permanent


@dataclass(frozen=True)
class ConfigKey:
    name: str
    required: bool = False
    secret: bool = False  # stored encrypted, passed in ``secrets``, never shown again
    url: bool = False  # must be an absolute http(s) URL
    choices: tuple[str, ...] = ()
    help: str = ""


class Channel(Protocol):
    name: str
    keys: tuple[ConfigKey, ...]

    def send(
        self,
        notification: Notification,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeliveryResult:
        """Deliver; never raises for network or HTTP failures (it classifies them)."""
        ...


def excerpt(text: str | bytes) -> str:
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return raw[:EXCERPT_LIMIT].decode("utf-8", "ignore")


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_permanent_status(status: int) -> bool:
    """4xx other than 408/429, and redirects (we never follow them: a moved endpoint
    is a configuration problem, and following could send a secret elsewhere)."""
    return 300 <= status < 500 and status not in (408, 429)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare for these APIs: ignored)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


def redact(text: str, secrets: Iterable[object]) -> str:
    """The text with every secret value (webhook URLs, tokens) replaced."""
    for value in secrets:
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "[redacted]")
    return text


def classify_response(
    response: httpx.Response, ok_statuses: tuple[int, ...], secrets: Iterable[object] = ()
) -> DeliveryResult:
    status = response.status_code
    body = excerpt(redact(excerpt(response.content), secrets))
    if status in ok_statuses:
        return DeliveryResult(ok=True, status_code=status, response=body)
    return DeliveryResult(
        ok=False,
        status_code=status,
        response=body,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        permanent=is_permanent_status(status),
    )


def post_json(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    ok_statuses: tuple[int, ...] = (200, 201, 202, 204),
    timeout: float = DEFAULT_TIMEOUT,
    secrets: Iterable[object] = (),
) -> DeliveryResult:
    """POST a JSON body without following redirects; classify whatever happens.
    ``secrets`` are blanked out of the recorded response and error texts."""
    result, _answer = request_json(
        "POST",
        url,
        body,
        headers=headers,
        ok_statuses=ok_statuses,
        timeout=timeout,
        secrets=secrets,
    )
    return result


def request_json(
    method: str,
    url: str,
    body: bytes | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    ok_statuses: tuple[int, ...] = (200, 201, 202, 204),
    timeout: float = DEFAULT_TIMEOUT,
    secrets: Iterable[object] = (),
    classify: Callable[[httpx.Response, DeliveryResult], DeliveryResult] | None = None,
) -> tuple[DeliveryResult, Any]:
    """Any method with an optional JSON body, like :func:`post_json`; also returns the
    decoded JSON answer (None when there is none, or on failure) since ticket APIs
    answer with what they created (its number and URL may lie past the excerpt).
    ``classify`` may refine the result from the response (a service's own rate-limit
    headers)."""
    secrets = list(secrets)
    all_headers = {"User-Agent": "faultbox-alerts"}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            response = client.request(method, url, content=body, headers=all_headers)
    except httpx.TimeoutException as exc:
        reason = redact(f"timeout: {exc!r}", secrets)
        return DeliveryResult(ok=False, response=excerpt(reason)), None
    except (
        httpx.InvalidURL,
        httpx.UnsupportedProtocol,
        httpx.LocalProtocolError,
        ValueError,
    ) as exc:
        # A bad URL or header value (e.g. a token with a newline): retrying cannot help.
        reason = redact(f"invalid request: {exc}", secrets)
        return DeliveryResult(ok=False, response=excerpt(reason), permanent=True), None
    except httpx.TransportError as exc:  # connection refused, reset, DNS, TLS
        reason = redact(f"connection error: {exc!r}", secrets)
        return DeliveryResult(ok=False, response=excerpt(reason)), None
    result = classify_response(response, ok_statuses, secrets)
    if classify is not None:
        result = classify(response, result)
    answer = None
    if result.ok and response.content:
        try:
            answer = response.json()
        except ValueError:
            answer = None
    return result, answer


def misconfigured(reason: str) -> DeliveryResult:
    return DeliveryResult(ok=False, response=excerpt(reason), permanent=True)

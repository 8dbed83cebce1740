"""One delivery attempt over HTTP (``urllib``), classified for the transport:
delivered, retry later (with the server's ``Retry-After`` when it gave one), or refused
for good (a 4xx other than 408/429: resending the same bytes cannot succeed)."""

from __future__ import annotations

import email.utils
import gzip
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faultbox_sdk.dsn import Dsn
from faultbox_sdk.envelope import auth_header, envelope_body
from faultbox_sdk.native import native_body, rejected_items
from faultbox_sdk.version import SDK_NAME, VERSION

logger = logging.getLogger("faultbox_sdk")

MAX_RETRY_AFTER = 3600.0
_MAX_ANSWER = 1 << 20


@dataclass
class Outcome:
    delivered: list[dict[str, Any]] = field(default_factory=list)
    retry: list[dict[str, Any]] = field(default_factory=list)  # in order, to send again
    retry_after: float | None = None  # the server's wish, seconds
    refused: int = 0


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (network)
    headers: dict[str, str]
    body: bytes


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds, or an HTTP date; None when absent or unreadable; capped at an hour."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment is None:
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _rate_limit_seconds(value: str | None) -> float | None:
    """``X-Sentry-Rate-Limits: 60:error:organization, …``: the longest limit."""
    if not value:
        return None
    best: float | None = None
    for part in value.split(","):
        head = part.strip().split(":", 1)[0]
        try:
            seconds = float(head)
        except ValueError:
            continue
        best = seconds if best is None else max(best, seconds)
    return None if best is None else min(max(best, 0.0), MAX_RETRY_AFTER)


Post = Callable[[str, bytes, dict[str, str], float], Answer]


def urllib_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, dict(response.headers), response.read(_MAX_ANSWER))
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(_MAX_ANSWER)
        except Exception:
            body = b""
        return Answer(exc.code, dict(exc.headers or {}), body)
    except Exception as exc:  # refused, reset, timeout, DNS, TLS, a broken status line
        logger.debug("faultbox_sdk: no answer from %s: %s", url, exc)
        return Answer(0, {}, b"")


class Sender:
    def __init__(
        self,
        dsn: Dsn,
        mode: str = "native",
        timeout: float = 5.0,
        post: Post = urllib_post,
        compress: bool = True,
    ) -> None:
        if mode not in ("native", "envelope"):
            raise ValueError("transport mode must be 'native' or 'envelope'")
        self.dsn = dsn
        self.mode = mode
        self.timeout = timeout
        self.post = post
        self.compress = compress
        self.user_agent = f"{SDK_NAME}/{VERSION}"

    def _headers(self, content_type: str) -> dict[str, str]:
        headers = {"Content-Type": content_type, "User-Agent": self.user_agent}
        if self.compress:
            headers["Content-Encoding"] = "gzip"
        if self.mode == "native":
            headers["X-Faultbox-Key"] = self.dsn.public_key
        else:
            headers["X-Sentry-Auth"] = auth_header(self.dsn.public_key)
        return headers

    def _body(self, data: bytes) -> bytes:
        return gzip.compress(data, compresslevel=1) if self.compress else data

    def send(self, events: list[dict[str, Any]]) -> Outcome:
        if self.mode == "native":
            return self._native(events)
        return self._envelopes(events)

    def _native(self, events: list[dict[str, Any]]) -> Outcome:
        body = self._body(native_body(events))
        answer = self.post(
            self.dsn.native_batch_url, body, self._headers("application/json"), self.timeout
        )
        outcome = Outcome()
        if 200 <= answer.status < 300:
            refused = rejected_items(answer.body)
            for _index, reason in refused:
                logger.warning("faultbox_sdk: the server refused an event: %s", reason)
            outcome.refused = len(refused)
            outcome.delivered = list(events)
        elif self._retriable(answer, outcome):
            outcome.retry = list(events)
        else:
            outcome.refused = len(events)
        return outcome

    def _envelopes(self, events: list[dict[str, Any]]) -> Outcome:
        outcome = Outcome()
        for i, event in enumerate(events):
            body = self._body(envelope_body(event, self.dsn.raw, time.time()))
            answer = self.post(
                self.dsn.envelope_url,
                body,
                self._headers("application/x-sentry-envelope"),
                self.timeout,
            )
            if 200 <= answer.status < 300:
                outcome.delivered.append(event)
            elif self._retriable(answer, outcome):
                outcome.retry = list(events[i:])
                break
            else:
                outcome.refused += 1
        return outcome

    def _retriable(self, answer: Answer, outcome: Outcome) -> bool:
        status = answer.status
        headers = {k.lower(): v for k, v in answer.headers.items()}
        if status == 0 or status in (408, 429) or status >= 500:
            outcome.retry_after = parse_retry_after(headers.get("retry-after"))
            if outcome.retry_after is None and status == 429:
                outcome.retry_after = _rate_limit_seconds(headers.get("x-sentry-rate-limits"))
            if status:
                logger.info("faultbox_sdk: the server answered %s; will retry", status)
            return True
        logger.warning(
            "faultbox_sdk: the server refused the events with %s: %s",
            status,
            answer.body[:300].decode("utf-8", "replace"),
        )
        return False

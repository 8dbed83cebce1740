"""Cron check-ins and release-health session counts out of their inbox messages.

Ingest checked and reduced both (``ingest/checkins.py``, ``ingest/sessions.py``);
a message that does not have that shape was not written by this version of ingest
and is a ``PoisonMessage``.
"""

from __future__ import annotations

from typing import Any

import orjson

from faultbox.digest.pipeline import PoisonMessage
from faultbox.lifecycle.monitors import CheckIn
from faultbox.queue.base import InboxMessage
from faultbox.store.session_counts import SessionCounts

_STATUSES = ("in_progress", "ok", "error")
_CONFIG_KEYS = {
    "schedule_type": str,
    "schedule": str,
    "timezone": str,
    "checkin_margin_minutes": int,
    "max_runtime_minutes": int,
}


def check_in(message: InboxMessage) -> CheckIn:
    data = _object(message)
    slug, check_in_id, status = (data.get(k) for k in ("monitor_slug", "check_in_id", "status"))
    if not (isinstance(slug, str) and slug and isinstance(check_in_id, str) and check_in_id):
        raise PoisonMessage("check-in without monitor_slug or check_in_id")
    if status not in _STATUSES:
        raise PoisonMessage(f"check-in status {status!r} is not one of {', '.join(_STATUSES)}")
    duration = data.get("duration")
    if duration is not None and not isinstance(duration, int | float):
        raise PoisonMessage("check-in duration is not a number")
    config = data.get("monitor_config")
    if config is not None and not (
        isinstance(config, dict)
        and config.keys() == _CONFIG_KEYS.keys()
        and all(isinstance(config[k], t) for k, t in _CONFIG_KEYS.items())
    ):
        raise PoisonMessage("check-in monitor_config is not in the shape ingest writes")
    return CheckIn(
        project_id=message.project_id,
        monitor_slug=slug[:64],
        check_in_id=check_in_id[:64],
        status=str(status),
        received_at=message.received_at,
        duration=float(duration) if duration is not None else None,
        environment=_text(data.get("environment"), 64),
        release=_text(data.get("release"), 200),
        config=config,
    )


def session_counts(message: InboxMessage) -> SessionCounts:
    """The counts one ``session``/``sessions`` item adds, in the minute it arrived."""
    data = _object(message)
    release, environment = data.get("release"), data.get("environment")
    if not (isinstance(release, str) and release and isinstance(environment, str)):
        raise PoisonMessage("session counts without release or environment")
    counts = [data.get(k) for k in ("started", "errored", "crashed", "abnormal")]
    started, errored, crashed, abnormal = (n if type(n) is int and n >= 0 else -1 for n in counts)
    if min(started, errored, crashed, abnormal) < 0:
        raise PoisonMessage("session counts are not whole numbers")
    sid = data.get("sid")
    return SessionCounts(
        project_id=message.project_id,
        environment=environment[:64],
        release=release[:200],
        bucket=message.received_at // 60 * 60,
        started=started,
        errored=errored,
        crashed=crashed,
        abnormal=abnormal,
        sid=sid if isinstance(sid, str) and sid else None,
        seen_at=message.received_at,
    )


def _object(message: InboxMessage) -> dict[str, Any]:
    try:
        data = orjson.loads(message.payload)
    except orjson.JSONDecodeError as error:
        raise PoisonMessage(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise PoisonMessage("not a JSON object")
    return data


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None

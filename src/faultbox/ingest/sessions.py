"""Release-health sessions (Sentry's ``session`` and ``sessions`` items) reduced at
the edge to the counts they add: started, errored, crashed, abnormal for one
release and environment.

One session is counted once per outcome, whatever number of updates its SDK sends:
``started`` by the update with ``init: true`` (the first one; the Python SDK sends a
single final update with it), ``crashed``/``abnormal``/``errored`` by the update
that ends it (status ``crashed``, ``abnormal``, or ``exited``/``errored`` with
``errors > 0``). Updates with status ``ok`` only keep a session alive. A session
that never ends counts as started, not crashed. ``errored`` excludes crashed and
abnormal sessions, as in an aggregate (``sessions``) item, whose buckets add
``exited + errored + crashed + abnormal`` started sessions. The session id travels
with the counts so that the store counts each session once even when its update
arrives twice (store/session_counts.py); aggregates carry no id.
"""

from __future__ import annotations

from typing import Any

from faultbox.ingest.errors import BadRequest

SESSION_STATUSES = ("ok", "exited", "crashed", "abnormal", "errored")
_MAX_COUNT = 1_000_000_000


def clean_session(payload: object, label: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BadRequest(f"{label} must be a JSON object")
    status = payload.get("status", "ok")
    if status not in SESSION_STATUSES:
        raise BadRequest(f"{label}: status must be one of {', '.join(SESSION_STATUSES)}")
    init = payload.get("init", False)
    if not isinstance(init, bool):
        raise BadRequest(f"{label}: init must be true or false")
    errors = _count(payload.get("errors", 0), f"{label}: errors")
    if not isinstance(payload.get("sid"), str):
        raise BadRequest(f"{label}: sid must be a string (the session id)")
    # Only the update that ends a session counts its outcome (see the module docstring).
    clean_end = status in ("exited", "errored")
    errored = clean_end and (errors > 0 or status == "errored")
    return {
        **_attrs(payload.get("attrs"), label),
        "sid": payload["sid"],
        "started": int(init),
        "errored": int(errored),
        "crashed": int(status == "crashed"),
        "abnormal": int(status == "abnormal"),
    }


def clean_sessions(payload: object, label: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BadRequest(f"{label} must be a JSON object")
    buckets = payload.get("aggregates")
    if not isinstance(buckets, list):
        raise BadRequest(f"{label}: aggregates must be a list")
    totals = {"started": 0, "errored": 0, "crashed": 0, "abnormal": 0}
    for i, bucket in enumerate(buckets):
        if not isinstance(bucket, dict):
            raise BadRequest(f"{label}: aggregates[{i}] must be an object")
        counts = {
            name: _count(bucket.get(name, 0), f"{label}: aggregates[{i}].{name}")
            for name in ("exited", "errored", "crashed", "abnormal")
        }
        totals["started"] += sum(counts.values())
        for name in ("errored", "crashed", "abnormal"):
            totals[name] += counts[name]
    return {**_attrs(payload.get("attrs"), label), **totals}


def _attrs(attrs: object, label: str) -> dict[str, str]:
    if not isinstance(attrs, dict) or not isinstance(attrs.get("release"), str):
        raise BadRequest(f"{label}: attrs.release is required (sessions count per release)")
    release, environment = attrs["release"], attrs.get("environment") or "production"
    if not isinstance(environment, str):
        raise BadRequest(f"{label}: attrs.environment must be a string")
    if not release or len(release) > 200 or len(environment) > 64:
        raise BadRequest(f"{label}: release (1–200) or environment (≤64 characters) out of range")
    return {"release": release, "environment": environment}


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_COUNT:
        raise BadRequest(f"{name} must be a whole number from 0 to {_MAX_COUNT}")
    return value

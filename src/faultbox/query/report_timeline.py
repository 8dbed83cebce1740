"""An issue's timeline for the analysis report: spikes, and the deploys around them.

**Spikes.** The hourly counts (``issue_hourly``) over the issue's active span — every
hour from its first-seen hour to its last-seen hour, at most the last
:data:`SPAN_HOURS`, hours without events counting as 0 — give a median. An hour is a
spike when its count is at least ``max(SPIKE_MIN_EVENTS, SPIKE_FACTOR × max(median,
1))``: five times a typical hour, and never fewer than ten events (so a quiet issue's
median of 0 or 1 does not turn every busy hour into a spike). Consecutive spike hours
form one spike; the :data:`MAX_SPIKES` largest by events are reported, oldest first.

**Deploys.** The project's deploys (``deploys`` joined to its ``releases``) within
:data:`DEPLOY_WINDOW` (2 h) before or after the first-seen time, and before the start
or after the end of each spike; ``offset_seconds`` is negative for a deploy before
the moment it is compared with.

**Suspect release.** The issue's first release (with its commit and URL when it was
registered) and the project's last deploy at or before the first-seen time.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from sqlalchemy import Connection, func, select

from faultbox.query.timefmt import iso
from faultbox.store.schema import deploys, issue_hourly, releases

SPAN_HOURS = 24 * 90
SPIKE_FACTOR = 5.0
SPIKE_MIN_EVENTS = 10
MAX_SPIKES = 10
DEPLOY_WINDOW = 2 * 3600.0
_MAX_DEPLOYS = 20  # per window


def spikes(conn: Connection, issue_id: int, first_seen: float, last_seen: float) -> dict[str, Any]:
    last_hour = int(last_seen // 3600)
    first_hour = max(int(first_seen // 3600), last_hour - SPAN_HOURS + 1)
    h = issue_hourly.c
    rows = conn.execute(
        select(h.hour, h.count).where(
            h.issue_id == issue_id, h.hour >= first_hour, h.hour <= last_hour
        )
    ).all()
    counts = {int(hour): int(n) for hour, n in rows if n > 0}
    span = last_hour - first_hour + 1
    typical = float(median([0] * (span - len(counts)) + sorted(counts.values())))
    threshold = max(SPIKE_MIN_EVENTS, SPIKE_FACTOR * max(typical, 1.0))
    runs: list[list[int]] = []
    for hour in sorted(hr for hr, n in counts.items() if n >= threshold):
        if runs and runs[-1][-1] == hour - 1:
            runs[-1].append(hour)
        else:
            runs.append([hour])
    biggest = sorted(runs, key=lambda run: -sum(counts[hr] for hr in run))[:MAX_SPIKES]
    found = []
    for run in sorted(biggest):
        peak = max(run, key=lambda hr: counts[hr])
        found.append(
            {
                "start": iso(run[0] * 3600),
                "end": iso((run[-1] + 1) * 3600),
                "hours": len(run),
                "events": sum(counts[hr] for hr in run),
                "peak_hour": iso(peak * 3600),
                "peak_count": counts[peak],
                "_window": (run[0] * 3600.0, (run[-1] + 1) * 3600.0),
            }
        )
    return {
        "span_hours": span,
        "median_hourly": typical,
        "spike_threshold": threshold,
        "spikes": found,
    }


def _deploy_select(project_id: int) -> Any:
    return (
        select(
            deploys.c.id,
            releases.c.version,
            releases.c.commit,
            releases.c.url,
            deploys.c.environment,
            deploys.c.deployed_at,
        )
        .join(releases, releases.c.id == deploys.c.release_id)
        .where(releases.c.project_id == project_id)
    )


def _deploy_json(row: Any, reference: float) -> dict[str, Any]:
    return {
        "release": row.version,
        "commit": row.commit,
        "url": row.url,
        "environment": row.environment,
        "deployed_at": iso(row.deployed_at),
        "offset_seconds": round(row.deployed_at - reference, 3),
    }


def deploys_near(
    conn: Connection, project_id: int, start: float, end: float | None = None
) -> list[dict[str, Any]]:
    """Deploys from ``DEPLOY_WINDOW`` before ``start`` to ``DEPLOY_WINDOW`` after
    ``end`` (default: ``start``), with their offset from ``start``."""
    end = start if end is None else end
    rows = conn.execute(
        _deploy_select(project_id)
        .where(
            deploys.c.deployed_at >= start - DEPLOY_WINDOW,
            deploys.c.deployed_at <= end + DEPLOY_WINDOW,
        )
        .order_by(deploys.c.deployed_at, deploys.c.id)
        .limit(_MAX_DEPLOYS)
    ).all()
    return [_deploy_json(row, start) for row in rows]


def timeline(
    conn: Connection, issue_id: int, project_id: int, first_seen: float, last_seen: float
) -> dict[str, Any]:
    found = spikes(conn, issue_id, first_seen, last_seen)
    for spike in found["spikes"]:
        start, end = spike.pop("_window")
        spike["deploys"] = deploys_near(conn, project_id, start, end)
    return {
        "first_seen": iso(first_seen),
        "last_seen": iso(last_seen),
        "deploys_near_first_seen": deploys_near(conn, project_id, first_seen),
        **found,
    }


def suspect_release(
    conn: Connection, project_id: int, first_release: str | None, first_seen: float
) -> dict[str, Any]:
    release = None
    if first_release is not None:
        row = conn.execute(
            select(
                releases.c.id,
                releases.c.version,
                releases.c.commit,
                releases.c.url,
                releases.c.created_at,
            ).where(releases.c.project_id == project_id, releases.c.version == first_release)
        ).first()
        first_deploy = (
            conn.execute(
                select(func.min(deploys.c.deployed_at)).where(deploys.c.release_id == row.id)
            ).scalar()
            if row is not None
            else None
        )
        release = {
            "version": first_release,
            "registered": row is not None,
            "commit": row.commit if row is not None else None,
            "url": row.url if row is not None else None,
            "created_at": iso(row.created_at) if row is not None else None,
            "first_deployed_at": iso(first_deploy),
        }
    before = conn.execute(
        _deploy_select(project_id)
        .where(deploys.c.deployed_at <= first_seen)
        .order_by(deploys.c.deployed_at.desc(), deploys.c.id.desc())
        .limit(1)
    ).first()
    deploy = None
    if before is not None:
        deploy = _deploy_json(before, first_seen)
        deploy["of_first_release"] = before.version == first_release
    return {"first_release": release, "deploy_before_first_seen": deploy}

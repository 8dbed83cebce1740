"""Read model of cron monitors and their runs, for the API and the dashboard."""

from __future__ import annotations

from typing import Any

from faultbox.lifecycle.monitors import schedule_of
from faultbox.query.timefmt import iso
from faultbox.store.monitors import CheckInRow, MonitorRow


def monitor_json(monitor: MonitorRow) -> dict[str, Any]:
    schedule = schedule_of(monitor)
    return {
        "slug": monitor.slug,
        "name": monitor.name,
        "status": monitor.status,
        "enabled": monitor.enabled,
        "schedule": {
            "type": schedule.type,
            "value": schedule.value,
            "description": schedule.describe(),
        },
        "timezone": monitor.timezone,
        "checkin_margin": monitor.checkin_margin_minutes,
        "max_runtime": monitor.max_runtime_minutes,
        "last_checkin_at": iso(monitor.last_checkin_at),
        "next_expected_at": iso(monitor.next_expected_at),
        "created_at": iso(monitor.created_at),
    }


def checkin_json(run: CheckInRow) -> dict[str, Any]:
    return {
        "check_in_id": run.checkin_id,
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration": run.duration,
        "environment": run.environment,
        "release": run.release,
        "received_at": iso(run.received_at),
    }

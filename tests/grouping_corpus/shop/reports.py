"""Daily reports for the back office."""

from __future__ import annotations

import logging
from datetime import date, datetime

from shop import db

log = logging.getLogger("shop.reports")


def parse_day(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").date()


def daily_revenue(day_text: str) -> str:
    day = parse_day(day_text)
    rows = db.revenue_rows(day.isoformat())
    return str(rows[0][0])


def nightly_summary(run_id: str, day_text: str, missing: int, shops: int) -> None:
    if missing:
        # An f-string, not logging's %-parameters: the ids land in the message itself.
        log.error(f"nightly report {run_id} for {day_text} incomplete: {missing}/{shops} shops")

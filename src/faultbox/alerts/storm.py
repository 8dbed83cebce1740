"""The one message that stands for many: a storm over a channel's limit, or the day's
digest email (alerts/dispatch.py decides when)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

from faultbox.alerts.channels.base import DigestItem, Notification
from faultbox.store.alert_channels import ChannelRow

MAX_DIGEST_ITEMS = 200  # listed in a storm message; the rest are counted


def storm_message(notifications: Sequence[Notification], channel: ChannelRow) -> Notification:
    """One message standing for many: the count, the worst severity, one line each."""
    first = notifications[0]
    severities = sorted({n.severity for n in notifications if n.severity})
    items = tuple(
        DigestItem(
            title=n.title, url=n.url, short_id=n.short_id, level=n.level, event_count=n.event_count
        )
        for n in notifications[:MAX_DIGEST_ITEMS]
    )
    more = len(notifications) - len(items)
    digest = channel.role == "digest_email"
    title = (
        f"Daily digest: {len(notifications)} alerts"
        if digest
        else f"{len(notifications)} alerts in {first.project or 'Faultbox'} (grouped: alert storm)"
    )
    text = (
        "These alerts were collected for the daily digest."
        if digest
        else f"More alerts than this channel's limit of {channel.storm_limit} per "
        f"{channel.storm_window_seconds} s: they are grouped in this one message."
    )
    if more:
        text += f" {more} more are not listed."
    return replace(
        first,
        kind="trigger",
        title=title,
        text=text,
        dedup_key=f"faultbox-storm-{channel.id}-{uuid.uuid4().hex[:12]}",
        severity=severities[0] if severities else "",
        short_id="",
        level="",
        culprit="",
        event_count=sum(n.event_count for n in notifications),
        first_seen="",
        last_seen="",
        url=first.url.rsplit("/issues/", 1)[0] if "/issues/" in first.url else first.url,
        items=items,
        ack_url="",
        reference="",
        report="",
    )

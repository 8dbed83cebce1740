"""The stats benchmark's data set: N events over M issues in four projects, 90 days.

Written straight into the store's tables of a migrated SQLite database (column lists
come from ``faultbox.store.schema``), because going through ingest would take an hour
for a million events. The shape aims at what the stats queries feel:

* events per issue follow a Zipf law (s = 1.1): a few issues hold most events;
* each issue lives in one service (15% also in a second one), events come from
  production (80%), staging (15%) or development (5%), and carry the release that was
  live in that environment at the time (a release every 3 days per project, staging a
  day ahead);
* 70% of events name a user, drawn Zipf-like from 20 000 users per project;
* payloads are valid zstd-packed JSON of 1–3 KB (what the SDK events compress to), so
  a scan over the events table reads as many pages as it would in production;
* the lifecycle: 70% of issues acknowledged by a person (exponential delays, mean 3 h),
  most of those resolved (mean 2 days), some verified or closed, some regressing after
  a resolution, 8% ignored; severities P0–P3, types, patterns linking ~600 issues.

Deterministic for a given seed and ``now``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
import random
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table

from faultbox.store import schema
from faultbox.store.payload import pack

DAY = 86_400.0
HOUR = 3_600.0
SPAN_DAYS = 90
PROJECTS = {  # slug: (share of issues, services)
    "web": (0.35, ["frontend", "checkout-ui", "search-ui"]),
    "api": (0.30, ["gateway", "orders", "inventory", "accounts"]),
    "payments": (0.20, ["payments", "ledger"]),
    "worker": (0.15, ["emails", "exports", "billing-jobs"]),
}
ENVIRONMENTS = (("production", 0.80), ("staging", 0.15), ("development", 0.05))
TYPES = [
    "TypeError",
    "ValueError",
    "KeyError",
    "AttributeError",
    "ConnectionError",
    "TimeoutError",
    "sqlalchemy.exc.IntegrityError",
    "sqlalchemy.exc.OperationalError",
    "java.lang.NullPointerException",
    "java.lang.IllegalStateException",
    "System.InvalidOperationException",
    "ReferenceError",
    "RangeError",
    "PermissionError",
    "redis.exceptions.ConnectionError",
    "stripe.error.CardError",
]
TAXONOMIES = ["runtime", "logic", "integration", "performance", "configuration", "security"]
SEVERITIES = (("P0", 0.02), ("P1", 0.10), ("P2", 0.40), ("P3", 0.48))
USERS_PER_PROJECT = 20_000
STAFF = 8  # people who triage


@dataclass
class Issue:
    id: int
    project_id: int
    short_id: int
    title: str
    level: str
    services: list[str]
    first_seen: float
    last_event: float
    n_events: int
    severity: str
    taxonomy: str | None
    status: str = "detected"
    status_changed_at: float | None = None
    acknowledged_at: float | None = None
    resolved_at: float | None = None
    regressed_at: float | None = None
    activity: list[tuple[Any, ...]] = field(default_factory=list)


def _insert_sql(table: Table, columns: Sequence[str]) -> str:
    # Column names checked against the schema, so the builder fails loudly when it drifts.
    for name in columns:
        table.c[name]  # noqa: B018
    quoted = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(columns))})"


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _zipf_counts(n_items: int, total: int, s: float, rng: random.Random) -> list[int]:
    """Counts summing to ``total``, at least 1 each, Zipf-distributed over a shuffled order."""
    weights = [1 / (rank**s) for rank in range(1, n_items + 1)]
    scale = (total - n_items) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    counts[0] += total - sum(counts)
    rng.shuffle(counts)
    return counts


def _payload_pool(rng: random.Random, n: int = 48) -> list[bytes]:
    pool = []
    for _ in range(n):
        size = rng.randint(1_000, 3_000)
        # base64-ish noise compresses ~25%: pad until the packed blob has the target size.
        noise = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789+/", k=int(size * 1.3)))
        pool.append(pack({"event_id": "0" * 32, "message": "benchmark", "extra": {"x": noise}}))
    return pool


def _release(project: str, environment: str, ts: float, t0: float) -> str:
    if environment == "development":
        return f"{project}@dev"
    k = int((ts - t0) // (3 * DAY)) + (1 if environment == "staging" else 0)
    return f"{project}@1.{k}.0"


def _plan_issues(
    rng: random.Random, project_ids: dict[str, int], n_issues: int, n_events: int, now: float
) -> list[Issue]:
    counts = _zipf_counts(n_issues, n_events, 1.1, rng)
    slugs = list(PROJECTS)
    shares = [PROJECTS[s][0] for s in slugs]
    short_ids: Counter[str] = Counter()
    start = now - SPAN_DAYS * DAY
    planned = []
    for i, n in enumerate(counts):
        slug = rng.choices(slugs, weights=shares)[0]
        short_ids[slug] += 1
        services = [rng.choice(PROJECTS[slug][1])]
        if rng.random() < 0.15:
            services.append(rng.choice(PROJECTS[slug][1]))
        # Busy issues are older and live longer; the tail is short-lived.
        first = start + rng.random() * (SPAN_DAYS * DAY - HOUR)
        lifetime = max(HOUR, rng.expovariate(1 / (20 * DAY)) * (1 + math.log10(n)))
        kind = rng.choice(TYPES)
        title = (
            f"{kind}: failure {i} in {services[0]}"
            if rng.random() < 0.9
            else f"Request to {services[0]} failed with status {500 + i % 4} (case {i})"
        )
        planned.append(
            Issue(
                id=i + 1,
                project_id=project_ids[slug],
                short_id=short_ids[slug],
                title=title,
                level=_weighted(rng, (("error", 0.8), ("fatal", 0.03), ("warning", 0.17))),
                services=services,
                first_seen=first,
                last_event=min(now - 60, first + lifetime),
                n_events=n,
                severity=_weighted(rng, SEVERITIES),
                taxonomy=rng.choice(TAXONOMIES) if rng.random() < 0.9 else None,
            )
        )
    return planned


def _lifecycle(rng: random.Random, issue: Issue, staff: list[int], now: float) -> None:
    """Status history and its activity rows (issue_id, project_id, user_id, kind, field,
    old, new, created_at)."""
    log = issue.activity

    def entry(user: int | None, kind: str, fld: str | None, old: Any, new: Any, at: float) -> None:
        log.append((issue.id, issue.project_id, user, kind, fld, old, new, at))

    entry(None, "created", None, None, "detected", issue.first_seen)
    entry(None, "severity", "severity", None, issue.severity, issue.first_seen)

    def move(user: int | None, new: str, at: float) -> None:
        entry(user, "status", "status", issue.status, new, at)
        issue.status, issue.status_changed_at = new, at

    roll = rng.random()
    person = rng.choice(staff)
    if roll < 0.08:
        at = issue.first_seen + rng.expovariate(1 / (6 * HOUR))
        if at < now:
            move(person, "ignored", at)
            issue.acknowledged_at = at
        return
    if roll > 0.78:
        return  # nobody looked yet
    at = issue.first_seen + rng.expovariate(1 / (3 * HOUR))
    if at >= now:
        return
    issue.acknowledged_at = at
    move(person, "investigating", at)
    if rng.random() < 0.3:
        entry(person, "comment", None, None, str(issue.id), at + 600)
    for _cycle in range(3):
        resolved = at + rng.expovariate(1 / (2 * DAY))
        if resolved >= now or rng.random() < 0.15:
            if rng.random() < 0.5 and at + HOUR < now:
                move(person, "in_progress", at + HOUR)
            return
        move(person, "resolved", resolved)
        issue.resolved_at = resolved
        issue.last_event = min(issue.last_event, resolved)
        if rng.random() < 0.08:  # a regression: a newer release sends the error again
            back = resolved + rng.expovariate(1 / (5 * DAY))
            if back < now:
                entry(None, "regression", None, None, "new release", back)
                move(None, "detected", back)
                issue.regressed_at = back
                issue.resolved_at = None
                issue.last_event = max(issue.last_event, min(now - 60, back + 2 * DAY))
                at = back + rng.expovariate(1 / (2 * HOUR))
                if at >= now:
                    return
                move(person, "investigating", at)
                continue
        later = resolved + rng.expovariate(1 / DAY)
        if later < now and rng.random() < 0.5:
            move(person, "verified" if rng.random() < 0.6 else "closed", later)
        return


def _events_of(
    rng: random.Random, issue: Issue, slug: str, t0: float, cum_users: list[float]
) -> Iterable[tuple[float, str, str, str | None, str | None]]:
    """(timestamp, environment, service, release, user_key) for each event."""
    span = max(0.0, issue.last_event - issue.first_seen)
    envs = [e for e, _ in ENVIRONMENTS]
    env_w = list(itertools.accumulate(w for _, w in ENVIRONMENTS))
    for k in range(issue.n_events):
        ts = issue.first_seen if k == 0 else issue.first_seen + rng.random() * span
        env = rng.choices(envs, cum_weights=env_w)[0]
        service = (
            issue.services[-1]
            if len(issue.services) > 1 and rng.random() < 0.2
            else (issue.services[0])
        )
        user = None
        if rng.random() < 0.7:
            u = bisect.bisect_left(cum_users, rng.random() * cum_users[-1])
            user = f"id:{slug}-{u}"
        yield ts, env, service, _release(slug, env, ts, t0), user


def build(
    db_path: Path, *, n_events: int, n_issues: int, now: float, seed: int = 7
) -> dict[str, Any]:
    """Fill a migrated, empty store (only accounts may exist) and return what was built."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("BEGIN")
    team_id = conn.execute("SELECT id FROM teams ORDER BY id LIMIT 1").fetchone()[0]
    staff = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
    project_ids: dict[str, int] = {}
    for slug in PROJECTS:
        cur = conn.execute(
            _insert_sql(
                schema.projects, ["team_id", "slug", "name", "issue_counter", "created_at"]
            ),
            (team_id, slug, slug, 0, now - 400 * DAY),
        )
        project_ids[slug] = int(cur.lastrowid or 0)
    slug_of = {v: k for k, v in project_ids.items()}
    planned = _plan_issues(rng, project_ids, n_issues, n_events, now)
    for issue in planned:
        _lifecycle(rng, issue, staff, now)
    cum_users = list(itertools.accumulate(1 / (r**0.9) for r in range(1, USERS_PER_PROJECT + 1)))
    pool = _payload_pool(rng)
    t0 = now - SPAN_DAYS * DAY

    events: list[tuple[Any, ...]] = []
    hourly: Counter[tuple[int, int]] = Counter()
    tags: dict[tuple[int, str, str], list[float]] = {}
    users: dict[int, set[str]] = defaultdict(set)
    releases: dict[int, set[str]] = defaultdict(set)
    first_last_release: dict[int, tuple[str, str]] = {}
    for issue in planned:
        slug = slug_of[issue.project_id]
        rows = sorted(_events_of(rng, issue, slug, t0, cum_users))
        first_last_release[issue.id] = (rows[0][3] or "", rows[-1][3] or "")
        for ts, env, service, release, user in rows:
            events.append(
                (
                    issue.project_id,
                    os.urandom(16).hex(),
                    issue.id,
                    ts,
                    ts + 0.2,
                    issue.level,
                    "python",
                    release,
                    env,
                    service,
                    user,
                    issue.title,
                    f"{issue.id:064x}",
                    pool[len(events) % len(pool)],
                )
            )
            hourly[(issue.id, int(ts // HOUR))] += 1
            for key, value in (
                ("level", issue.level),
                ("environment", env),
                ("release", release),
                ("service", service),
            ):
                if value is None:
                    continue
                cur_tag = tags.get((issue.id, key, value))
                if cur_tag is None:
                    tags[(issue.id, key, value)] = [1, ts, ts]
                else:
                    cur_tag[0] += 1
                    cur_tag[1] = min(cur_tag[1], ts)
                    cur_tag[2] = max(cur_tag[2], ts)
            if user:
                users[issue.id].add(user)
            if release:
                releases[issue.project_id].add(release)
        issue.last_event = rows[-1][0]

    for issue in planned:
        first_rel, last_rel = first_last_release[issue.id]
        conn.execute(
            _insert_sql(
                schema.issues,
                [
                    "id",
                    "project_id",
                    "short_id",
                    "title",
                    "culprit",
                    "level",
                    "status",
                    "platform",
                    "first_seen",
                    "last_seen",
                    "times_seen",
                    "users_seen",
                    "first_release",
                    "last_release",
                    "grouping_version",
                    "status_changed_at",
                    "severity",
                    "severity_reason",
                    "taxonomy",
                    "acknowledged_at",
                    "resolved_at",
                    "regressed_at",
                    "is_regression",
                    "resolve_in_next_release",
                ],
            ),
            (
                issue.id,
                issue.project_id,
                issue.short_id,
                issue.title,
                f"app.{issue.services[0]}.handlers in handle",
                issue.level,
                issue.status,
                "python",
                issue.first_seen,
                issue.last_event,
                issue.n_events,
                len(users[issue.id]),
                first_rel,
                last_rel,
                "v2",
                issue.status_changed_at,
                issue.severity,
                "level:error",
                issue.taxonomy,
                issue.acknowledged_at,
                issue.resolved_at,
                issue.regressed_at,
                issue.regressed_at is not None,
                False,
            ),
        )
    conn.executemany(
        _insert_sql(schema.issue_hashes, ["project_id", "hash", "grouping_version", "issue_id"]),
        [(i.project_id, f"{i.id:064x}", "v2", i.id) for i in planned],
    )
    for pid in project_ids.values():
        n = sum(1 for i in planned if i.project_id == pid)
        conn.execute("UPDATE projects SET issue_counter = ? WHERE id = ?", (n, pid))
    # Events in arrival order, as the digest writes them (ids follow time).
    events.sort(key=lambda e: e[3])
    conn.executemany(
        _insert_sql(
            schema.events,
            [
                "project_id",
                "event_id",
                "issue_id",
                "timestamp",
                "received_at",
                "level",
                "platform",
                "release",
                "environment",
                "service",
                "user_key",
                "title",
                "grouping_hash",
                "payload",
            ],
        ),
        events,
    )
    n_stored = len(events)
    del events
    conn.executemany(
        _insert_sql(schema.issue_hourly, ["issue_id", "hour", "count"]),
        [(i, h, n) for (i, h), n in sorted(hourly.items())],
    )
    conn.executemany(
        _insert_sql(
            schema.issue_tags, ["issue_id", "key", "value", "times_seen", "first_seen", "last_seen"]
        ),
        [(i, k, v, int(c[0]), c[1], c[2]) for (i, k, v), c in sorted(tags.items())],
    )
    conn.executemany(
        _insert_sql(schema.issue_users, ["issue_id", "user_key"]),
        [(i, u) for i, keys in sorted(users.items()) for u in sorted(keys)],
    )
    activity = sorted((a for i in planned for a in i.activity), key=lambda a: a[-1])
    conn.executemany(
        _insert_sql(
            schema.issue_activity,
            [
                "issue_id",
                "project_id",
                "user_id",
                "kind",
                "field",
                "old_value",
                "new_value",
                "created_at",
            ],
        ),
        activity,
    )
    conn.executemany(
        _insert_sql(schema.releases, ["project_id", "version", "created_at"]),
        [(pid, v, now) for pid, vs in sorted(releases.items()) for v in sorted(vs)],
    )
    n_patterns = 40
    for number in range(1, n_patterns + 1):
        conn.execute(
            _insert_sql(
                schema.patterns, ["id", "team_id", "number", "title", "created_at", "updated_at"]
            ),
            (number, team_id, number, f"Pattern {number}", now, now),
        )
    linked = rng.sample(planned, k=min(len(planned), 600))
    conn.executemany(
        _insert_sql(schema.pattern_issues, ["pattern_id", "issue_id"]),
        [(1 + k % n_patterns, issue.id) for k, issue in enumerate(linked)],
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {
        "projects": list(PROJECTS),
        "events": n_stored,
        "issues": len(planned),
        "hourly_rows": len(hourly),
        "tag_rows": len(tags),
        "activity_rows": len(activity),
        "resolved_issues": sum(1 for i in planned if i.resolved_at is not None),
    }

"""Search benchmark: the issue list with search queries on N issues (default 10 000).

Stores N issues through ``store_batch`` (2 events each: an exception with frames, a
message, tags, a URL, a user), then times ``list_issues`` (a page of 50) for each
query: median and max of ``--runs`` runs, in ms.  SQLite in a temporary directory,
or ``--database-url postgresql://…`` (the database must be empty; it is migrated).

    python benchmarks/search.py --issues 10000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faultbox.model import Event, ExceptionValue, Frame, Grouping, Level, event_to_dict  # noqa: E402
from faultbox.query.issues import IssueFilters, list_issues  # noqa: E402
from faultbox.query.search import SearchQuery  # noqa: E402
from faultbox.store import migrate  # noqa: E402
from faultbox.store.accounts import ensure_team  # noqa: E402
from faultbox.store.batch import ProcessedEvent, store_batch  # noqa: E402
from faultbox.store.db import open_engine, read_connection, write_transaction  # noqa: E402
from faultbox.store.payload import pack  # noqa: E402
from faultbox.store.projects import create_project  # noqa: E402
from faultbox.store.schema import issues  # noqa: E402
from ingest import cpu_calibration_us  # noqa: E402

QUERIES = [
    "",
    "is:unresolved",
    "TimeoutError",  # an exception type: 2 issues in 10
    '"gateway timed out"',
    "reserve_stock_17",  # a function of one issue in 1000
    "charg*",
    "level:error service:api",
    "!browser:Safari",
    "url:*/checkout*",
    "user.id:42",
    "times-seen:>1 first-seen:-30d",
    "severity:<=P1 is:unresolved",
    'is:unresolved level:error "timed out" !browser:Safari',
]
KINDS = [
    ("TimeoutError", "gateway timed out after 30s", "charge_card"),
    ("ValueError", "invalid quantity {n}", "update_cart"),
    ("KeyError", "sku-{n}", "reserve_stock_{m}"),
    ("ConnectionError", "connection refused by db-{m}", "open_pool"),
    ("PermissionError", "user {n} may not see order", "check_access"),
]


def _event(project_id: int, n: int, now: float) -> ProcessedEvent:
    type_, value, function = KINDS[n % len(KINDS)] if n % 10 else KINDS[0]
    value, function = value.format(n=n, m=n % 1000), function.format(n=n, m=n % 1000)
    frames = tuple(
        Frame(
            function=f"layer_{k}" if k else function,
            module=f"shop.mod{k}",
            filename=f"shop/mod{k}.py",
            context_line=f"result = step_{k}(payload, retries={k})",
            in_app=True,
        )
        for k in range(12)
    )
    event = Event(
        event_id=uuid.uuid4().hex,
        project_id=project_id,
        timestamp=now - (n % 5000) * 60,
        received_at=now,
        platform="python",
        level=[Level.ERROR, Level.WARNING, Level.ERROR, Level.FATAL][n % 4],
        message=f"{type_}: {value}",
        exceptions=(ExceptionValue(type_, value, frames=tuple(reversed(frames))),),
        environment=["production", "staging"][n % 2],
        release=f"1.{n % 7}.0",
        service=["api", "worker", "web"][n % 3],
        tags={
            "service": ["api", "worker", "web"][n % 3],
            "browser.name": ["Chrome", "Safari"][n % 2],
        },
        user={"id": str(n % 100)},
        request={"url": f"https://shop.example.com/{['checkout', 'cart', 'orders'][n % 3]}/{n}"},
    )
    grouping = Grouping(f"{n:032x}", "v2", f"{type_}: {value}", f"shop.mod0 in {function}", ())
    return ProcessedEvent(event, grouping, pack(event_to_dict(event)))


def populate(engine: Engine, count: int) -> int:
    with write_transaction(engine) as conn:
        project = create_project(conn, name="search", team_id=ensure_team(conn, "bench"))
    now = time.time()
    for start in range(0, count, 500):
        batch = [_event(project.id, n, now) for n in range(start, min(count, start + 500))]
        with write_transaction(engine) as conn:
            store_batch(
                conn, batch + [_event(project.id, n, now) for n in range(start, start + 50)]
            )
    with write_transaction(engine) as conn:
        for s in ("P0", "P1", "P2", "P3"):  # a spread of severities for the severity sort
            conn.execute(
                update(issues)
                .where(issues.c.id % 5 == int(s[1]), issues.c.project_id == project.id)
                .values(severity=s)
            )
        conn.execute(update(issues).where(issues.c.id % 5 == 4).values(severity=None))
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return project.id


def _time(
    engine: Engine, project_id: int, query: str, sort: str, runs: int
) -> tuple[float, float, int]:
    filters = IssueFilters(search=SearchQuery.parse(query) if query else None)
    times, found = [], 0
    for _ in range(runs):
        with read_connection(engine) as conn:
            started = time.perf_counter()
            page, _ = list_issues(conn, project_id, filters, sort=sort, limit=50)
            times.append((time.perf_counter() - started) * 1000)
            found = len(page)
    return statistics.median(times), max(times), found


def _deep_page(engine: Engine, project_id: int, sort: str, pages: int) -> float:
    """ms for the page after ``pages`` pages of 50 (keyset: the same as the first)."""
    cursor = None
    with read_connection(engine) as conn:
        for _ in range(pages):
            _, cursor = list_issues(
                conn, project_id, IssueFilters(), sort=sort, cursor=cursor, limit=50
            )
        started = time.perf_counter()
        list_issues(conn, project_id, IssueFilters(), sort=sort, cursor=cursor, limit=50)
        return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faultbox-search-bench-") as tmp:
        engine = open_engine(args.database_url or f"sqlite:///{Path(tmp) / 'store.sqlite3'}")
        migrate.upgrade(engine)
        started = time.perf_counter()
        project_id = populate(engine, min(args.issues, 200_000))
        took = time.perf_counter() - started
        print(f"{engine.dialect.name}: {args.issues} issues stored in {took:.1f} s")
        print(f"calibration {cpu_calibration_us():.1f} µs")
        print(f"{'query':58} {'sort':10} {'median':>8} {'max':>8} {'rows':>5}")
        for query in QUERIES:
            median, worst, rows = _time(engine, project_id, query, "last_seen", args.runs)
            print(
                f"{query or '(none)':58} {'last_seen':10} {median:7.1f}ms {worst:7.1f}ms {rows:5}"
            )
        for sort in ("severity", "times_seen", "users"):
            median, worst, rows = _time(engine, project_id, "is:unresolved", sort, args.runs)
            print(f"{'is:unresolved':58} {sort:10} {median:7.1f}ms {worst:7.1f}ms {rows:5}")
        for sort in ("severity", "last_seen"):
            deep = _deep_page(engine, project_id, sort, min(100, args.issues // 50 - 1))
            print(f"{'(none), page 101':58} {sort:10} {deep:7.1f}ms")
        engine.dispose()


if __name__ == "__main__":
    main()

"""Dashboard benchmark: server time of the issue stream and issue pages on a large store.

Builds the stats benchmark's store (1 000 000 events / 10 000 issues in SQLite, see
stats_data.py; reused through stats.prepare), then makes it look like a digested one
where the pages look:

* the newest ``EVENTS_WITH_REAL_PAYLOAD`` events of every issue (and the oldest event
  of the issues measured below) get a real normalized event as payload (captured from
  sentry-sdk, run through the digest pipeline: chained frames with context and locals,
  breadcrumbs, user, tags, contexts; ~3 KB packed), retitled after their issue;
* the issue search index (migration 0008) is filled from them with
  ``store.search_index.rebuild_documents``, as the migration's backfill does.

Then it starts ``faultbox serve --no-worker`` on 127.0.0.1, signs in through /login
(the session cookie of a superuser), and per run sends each page 3 warm-up requests
and then ``--requests`` sequential ones over one keep-alive connection; prints
p50/p95/p99 per run and the medians over the runs. The REST API's issue list (bearer
token), measured the same way in the same run, is the baseline the pages' ratios are
quoted against.

    python benchmarks/dashboard.py [--runs 3] [--requests 200] [--data-dir DIR]

Loops are bounded in count and time; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import copy
import html
import http.client
import os
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faultbox.accounts.passwords import hash_password  # noqa: E402
from faultbox.digest.pipeline import ProjectConfig, process_event  # noqa: E402
from faultbox.queue.base import InboxMessage, IngestMeta, Kind  # noqa: E402
from faultbox.scrub_config import ScrubConfig  # noqa: E402
from faultbox.store.accounts import get_user_by_email, set_password_hash  # noqa: E402
from faultbox.store.db import open_engine, write_transaction  # noqa: E402
from faultbox.store.payload import pack, unpack  # noqa: E402
from faultbox.store.search_index import rebuild_documents  # noqa: E402
from sdk_payloads import capture  # noqa: E402
from stats import cpu_calibration_us, percentile, prepare, spawn  # noqa: E402

MAX_SECONDS_PER_PAGE = 120
TARGET_P95_MS = 150.0
PROJECT = "web"
EMAIL, PASSWORD = "dev0@example.com", "benchmark-pass"
EVENTS_WITH_REAL_PAYLOAD = 5
DEEP_PAGES = 20
READY_MARK = "dashboard-ready"
_LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_NEXT = re.compile(r'<a href="([^"]+)"[^>]*data-next-page')


Figures = tuple[float, float, float, float, float]  # p50, p95, p99, first, CPU ms


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]
    api: bool = False


# --- the data set -----------------------------------------------------------------


def _templates() -> list[dict[str, Any]]:
    """Four normalized events as the digest stores them (exception kinds differ)."""
    out = []
    for raw in capture(4):
        item = orjson.loads(raw.split(b"\n")[2])
        message = InboxMessage(
            id=1,
            project_id=1,
            kind=Kind.SENTRY_EVENT,
            event_id=item["event_id"],
            received_at=time.time(),
            payload=orjson.dumps(item),
            meta=IngestMeta(),
            attempts=0,
        )
        out.append(unpack(process_event(message, ProjectConfig(scrub=ScrubConfig())).payload))
    return out


def _payload(template: dict[str, Any], row: tuple[Any, ...], issue: tuple[Any, ...]) -> bytes:
    """The template as this event of this issue: ids, time, release, title."""
    event_id, project_id, ts, release, environment, service, user_key = row
    issue_id, title, level = issue
    data = copy.deepcopy(template)
    kind, _, value = title.partition(": ")
    data.update(
        event_id=event_id,
        project_id=project_id,
        timestamp=ts,
        received_at=ts + 0.2,
        level=level,
        release=release,
        environment=environment,
        service=service,
    )
    data["tags"] = {**data.get("tags", {}), "service": service or ""}
    if user_key:
        data["user"] = {"id": user_key, "email": f"{user_key}@example.com"}
    exc = data["exceptions"][-1]
    exc["type"] = kind if value else "RuntimeError"
    exc["value"] = value or title
    if exc["frames"]:
        exc["frames"][-1]["function"] = f"handle_{issue_id % 97}"
    return pack(data)


def enrich(db: Path) -> None:
    """Real payloads for the events the pages read, and the search index filled."""
    started = time.perf_counter()
    templates = _templates()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    issues = {int(r[0]): r for r in conn.execute("SELECT id, title, level FROM issues")}
    rows = conn.execute(
        "SELECT id, event_id, project_id, timestamp, release, environment, service, user_key,"
        " issue_id FROM (SELECT *, row_number() OVER"
        " (PARTITION BY issue_id ORDER BY timestamp DESC) AS k FROM events)"
        " WHERE k <= ?",
        (EVENTS_WITH_REAL_PAYLOAD,),
    ).fetchall()
    oldest = conn.execute(
        "SELECT id, event_id, project_id, timestamp, release, environment, service, user_key,"
        " issue_id FROM events WHERE id IN (SELECT min(id) FROM events GROUP BY issue_id)"
    ).fetchall()
    updates = [
        (_payload(templates[r[8] % len(templates)], r[1:8], issues[r[8]]), r[0])
        for r in [*rows, *oldest]
    ]
    conn.executemany("UPDATE events SET payload = ? WHERE id = ?", updates)
    conn.execute("COMMIT")
    conn.close()
    print(f"real payloads for {len(updates)} events in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    engine = open_engine(f"sqlite:///{db}")
    ids = sorted(issues)
    with write_transaction(engine) as sa_conn:
        for start in range(0, len(ids), 2000):
            rebuild_documents(
                sa_conn, ids[start : start + 2000], events_per_issue=EVENTS_WITH_REAL_PAYLOAD
            )
    engine.dispose()
    print(f"search index filled for {len(ids)} issues in {time.perf_counter() - started:.0f} s")


def prepare_dashboard(data_dir: Path, n_events: int, n_issues: int) -> str:
    token = prepare(data_dir, n_events, n_issues)
    db = data_dir / "faultbox.sqlite3"
    if not (data_dir / READY_MARK).exists():
        enrich(db)
        (data_dir / READY_MARK).write_text("payloads and search index\n")
    engine = open_engine(f"sqlite:///{db}")
    with write_transaction(engine) as conn:
        user = get_user_by_email(conn, EMAIL)
        set_password_hash(conn, user.id, hash_password(PASSWORD))
    engine.dispose()
    return token


# --- what to measure ------------------------------------------------------------------


def sign_in(port: int) -> str:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        page = client.get("/login")
        token = _LOGIN_CSRF.search(page.text)
        if token is None:
            raise SystemExit(f"/login: no CSRF token (HTTP {page.status_code})")
        response = client.post(
            "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        if response.status_code != 303:
            raise SystemExit(f"/login: HTTP {response.status_code}")
        return f"fb_session={client.cookies['fb_session']}"


def targets(db: Path, port: int, cookie: str, token: str) -> tuple[list[Target], dict[str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    pid = conn.execute("SELECT id FROM projects WHERE slug = ?", (PROJECT,)).fetchone()[0]
    busy_id, busy_n = conn.execute(
        "SELECT id, times_seen FROM issues WHERE project_id = ? ORDER BY times_seen DESC LIMIT 1",
        (pid,),
    ).fetchone()
    # A quiet issue: the fewest events, unresolved; the number in its title is the
    # rare search word.
    quiet_id, quiet_n, quiet_title = conn.execute(
        "SELECT id, times_seen, title FROM issues WHERE project_id = ?"
        " AND title LIKE '%failure % in%' ORDER BY status IN ('resolved', 'closed',"
        " 'verified', 'ignored'), times_seen, id DESC LIMIT 1",
        (pid,),
    ).fetchone()
    rare = re.search(r"failure (\d+) in", quiet_title)
    assert rare is not None
    old_event, latest_event = (
        conn.execute(
            f"SELECT event_id FROM events WHERE issue_id = ? ORDER BY timestamp {order} LIMIT 1",
            (busy_id,),
        ).fetchone()[0]
        for order in ("ASC", "DESC")
    )
    release = conn.execute(
        "SELECT value FROM issue_tags t JOIN issues i ON i.id = t.issue_id"
        " WHERE i.project_id = ? AND t.key = 'release' AND t.value LIKE ?"
        " GROUP BY value ORDER BY count(*) DESC LIMIT 1",
        (pid, f"{PROJECT}@1.%"),
    ).fetchone()[0]
    conn.close()
    many, few = "frontend", rare.group(1)
    page = {"cookie": cookie, "accept": "text/html"}
    htmx = {**page, "hx-request": "true"}
    api = {"authorization": f"Bearer {token}"}
    stream = f"/projects/{PROJECT}/issues"
    api_list = f"/api/v1/projects/{PROJECT}/issues"
    level_release = f"level:error release:{release}"
    q_many, q_few = quote(f"is:unresolved {many}"), quote(f"is:unresolved {few}")
    deep = deep_page(port, page, stream)
    facts = {
        "busy issue": f"{busy_id} ({busy_n} events)",
        "quiet issue": f"{quiet_id} ({quiet_n} events)",
        "many": many,
        "few": few,
        "release": release,
        "deep": deep[1],
    }
    found = [
        Target("API list is:unresolved (baseline)", f"{api_list}?query=is%3Aunresolved", api, True),
        Target(f"API list {many!r}", f"{api_list}?query={q_many}", api, True),
        Target("API list level+release", f"{api_list}?query={quote(level_release)}", api, True),
        Target("stream is:unresolved (default)", stream, page),
        Target("stream htmx fragment", stream, htmx),
        Target(f"stream text {many!r} (many)", f"{stream}?q={q_many}", page),
        Target(f"stream text {few!r} (few)", f"{stream}?q={q_few}", page),
        Target("stream level:error release:…", f"{stream}?q={quote(level_release)}", page),
        Target("stream sort=events", f"{stream}?sort=times_seen", page),
        Target("stream sort=users", f"{stream}?sort=users", page),
        Target("stream sort=severity", f"{stream}?sort=severity", page),
        Target(f"stream page {deep[1]} (cursor)", deep[0], page),
        Target("issue page, busy", f"/issues/{busy_id}", page),
        Target("issue page, quiet", f"/issues/{quiet_id}", page),
        Target("issue page ?event=<oldest>", f"/issues/{busy_id}?event={old_event}", page),
        Target("similar panel (busy)", f"/issues/{busy_id}/similar", htmx),
        Target("grouping panel (busy)", f"/issues/{busy_id}/grouping?event={latest_event}", htmx),
    ]
    return found, facts


def deep_page(port: int, headers: dict[str, str], first: str) -> tuple[str, str]:
    """The stream page reached by following `next` links DEEP_PAGES times."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    path, depth = first, 1
    for _ in range(DEEP_PAGES):
        status, body = _get(conn, path, headers)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        found = _NEXT.search(body.decode())
        if found is None:
            break
        path, depth = html.unescape(found.group(1)), depth + 1
    conn.close()
    return path, str(depth)


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(port: int, target: Target, n: int, server_pid: int) -> Figures:
    """p50, p95, p99 after the warm-up, the first request's time (cold caches) and
    the server's mean CPU time per measured request (what the machine's other load
    does not inflate)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    first = cpu_before = 0.0
    deadline = time.monotonic() + MAX_SECONDS_PER_PAGE
    for k in range(n + 3):
        started = time.perf_counter()
        status, body = _get(conn, target.path, target.headers)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"{target.path}: HTTP {status}: {body[:300]!r}")
        if k == 0:
            first = elapsed * 1000
        if k == 2:
            cpu_before = cpu_seconds(server_pid)
        if k >= 3:  # warm-up: statement compilation, template cache, pools
            latencies.append(elapsed * 1000)
        if time.monotonic() > deadline and len(latencies) >= 5:
            print(f"  ({target.name}: stopped after {len(latencies)} requests, time bound)")
            break
    cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / len(latencies)
    conn.close()
    latencies.sort()
    return (
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(latencies, 99),
        first,
        cpu_ms,
    )


# --- the run ----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=18_791)
    parser.add_argument("--data-dir", help="build into (or reuse) this dir instead of a temp one")
    parser.add_argument("--only", help="measure only the pages whose name contains this")
    args = parser.parse_args()
    # A terminated run still stops its server and removes its temporary store.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    tmp = None
    if args.data_dir:
        data_dir = Path(args.data_dir).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="faultbox-dashboard-bench-")
        data_dir = Path(tmp.name)
    proc = None
    try:
        token = prepare_dashboard(data_dir, args.events, args.issues)
        proc = spawn(data_dir, args.port)
        cookie = sign_in(args.port)
        pages, facts = targets(data_dir / "faultbox.sqlite3", args.port, cookie, token)
        if args.only:
            pages = [p for p in pages if p.api and "baseline" in p.name or args.only in p.name]
        print("targets: " + ", ".join(f"{k} {v}" for k, v in facts.items()))
        runs: list[dict[str, Figures]] = []
        for run in range(args.runs):
            calibration = cpu_calibration_us()
            results = {p.name: measure(args.port, p, args.requests, proc.pid) for p in pages}
            runs.append(results)
            print(f"run {run + 1} (cpu-calibration {calibration:.1f} us):")
            for name, (p50, p95, p99, first, cpu) in results.items():
                print(
                    f"  {name:40s} p50 {p50:7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f}"
                    f"  first {first:7.1f}  cpu {cpu:6.1f} ms"
                )
        print_table(runs, pages, args)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        if tmp is not None:
            tmp.cleanup()


def print_table(
    runs: list[dict[str, Figures]],
    pages: list[Target],
    args: argparse.Namespace,
) -> None:
    def med(name: str, k: int) -> float:
        return statistics.median(r[name][k] for r in runs)

    base = pages[0].name
    print(
        f"\nmedians of {len(runs)} runs, {args.requests} requests each ({args.events} events, "
        f"{args.issues} issues; {os.cpu_count()} cores):\n"
    )
    print(
        "| page | p50 ms | p95 ms | p99 ms | p50 ÷ API p50 | server CPU ms/request "
        f"| first request ms (run 1) | p95 < {TARGET_P95_MS:.0f} ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for page in pages:
        p50, p95, p99 = med(page.name, 0), med(page.name, 1), med(page.name, 2)
        ratio = f"{p50 / med(base, 0):.1f}"
        first = runs[0][page.name][3]
        ok = "yes" if p95 < TARGET_P95_MS else "**no**"
        print(
            f"| {page.name} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {ratio} "
            f"| {med(page.name, 4):.1f} | {first:.0f} | {ok} |"
        )


if __name__ == "__main__":
    main()

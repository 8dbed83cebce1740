"""The analysis report (GET /api/v1/issues/{id}/report) on a crafted data set.

Issue A has 50 events over 20 hours: one an hour, except 16 in each of hours 8 and 9
(one spike of two hours); 46 of them come from Safari 17, against 75 of the
project's 300 events. Deploys: shop@1.2.0 30 minutes before A's first event, shop@1.2.1
an hour before the spike, shop@1.3.0 far from both, and one of another project at the
first-seen time (never shown). Issue B is the rest of the project.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sentry_sdk
from markdown_it import MarkdownIt
from sqlalchemy import update

from faultbox.model import Event, ExceptionValue, Frame, Grouping, event_to_dict
from faultbox.store.accounts import add_member, create_token, create_user, ensure_team
from faultbox.store.activity import Activity, record
from faultbox.store.batch import ProcessedEvent, store_batch
from faultbox.store.db import write_transaction
from faultbox.store.payload import pack
from faultbox.store.projects import Project, create_project
from faultbox.store.schema import deploys, issues, pattern_issues, patterns, releases
from tests.support import LiveServer, password_hash

HOUR = 480_000  # an arbitrary hour (epoch seconds // 3600)
T0 = HOUR * 3600.0 + 600  # A's first event: ten minutes into the hour
HOSTILE = (
    "<script>alert(1)</script> [click](javascript:alert(1)) ![x](https://evil.example/p.png)"
    " <img src=x onerror=alert(2)> **bold** | cell\n# heading\n- item"
)

APP_FRAME = Frame(
    filename="shop/views.py",
    module="shop.views",
    function="checkout",
    lineno=42,
    context_line="    total = pool.connect().charge(cart)",
    pre_context=("def checkout(cart):", "    pool = get_pool()"),
    post_context=("    return total",),
    in_app=True,
)
LIBRARY_FRAMES = (
    Frame(filename="django/core/handlers.py", module="django.core.handlers", function="inner",
          lineno=7, in_app=False),
    APP_FRAME,
    Frame(filename="sqlalchemy/pool.py", module="sqlalchemy.pool", function="connect",
          lineno=300, context_line="raise TimeoutError()", in_app=False),
)  # fmt: skip


def _event(
    project: Project, digest: str, ts: float, title: str, tags: dict[str, str]
) -> ProcessedEvent:
    event = Event(
        event_id=uuid.uuid4().hex,
        project_id=project.id,
        timestamp=ts,
        received_at=ts + 1,
        platform="python",
        release="shop@1.2.0",
        environment="production",
        service="api",
        user={"id": f"u{int(ts) % 7}"},
        tags={**tags, "service": "api"},
        exceptions=(
            ExceptionValue("TimeoutError", "QueuePool limit reached", None, LIBRARY_FRAMES),
        ),
    )
    grouping = Grouping(digest, "v2", title, "shop.views in checkout", (digest,))
    return ProcessedEvent(event, grouping, pack(event_to_dict(event)))


def _issue_a_times() -> list[float]:
    times = []
    for hour in range(20):
        n = 16 if hour in (8, 9) else 1
        times += [T0 + hour * 3600 + i * 60 for i in range(n)]
    return times


def _seed(server: LiveServer, title: str = "TimeoutError: QueuePool limit reached") -> int:
    project = server.project
    a = []
    for n, ts in enumerate(_issue_a_times()):
        browser = "Safari 17" if n < 46 else "Chrome 120"
        os_name = ["macOS", "Linux"][n % 2]
        a.append(_event(project, "a" * 32, ts, title, {"browser": browser, "os": os_name}))
    b = []
    for n in range(250):
        tags = {"browser": "Safari 17" if n < 29 else "Chrome 120", "os": ["macOS", "Linux"][n % 2]}
        b.append(_event(project, "b" * 32, T0 - 86400 + n * 30, "KeyError: 'sku'", tags))
    with write_transaction(server.engine) as conn:
        store_batch(conn, b)
        result = store_batch(conn, a)
    issue_id = result.new_issue_ids[0]
    with write_transaction(server.engine) as conn:
        _deploys(conn, project)
        conn.execute(
            update(issues)
            .where(issues.c.id == issue_id)
            .values(
                status="investigating",
                severity="P1",
                severity_reason="service:api level:error",
                taxonomy="integration",
                symptoms="Checkout answers 500.\n\n```\nQueuePool limit of size 5\n```",
                diagnosis="```python\nunclosed = True",  # a fence left open
            )
        )
        pattern_id = conn.execute(
            patterns.insert()
            .values(team_id=ensure_team(conn, "default"), number=1, title="Pool exhaustion",
                    created_at=T0, updated_at=T0)
            .returning(patterns.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(pattern_issues.insert().values(pattern_id=pattern_id, issue_id=issue_id))
        record(conn, [Activity(issue_id, project.id, "status", T0 + 7200, field="status",
                               old_value="detected", new_value="investigating")])  # fmt: skip
    return issue_id


def _deploys(conn: Any, project: Project) -> None:
    other = create_project(conn, name="elsewhere", team_id=ensure_team(conn, "default"))
    for project_id, version, at in (
        (project.id, "shop@1.2.0", T0 - 1800),
        (project.id, "shop@1.2.1", T0 + 7 * 3600 - 600),  # spike starts at hour 8
        (project.id, "shop@1.3.0", T0 + 14 * 3600),
        (other.id, "other@9", T0),
    ):
        release_id = conn.execute(
            releases.insert()
            .values(project_id=project_id, version=version, commit="abc123", created_at=at - 60)
            .returning(releases.c.id)
        ).scalar_one()
        conn.execute(
            deploys.insert().values(
                release_id=release_id, environment="production", deployed_at=at, created_at=at
            )
        )


def _report(server: LiveServer, issue_id: int, **params: Any) -> Any:
    return server.api_json(f"/api/v1/issues/{issue_id}/report", **params)


def test_the_report_finds_the_over_represented_tag_value(live_server: LiveServer) -> None:
    issue_id = _seed(live_server)
    report = _report(live_server, issue_id)
    outliers = report["tag_outliers"]
    assert [(o["key"], o["value"]) for o in outliers] == [("browser", "Safari 17")]
    safari = outliers[0]
    assert safari["issue_count"] == 46 and safari["issue_share"] == 0.92
    assert safari["project_count"] == 75 and safari["project_share"] == 0.25
    assert safari["lift"] == 3.68
    assert safari["summary"] == "92% of events: browser=Safari 17 (25% in the project)"
    # Spread like the project (os, environment, release, level): not reported.

    assert report["impact"]["events"] == 50
    assert report["impact"]["services"] == [{"value": "api", "count": 50}]
    assert report["impact"]["environments"] == [{"value": "production", "count": 50}]
    summary = report["summary"]
    assert summary["short_id"] == "ERR-2" and summary["status"] == "investigating"
    assert (summary["severity"], summary["taxonomy"]) == ("P1", "integration")
    assert report["catalogue"]["symptoms"].startswith("Checkout answers 500.")
    assert report["patterns"] == [
        {"id": "PAT-001", "number": 1, "title": "Pool exhaustion", "prevention": None}
    ]
    assert [a["kind"] for a in report["activity"]] == ["status"]


def test_spikes_and_the_deploys_around_them(live_server: LiveServer) -> None:
    issue_id = _seed(live_server)
    timeline = _report(live_server, issue_id)["timeline"]
    assert timeline["span_hours"] == 20 and timeline["median_hourly"] == 1
    assert timeline["spike_threshold"] == 10
    [spike] = timeline["spikes"]
    assert (spike["hours"], spike["events"], spike["peak_count"]) == (2, 32, 16)
    assert spike["start"] == "2024-10-04T08:00:00Z" and spike["end"] == "2024-10-04T10:00:00Z"
    assert [(d["release"], d["offset_seconds"]) for d in spike["deploys"]] == [
        ("shop@1.2.1", -3600.0)
    ]
    near_first = timeline["deploys_near_first_seen"]
    assert [(d["release"], d["offset_seconds"]) for d in near_first] == [("shop@1.2.0", -1800.0)]

    suspect = _report(live_server, issue_id)["suspect_release"]
    assert suspect["first_release"]["version"] == "shop@1.2.0"
    assert suspect["first_release"]["commit"] == "abc123"
    before = suspect["deploy_before_first_seen"]
    assert before["release"] == "shop@1.2.0" and before["of_first_release"] is True


def test_the_first_in_app_frame_with_its_source(live_server: LiveServer) -> None:
    issue_id = _seed(live_server)
    frame = _report(live_server, issue_id)["app_frame"]
    assert (frame["module"], frame["function"], frame["lineno"]) == ("shop.views", "checkout", 42)
    assert frame["context_line"] == APP_FRAME.context_line
    assert frame["pre_context"] == list(APP_FRAME.pre_context)
    assert frame["exception_type"] == "TimeoutError"

    markdown = live_server.api(f"/api/v1/issues/{issue_id}/report", format="markdown").text
    assert "> 42 |     total = pool.connect().charge(cart)" in markdown
    assert "  40 | def checkout(cart):" in markdown
    assert "**92% of events: browser=Safari 17** (25% in the project" in markdown


def test_markdown_escapes_hostile_event_text(live_server: LiveServer) -> None:
    issue_id = _seed(live_server, title=HOSTILE)
    response = httpx.get(
        f"{live_server.url}/api/v1/issues/{issue_id}/report",
        headers={"Authorization": f"Bearer {live_server.token}", "Accept": "text/markdown"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    markdown = response.text
    heading = markdown.splitlines()[0]
    assert heading.startswith("# ERR-2: \\<script\\>alert(1)\\</script\\> \\[click\\]")
    # Rendered with raw HTML allowed, the title is still text: no tag, link or image.
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    title_html = html.split("</h1>")[0]
    assert "<script" not in title_html and "<img" not in title_html
    assert "<a " not in title_html and "<strong>" not in title_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in title_html
    assert html.count("<h1>") == 1  # "# heading" in the title stayed in the title
    # A fence left open in a catalogue field is closed: the sections after it remain.
    assert "<h2>Patterns</h2>" in html and "<h2>Activity</h2>" in html


@pytest.fixture
def outsider_token(live_server: LiveServer) -> str:
    with write_transaction(live_server.engine) as conn:
        user = create_user(
            conn,
            email="outsider@example.com",
            password_hash=password_hash("long-enough-pw"),
            is_superuser=False,
        )
        add_member(conn, team_id=ensure_team(conn, "others"), user_id=user.id, role="owner")
        return create_token(conn, user_id=user.id, scopes=["event:read"])


def test_report_answers_401_403_404(live_server: LiveServer, outsider_token: str) -> None:
    issue_id = _seed(live_server)
    path = f"/api/v1/issues/{issue_id}/report"
    assert httpx.get(live_server.url + path).status_code == 401
    no_scope = live_server.admin_token(["project:read"])
    assert live_server.api(path, token=no_scope).status_code == 403
    assert live_server.api(path, token=outsider_token).status_code == 404
    assert live_server.api("/api/v1/issues/999999/report").status_code == 404
    bad = live_server.api(path, format="pdf")
    assert bad.status_code == 400 and "json or markdown" in bad.json()["detail"]


def _parse_quantity(text: str) -> int:
    return int(text)  # the line the report must point at


def test_the_report_of_an_event_from_the_real_sentry_sdk(sqlite_server: LiveServer) -> None:
    """The SDK's in_app flags and source context, through ingest and the digest."""
    sentry_sdk.init(dsn=sqlite_server.dsn, default_integrations=False, release="shop@2.0.0")
    try:
        _parse_quantity("three")
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)
    sentry_sdk.get_client().close(timeout=5)
    sqlite_server.wait_events(1)
    [issue] = sqlite_server.issues()
    report = _report(sqlite_server, issue["id"])
    frame = report["app_frame"]
    assert (frame["module"], frame["function"]) == (__name__, "_parse_quantity")
    assert frame["context_line"].strip() == "return int(text)  # the line the report must point at"
    assert frame["exception_type"] == "ValueError"
    assert report["suspect_release"]["first_release"]["version"] == "shop@2.0.0"
    markdown = sqlite_server.api(f"/api/v1/issues/{issue['id']}/report", format="markdown").text
    assert "return int(text)  # the line the report must point at" in markdown

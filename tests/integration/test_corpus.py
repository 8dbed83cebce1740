"""Every file of the shared sample corpus gets the answer the protocol doc prescribes.

Each file is classified below; an unclassified file fails the test, so new samples
cannot be skipped silently.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import select

from faultbox.store.schema import dead_letters, user_reports
from tests.support import CORPUS, LiveServer, wait_for

# Documentation, not payloads.
DOCS = ("PROVENANCE.md", "KNOWN-BROKEN", "README", "LICENSE", "requests.jsonl", "README.md")
# Pieces of payloads (one breadcrumb, one header, a schema), not something a client sends.
FRAGMENTS = (
    "sentry-go/testdata/json/breadcrumb/001.json",
    "sentry-java/sentry/src/test/resources/json/contexts.json",
    "sentry-java/sentry/src/test/resources/json/sentry_envelope_header.json",
    "sentry-java/sentry/src/test/resources/json/sentry_exception.json",
    "sentry-data-schemas/relay/event.schema.json",
)
# Malformed on purpose upstream (protocol doc §14.10, §5).
MALFORMED = {
    "glitchtip-fork/apps/event_ingest/tests/parity_fixtures/truncated.envelope": 400,
    "sentry-java/sentry/src/test/resources/envelope-event-attachment.txt": 400,
    "sentry/src/sentry/data/samples/invalid-interfaces.json": 400,
    # The Java SDK's serialization fixture has "0_*_*_*_*" for a crontab: a check-in
    # whose schedule cannot be read is refused with the reason (ingest/checkins.py).
    "sentry-java/sentry/src/test/resources/json/checkin_crontab.json": 400,
}
# Item payloads that travel inside an envelope as this item type.
AS_ITEM = {
    "checkin": "check_in",
    "checkin_crontab.json": "check_in",
    "checkin_interval.json": "check_in",
    "json/session.json": "session",
    "sentry_logs.json": "log",
}
SECURITY = ("security_report/",)  # browser reports; csp_event.json & csp.json are stored events
MINIDUMP = ".dmp"  # the minidump endpoint is optional (MAY) and not offered yet


def classify(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    if name in DOCS:
        return "doc"
    if rel in FRAGMENTS:
        return "fragment"
    if rel.endswith(MINIDUMP):
        return "minidump"
    if rel.endswith((".envelope", ".envelope.gz", ".envelope.br")) or (
        rel.startswith("sentry-java/") and rel.endswith(".txt")
    ):
        return "envelope"
    if any(marker in rel for marker in SECURITY):
        return "security"
    if any(marker in rel for marker in AS_ITEM):
        return "item"
    if rel.endswith((".json", ".golden")):
        return "store"
    return "unclassified"


def corpus_files() -> list[str]:
    assert CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set FAULTBOX_CORPUS)"
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file())


def test_every_corpus_file_is_classified() -> None:
    files = corpus_files()
    assert len(files) > 100
    assert [f for f in files if classify(f) == "unclassified"] == []


def _send(server: LiveServer, rel: str) -> httpx.Response:
    path = CORPUS / rel
    raw = path.read_bytes()
    pid = server.project.id
    query = f"?sentry_key={server.project.public_key}&sentry_version=7"
    kind = classify(rel)
    if kind == "envelope":
        if b"__PUBLIC_KEY__" in raw:  # GlitchTip's fixture authenticates by its header DSN only
            raw = raw.replace(b"__PUBLIC_KEY__", (server.project.public_key or "").encode())
            raw = raw.replace(b"__PROJECT_ID__", str(pid).encode())
            return server.post(f"/api/{pid}/envelope/", raw)
        headers = {"Content-Type": "application/x-sentry-envelope"}
        if rel.endswith(".gz"):
            headers["Content-Encoding"] = "gzip"
        elif rel.endswith(".br"):
            headers["Content-Encoding"] = "br"
        return server.post(f"/api/{pid}/envelope/{query}", raw, headers)
    if kind == "security":
        headers = {"Content-Type": "application/csp-report"}
        return server.post(f"/api/{pid}/security/{query}", raw, headers)
    if kind == "item":
        item_type = next(t for marker, t in AS_ITEM.items() if marker in rel)
        payload = orjson.dumps(orjson.loads(raw))
        body = b"{}\n" + orjson.dumps({"type": item_type, "length": len(payload)}) + b"\n" + payload
        return server.post(f"/api/{pid}/envelope/{query}", body)
    return server.post(
        f"/api/{pid}/store/{query}", _store_body(raw), {"Content-Type": "application/json"}
    )


def _store_body(raw: bytes) -> bytes:
    """Unwrap the two corpus containers that are not plain events."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    if isinstance(data, list) and len(data) >= 3 and data[1] == "insert":  # kafka example
        return orjson.dumps(data[2]["data"])
    if isinstance(data, list) and data and isinstance(data[0], dict):  # a list of events
        return orjson.dumps(data[0])
    return raw


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> tuple[LiveServer, dict[str, httpx.Response]]:
    from tests.conftest import _live

    tmp = tmp_path_factory.mktemp("corpus")
    gen = _live(tmp, f"sqlite:///{tmp / 'faultbox.sqlite3'}", migrated_sqlite)
    server = next(gen)
    answers = {
        rel: _send(server, rel)
        for rel in corpus_files()
        if classify(rel) in ("envelope", "security", "item", "store")
    }
    yield server, answers
    next(gen, None)


def test_no_file_gets_a_server_error_and_each_gets_its_documented_status(
    results: tuple[LiveServer, dict[str, httpx.Response]],
) -> None:
    _, answers = results
    wrong = {
        rel: (r.status_code, r.text[:200])
        for rel, r in answers.items()
        if r.status_code != MALFORMED.get(rel, 200)
    }
    assert wrong == {}, "\n".join(f"{k}: {v}" for k, v in wrong.items())


def test_sentry_answers_carry_the_event_id(
    results: tuple[LiveServer, dict[str, httpx.Response]],
) -> None:
    _, answers = results
    event_envelope = (
        "sdk-captured/sentry-python-2.75.0/main/001-event-chained-unicode-locals.envelope"
    )
    header = orjson.loads((CORPUS / event_envelope).read_bytes().split(b"\n", 1)[0])
    assert answers[event_envelope].json() == {"id": header["event_id"].replace("-", "")}
    session = "sdk-captured/sentry-python-2.75.0/main/010-session.envelope"
    assert answers[session].json() == {}


def test_error_events_become_issues_without_dead_letters(
    results: tuple[LiveServer, dict[str, httpx.Response]],
) -> None:
    server, answers = results
    wait_for(lambda: server.app.state.queue.exact_depth() == 0, timeout=60)
    with server.engine.connect() as conn:
        letters = conn.execute(select(dead_letters.c.event_id, dead_letters.c.reason)).all()
    assert [tuple(r) for r in letters] == []
    stored = server.event_count()
    accepted_ids = {
        r.json().get("id") for r in answers.values() if r.status_code == 200 and r.content
    }
    accepted_ids.discard(None)
    reports = sum(1 for rel in answers if classify(rel) == "security")
    # Transactions and check-ins answer with an id but are not stored as events;
    # security reports are stored but answer with an empty body.
    assert stored >= 60
    assert stored <= len(accepted_ids) + reports
    titles = {i["title"] for i in server.issues(limit=100)}
    assert "ZeroDivisionError: division by zero" in titles
    assert any(t.startswith("Blocked 'script'") or t.startswith("Blocked") for t in titles)


def test_gzip_sample_and_plain_sample_are_the_same_event(
    results: tuple[LiveServer, dict[str, httpx.Response]],
) -> None:
    _, answers = results
    base = "sdk-captured/sentry-python-2.75.0/main/001-event-chained-unicode-locals.envelope"
    assert answers[base].json() == answers[base + ".gz"].json()
    assert gzip.decompress((CORPUS / (base + ".gz")).read_bytes()) == (CORPUS / base).read_bytes()


def test_feedback_and_user_reports_are_stored_against_their_event(
    results: tuple[LiveServer, dict[str, httpx.Response]],
) -> None:
    server, _ = results
    wait_for(lambda: server.app.state.queue.exact_depth() == 0, timeout=60)
    with server.engine.connect() as conn:
        rows = conn.execute(select(user_reports.c.event_id, user_reports.c.name)).all()
    stored = {(r.event_id, r.name) for r in rows}
    # @sentry/node captureFeedback: linked through contexts.feedback.associated_event_id.
    assert ("d23c21ae9bf049ccade69d96f54b4854", "Jane") in stored
    # Legacy user_report item (sentry-java fixture).
    assert ("bdd63725a2b84c1eabd761106e17d390", "jonas") in stored

"""Hostile and broken requests: each gets a clear 4xx and the server stays healthy."""

from __future__ import annotations

import gzip
import zlib

import httpx
import orjson
import pytest

from tests.support import LiveServer, wait_for

EVENT_ID = "0123456789abcdef0123456789abcdef"


def envelope(event: dict[str, object], event_id: str = EVENT_ID) -> bytes:
    item = orjson.dumps(event)
    return b"\n".join(
        [
            orjson.dumps({"event_id": event_id}),
            orjson.dumps({"type": "event", "length": len(item)}),
            item,
        ]
    )


def post_envelope(
    server: LiveServer,
    body: bytes,
    headers: dict[str, str] | None = None,
    project_id: object = None,
) -> httpx.Response:
    pid = server.project.id if project_id is None else project_id
    return server.post(f"/api/{pid}/envelope/", body, {**server.auth_header(), **(headers or {})})


def assert_healthy(server: LiveServer) -> None:
    assert httpx.get(server.url + "/readyz", timeout=5).status_code == 200
    response = post_envelope(server, envelope({"message": "still alive"}, "f" * 32))
    assert response.status_code == 200, response.text


@pytest.fixture
def server(sqlite_server: LiveServer) -> LiveServer:
    return sqlite_server


def test_missing_key_is_401(server: LiveServer) -> None:
    response = server.post(f"/api/{server.project.id}/envelope/", envelope({"message": "x"}))
    assert response.status_code == 401
    assert "authentication" in response.json()["detail"]
    assert response.headers["X-Sentry-Error"]


def test_unknown_key_is_403(server: LiveServer) -> None:
    headers = {"X-Sentry-Auth": "Sentry sentry_key=" + "a" * 32 + ", sentry_version=7"}
    response = server.post(f"/api/{server.project.id}/envelope/", envelope({}), headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "unknown public key"


def test_malformed_key_is_400(server: LiveServer) -> None:
    headers = {"X-Sentry-Auth": "Sentry sentry_key=not-a-key, sentry_version=7"}
    response = server.post(f"/api/{server.project.id}/envelope/", envelope({}), headers)
    assert response.status_code == 400


def test_key_of_another_project_is_403(server: LiveServer) -> None:
    response = post_envelope(server, envelope({"message": "x"}), project_id=server.project.id + 1)
    assert response.status_code == 403
    assert "does not belong" in response.json()["detail"]


def test_non_numeric_project_id_is_400(server: LiveServer) -> None:
    response = post_envelope(server, envelope({"message": "x"}), project_id="abc")
    assert response.status_code == 400


def test_truncated_gzip_is_400(server: LiveServer) -> None:
    body = gzip.compress(envelope({"message": "x"}))[:-12]
    response = post_envelope(server, body, {"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.json()["detail"]
    assert_healthy(server)


def test_gzip_bomb_is_413(server: LiveServer) -> None:
    # 100 MiB of zeros compresses to about 100 KB: refused without inflating it all.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1024 * 1024)
    bomb = b"".join(compressor.compress(chunk) for _ in range(100)) + compressor.flush()
    assert len(bomb) < 200_000
    response = post_envelope(server, bomb, {"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert_healthy(server)


def test_oversized_body_is_413(server: LiveServer) -> None:
    limit = server.settings.max_body_size
    response = post_envelope(server, b"x" * (limit + 1))
    assert response.status_code == 413


def test_malformed_envelope_framing_is_400(server: LiveServer) -> None:
    item = orjson.dumps({"message": "x"})
    body = b"{}\n" + orjson.dumps({"type": "event", "length": len(item) + 500}) + b"\n" + item
    response = post_envelope(server, body)
    assert response.status_code == 400
    assert "length" in response.json()["detail"]
    response = post_envelope(server, b"{not json\n")
    assert response.status_code == 400


def test_invalid_json_event_is_400(server: LiveServer) -> None:
    body = b'{"event_id":"' + EVENT_ID.encode() + b'"}\n{"type":"event"}\n{"message": oops}\n'
    response = post_envelope(server, body)
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_deep_nesting_is_400(server: LiveServer) -> None:
    deep = b'{"extra": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    body = b"{}\n" + b'{"type":"event"}\n' + deep
    response = post_envelope(server, body)
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert_healthy(server)


def test_oversized_event_item_is_413(server: LiveServer) -> None:
    big = {"message": "x", "extra": {"blob": "y" * (server.settings.max_event_size + 10)}}
    response = post_envelope(server, envelope(big))
    assert response.status_code == 413


def test_duplicate_event_id_is_stored_once(server: LiveServer) -> None:
    body = envelope({"message": "only once", "level": "error"})
    for _ in range(3):
        response = post_envelope(server, body)
        assert response.status_code == 200
        assert response.json() == {"id": EVENT_ID}
    server.wait_events(1)
    wait_for(lambda: server.app.state.queue.exact_depth() == 0)
    assert server.event_count() == 1
    assert [i["count"] for i in server.issues()] == [1]


def test_native_api_rejects_bad_fields_clearly(server: LiveServer) -> None:
    key = {"X-Faultbox-Key": server.project.public_key or ""}
    cases = [
        ({"errorType": "E", "message": "m"}, "errorCode"),
        ({"errorCode": "C" * 101, "errorType": "E", "message": "m"}, "errorCode"),
        ({"errorCode": "C", "errorType": "E", "message": "m" * 5001}, "message"),
        ({"errorCode": "C", "errorType": "E", "message": "m", "severity": "loud"}, "severity"),
        (
            {"errorCode": "C", "errorType": "E", "message": "m", "occurredAt": "yesterday"},
            "occurredAt",
        ),
    ]
    for body, field in cases:
        response = server.post("/api/v1/errors", orjson.dumps(body), key)
        assert response.status_code == 400, body
        answer = response.json()
        assert answer["success"] is False and field in answer["error"]
    response = server.post("/api/v1/errors", b"[1,2", key)
    assert response.status_code == 400 and response.json()["success"] is False
    response = server.post("/api/v1/errors", orjson.dumps(cases[0][0]), {})
    assert response.status_code == 401 and response.json()["success"] is False


def test_server_survives_random_garbage(server: LiveServer) -> None:
    import random

    rng = random.Random(7)
    for _ in range(50):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        encoding = rng.choice(["gzip", "br", "deflate", "identity"])
        response = post_envelope(server, body, {"Content-Encoding": encoding})
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert_healthy(server)


def test_hostile_text_in_the_url_cannot_break_the_error_headers(server: LiveServer) -> None:
    for project_id in ("%C3%A9t%C3%A9", "1%0D%0ASet-Cookie:%20x=1", "%E2%98%83"):
        response = post_envelope(server, envelope({"message": "x"}), project_id=project_id)
        assert response.status_code in (400, 403), (project_id, response.status_code)
        assert "set-cookie" not in {k.lower() for k in response.headers}
    assert_healthy(server)

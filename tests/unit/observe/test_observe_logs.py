"""Log lines: one JSON object each (with role, pid and exception text), or text."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from faultbox.config import load_settings
from faultbox.observe.logs import json_formatter, setup_logging, text_formatter


def _record(msg: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad row 7")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord(
        "faultbox.digest.worker", logging.ERROR, __file__, 1, msg, args, exc_info
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_json_line_has_time_level_logger_message_role_and_pid() -> None:
    line = orjson.loads(json_formatter("worker").format(_record("dead letter %s", "abc")))
    assert line["message"] == "dead letter abc"
    assert line["level"] == "ERROR"
    assert line["logger"] == "faultbox.digest.worker"
    assert line["role"] == "worker"
    assert isinstance(line["pid"], int)
    assert line["time"].endswith("+00:00")  # ISO 8601 in UTC
    assert "exception" not in line


def test_a_json_line_carries_the_exception_text_and_extra_fields_but_no_colour() -> None:
    record = _record("batch failed", exc=True, project_id=3, color_message="\x1b[36mx\x1b[0m")
    line = orjson.loads(json_formatter("serve").format(record))
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: bad row 7" in line["exception"]
    assert line["project_id"] == 3
    assert "color_message" not in line
    assert "\n" not in json_formatter("serve").format(record)  # one line per record


def test_text_lines_name_the_worker_role() -> None:
    assert "faultbox.digest.worker[worker]: hi" in text_formatter("worker").format(_record("hi"))
    assert "faultbox.digest.worker: hi" in text_formatter("serve").format(_record("hi"))


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    uvicorn = logging.getLogger("uvicorn.error")
    uvicorn_state = (uvicorn.handlers[:], uvicorn.propagate, uvicorn.level, uvicorn.disabled)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    uvicorn.handlers[:], uvicorn.propagate, uvicorn.level, uvicorn.disabled = uvicorn_state
    logging.captureWarnings(False)


def test_setup_routes_uvicorn_through_the_one_handler(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    settings = load_settings(
        {"data_dir": str(tmp_path), "log_format": "json", "log_level": "info"}, environ={}
    )
    # As a uvicorn config earlier in this process leaves it (the live servers' tests).
    uvicorn = logging.getLogger("uvicorn.error")
    uvicorn.addHandler(logging.StreamHandler(io.StringIO()))
    uvicorn.setLevel(logging.WARNING)
    uvicorn.propagate = False
    setup_logging(settings, "serve")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("faultbox.test").debug("below the level")
    [line] = [orjson.loads(x) for x in stream.getvalue().splitlines()]
    assert line["logger"] == "uvicorn.error"
    assert line["message"] == "Started server process [42]"
    assert line["role"] == "serve"

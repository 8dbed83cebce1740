"""Exceptions → Sentry-shaped exception values: frames with source context, local variables
(bounded and repr-safe) and the in-app flag, decided like sentry-sdk decides it.

Runs in the application's thread at capture time (the frames die with the traceback), so
every limit here is about keeping that moment short: a bounded number of frames, variables
per frame, items per container and characters per value, and never calling more than one
``repr`` per value.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

CONTEXT_LINES = 5
MAX_FRAMES = 100  # per exception: the oldest and newest halves are kept
MAX_CHAIN = 10  # chained causes
MAX_VARS = 50  # per frame
MAX_ITEMS = 20  # per container
MAX_DEPTH = 3  # nested containers
MAX_STRING = 1024
MAX_REPR = 256
MAX_LINE = 300

_STDLIB = tuple(
    os.path.normcase(os.path.abspath(p)) + os.sep
    for p in {sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("platstdlib")}
    if p
)


@dataclass(frozen=True)
class InApp:
    """What counts as the app's own code: module prefixes in or out, and its root folder."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    project_root: str | None = None

    def decide(self, module: str | None, abs_path: str | None) -> bool | None:
        """True, False, or None (unknown: the server decides), in sentry-sdk's order."""
        if module and _in_list(module, self.include):
            return True
        if module and _in_list(module, self.exclude):
            return False
        if module and (module == "faultbox_sdk" or module.startswith("faultbox_sdk.")):
            return False
        if abs_path:
            if _is_external(abs_path):
                return False
            if self.project_root and abs_path.startswith(self.project_root):
                return True
        return None


def _in_list(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_external(abs_path: str) -> bool:
    path = os.path.normcase(abs_path)
    if "site-packages" in path or "dist-packages" in path:
        return True
    return path.startswith(_STDLIB)


_SEQUENCES = (list, tuple, set, frozenset)


def safe_repr(value: object, limit: int = MAX_REPR) -> str:
    try:
        text = repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"
    if not isinstance(text, str):
        return f"<unrepresentable {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def serialize(value: object, depth: int = 0) -> Any:
    """A JSON-safe, bounded copy: primitives as they are, containers cut short, the rest
    as a bounded ``repr``."""
    if value is None or isinstance(value, (bool, int, float)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            return safe_repr(value)
        if isinstance(value, float) and (value != value or abs(value) == float("inf")):
            return safe_repr(value)  # JSON has no NaN or infinity
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else value[: MAX_STRING - 1] + "…"
    if isinstance(value, bytes):
        return safe_repr(value[:MAX_REPR])
    if depth >= MAX_DEPTH:
        return safe_repr(value)
    # Exact types only: a subclass may run the application's code on iteration.
    if type(value) is dict:
        out: dict[str, Any] = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_ITEMS:
                out["…"] = f"{len(value) - MAX_ITEMS} more"
                break
            out[k if isinstance(k, str) else safe_repr(k)] = serialize(v, depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)) and type(value) in _SEQUENCES:
        items: list[Any] = []
        for i, v in enumerate(value):
            if i >= MAX_ITEMS:
                items.append(f"… {len(value) - MAX_ITEMS} more")
                break
            items.append(serialize(v, depth + 1))
        return items
    return safe_repr(value)


def frame_locals(frame: FrameType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        names = list(frame.f_locals.items())
    except Exception:
        return out
    for name, value in names:
        if len(out) >= MAX_VARS:
            break
        if name.startswith("__") and name.endswith("__"):
            continue  # a module's own dunders (__builtins__, __loader__): noise
        try:
            out[name] = serialize(value)
        except Exception:
            out[name] = f"<unrepresentable {type(value).__name__}>"
    return out


def _line(text: str) -> str:
    text = text.rstrip("\r\n")
    return text if len(text) <= MAX_LINE else text[:MAX_LINE]


def source_context(
    abs_path: str, lineno: int, module_globals: dict[str, Any] | None
) -> tuple[list[str], str | None, list[str]]:
    lines = linecache.getlines(abs_path, module_globals)
    if not lines or not 1 <= lineno <= len(lines):
        return [], None, []
    index = lineno - 1
    pre = [_line(x) for x in lines[max(0, index - CONTEXT_LINES) : index]]
    post = [_line(x) for x in lines[index + 1 : index + 1 + CONTEXT_LINES]]
    return pre, _line(lines[index]), post


def frame_dict(
    frame: FrameType, lineno: int, in_app: InApp, with_locals: bool = True
) -> dict[str, Any]:
    code = frame.f_code
    abs_path = os.path.abspath(code.co_filename) if code.co_filename else None
    module = frame.f_globals.get("__name__")
    module = module if isinstance(module, str) else None
    out: dict[str, Any] = {
        "filename": _filename(abs_path, module),
        "abs_path": abs_path,
        "function": code.co_name,
        "module": module,
        "lineno": lineno,
    }
    if abs_path:
        try:
            pre, line, post = source_context(abs_path, lineno, frame.f_globals)
        except Exception:
            pre, line, post = [], None, []
        if line is not None:
            out.update(pre_context=pre, context_line=line, post_context=post)
    decided = in_app.decide(module, abs_path)
    if decided is not None:
        out["in_app"] = decided
    if with_locals:
        out["vars"] = frame_locals(frame)
    return out


def _filename(abs_path: str | None, module: str | None) -> str | None:
    """The path relative to the import root, as sentry-sdk shows it (``pkg/mod.py``)."""
    if not abs_path or not module:
        return abs_path
    base = module.split(".")[0]
    marker = os.sep + base + os.sep
    index = abs_path.rfind(marker)
    if index >= 0:
        return abs_path[index + 1 :]
    return os.path.basename(abs_path)


def walk_traceback(tb: TracebackType | None) -> list[tuple[FrameType, int]]:
    frames: list[tuple[FrameType, int]] = []
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    if len(frames) > MAX_FRAMES:
        half = MAX_FRAMES // 2
        frames = frames[:half] + frames[-half:]
    return frames


def type_name(exc: BaseException) -> tuple[str, str | None]:
    """``(qualname, module)``; the module is None for built-ins, as in a printed traceback."""
    cls = type(exc)
    module = getattr(cls, "__module__", None)
    if module in ("builtins", None):
        return cls.__qualname__, None
    return cls.__qualname__, str(module)


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, oldest first (the order of Sentry's ``values``)."""
    seen: set[int] = set()
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(out) < MAX_CHAIN:
        seen.add(id(current))
        out.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    out.reverse()
    return out


def exception_values(
    exc: BaseException,
    in_app: InApp,
    *,
    with_locals: bool = True,
    mechanism: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []
    for item in chain(exc):
        name, module = type_name(item)
        value: dict[str, Any] = {"type": name, "value": safe_str(item)}
        if module:
            value["module"] = module
        frames = [
            frame_dict(f, lineno, in_app, with_locals)
            for f, lineno in walk_traceback(item.__traceback__)
        ]
        if frames:
            value["stacktrace"] = {"frames": frames}
        values.append(value)
    if mechanism and values:
        values[-1]["mechanism"] = mechanism
    return values


def safe_str(value: object) -> str:
    try:
        text = str(value)
    except Exception:
        return safe_repr(value)
    return text if len(text) <= MAX_STRING * 4 else text[: MAX_STRING * 4]

"""The default fingerprint components of an event, and the client's fingerprint.

A component is one short line ("type:ValueError", "frame:app.views:pay"); the
hash covers them and the issue page shows them to explain the grouping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from faultbox.digest.grouping.app_frames import (
    innermost_app_index,
    minified_app_frame,
    named_caller,
)
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.minified import js_message
from faultbox.digest.grouping.naming import (
    context_text,
    frame_display,
    frame_location,
    normalize_filename,
    normalize_function,
    normalize_module,
)
from faultbox.digest.grouping.options import V1, GroupingOptions
from faultbox.digest.grouping.templating import template_message
from faultbox.model import Event, ExceptionValue, Frame, Thread

# The naming helpers lived here first; other modules still import them from here.
__all__ = [
    "Leaf",
    "apply_fingerprint",
    "context_text",
    "default_components",
    "frame_display",
    "frame_location",
    "innermost_in_app",
    "leaf_exceptions",
    "message_template",
    "minified_message_template",
    "normalize_filename",
    "normalize_function",
    "normalize_module",
    "pick_thread",
]

MAX_FALLBACK_FRAMES = 10
# Only the head of a long message names the bug; the rest is payload.
MAX_MESSAGE = 512

_DEFAULT_RE = re.compile(r"\{\{\s*default\s*\}\}", re.IGNORECASE)


def innermost_in_app(
    frames: Sequence[Frame],
    platform: str,
    rules: InAppRules | None,
    *,
    options: GroupingOptions = V1,
) -> Frame | None:
    index = innermost_app_index(frames, platform, rules, options=options)
    return None if index is None else frames[index]


def app_frame_components(
    frame: Frame,
    *,
    caller: Frame | None = None,
    platform: str = "",
    options: GroupingOptions = V1,
) -> list[str]:
    out = [f"frame:{frame_location(frame, platform=platform, options=options)}"]
    context = context_text(frame, options=options)
    if context is not None:
        out.append(f"context:{context}")
    if caller is not None:
        out.append(f"frame:{frame_location(caller, platform=platform, options=options)}")
    return out


def fallback_components(
    frames: Sequence[Frame], *, platform: str = "", options: GroupingOptions = V1
) -> list[str]:
    """Up to ten innermost frames, consecutive repeats (recursion) counted once."""
    picked: list[str] = []
    for frame in reversed(frames):
        location = frame_location(frame, platform=platform, options=options)
        if location is None or (picked and picked[-1] == location):
            continue
        picked.append(location)
        if len(picked) == MAX_FALLBACK_FRAMES:
            break
    return [f"frame:{location}" for location in reversed(picked)]


def _app_components(
    frames: Sequence[Frame],
    index: int,
    platform: str,
    rules: InAppRules | None,
    options: GroupingOptions,
) -> list[str]:
    caller = named_caller(frames, index, platform, rules, options=options)
    return app_frame_components(frames[index], caller=caller, platform=platform, options=options)


def stack_components(
    frames: Sequence[Frame],
    platform: str,
    rules: InAppRules | None,
    *,
    options: GroupingOptions = V1,
) -> list[str]:
    """The innermost in-app frame, else the frames themselves."""
    index = innermost_app_index(frames, platform, rules, options=options)
    if index is None:
        return fallback_components(frames, platform=platform, options=options)
    return _app_components(frames, index, platform, rules, options)


def _head(text: str) -> str:
    return " ".join(text[: MAX_MESSAGE * 2].split())[:MAX_MESSAGE]


def message_template(text: str, *, options: GroupingOptions = V1) -> str:
    return _cached_template(_head(text), options.id_tokens)


@lru_cache(maxsize=4096)
def _cached_template(text: str, id_tokens: bool) -> str:
    return template_message(text, id_tokens=id_tokens)


def minified_message_template(text: str, *, options: GroupingOptions = V1) -> str:
    """The template of a message thrown from minified JavaScript: its variables masked
    and browsers' wordings unified (``minified.py``), the rest templated as usual."""
    return _cached_minified(_head(text), options.id_tokens)


@lru_cache(maxsize=4096)
def _cached_minified(text: str, id_tokens: bool) -> str:
    return js_message(text, lambda part: template_message(part, id_tokens=id_tokens))


@dataclass(frozen=True, slots=True)
class Leaf:
    exc: ExceptionValue
    frames: tuple[Frame, ...]  # its own, or those of the group it was raised in


def _mechanism_get(exc: ExceptionValue, key: str) -> object:
    mechanism = exc.mechanism
    return mechanism.get(key) if isinstance(mechanism, dict) else None


def _mechanism_id(exc: ExceptionValue, key: str) -> int | str | None:
    value = _mechanism_get(exc, key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return value


def leaf_exceptions(exceptions: Sequence[ExceptionValue]) -> list[Leaf]:
    """The chain without exception-group containers that have children."""
    if not any(_mechanism_get(e, "is_exception_group") is True for e in exceptions):
        return [Leaf(e, e.frames) for e in exceptions]
    by_id: dict[int | str, ExceptionValue] = {}
    parents: set[int | str] = set()
    for exc in exceptions:
        exc_id = _mechanism_id(exc, "exception_id")
        if exc_id is not None:
            by_id.setdefault(exc_id, exc)
        parent_id = _mechanism_id(exc, "parent_id")
        if parent_id is not None:
            parents.add(parent_id)
    leaves: list[Leaf] = []
    for exc in exceptions:
        if (
            _mechanism_get(exc, "is_exception_group") is True
            and _mechanism_id(exc, "exception_id") in parents
        ):
            continue
        leaves.append(Leaf(exc, _inherited_frames(exc, by_id)))
    return leaves


def _inherited_frames(
    exc: ExceptionValue, by_id: dict[int | str, ExceptionValue]
) -> tuple[Frame, ...]:
    seen: set[int | str] = set()
    current: ExceptionValue | None = exc
    while current is not None and not current.frames:
        parent_id = _mechanism_id(current, "parent_id")
        if parent_id is None or parent_id in seen:
            return ()
        seen.add(parent_id)
        current = by_id.get(parent_id)
    return current.frames if current is not None else ()


def _is_synthetic(exc: ExceptionValue) -> bool:
    return not exc.type or _mechanism_get(exc, "synthetic") is True


def exception_components(
    leaves: Sequence[Leaf],
    platform: str,
    rules: InAppRules | None,
    *,
    options: GroupingOptions = V1,
) -> list[str]:
    indexes = [
        innermost_app_index(leaf.frames, platform, rules, options=options) for leaf in leaves
    ]
    # A cause raised wholly inside a library (a Java chain's root cause) is told
    # apart by its type; its library frames would only split the issue by version.
    use_fallback = all(index is None for index in indexes)
    has_stack = any(leaf.frames for leaf in leaves)
    # With no app frame at all, the runtime's frames say little ("connect ECONNREFUSED"
    # and "connect ETIMEDOUT" share them): the message joins them, if this version says so.
    with_message = not has_stack or (use_fallback and options.message_without_app_frame)
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for leaf, index in zip(leaves, indexes, strict=True):
        exc = leaf.exc
        synthetic = _is_synthetic(exc)
        message = f"message:{message_template(exc.value or '', options=options)}"
        if synthetic:
            # A captured message dressed as an exception: its type says nothing.
            parts = [message]
        else:
            parts = [f"type:{normalize_module(exc.type or '', options=options)}"]
        if index is not None:
            parts.extend(_app_components(leaf.frames, index, platform, rules, options))
            # A minified frame names the bundle only: the message tells its bugs apart.
            if not synthetic and minified_app_frame(
                leaf.frames, index, platform, rules, options=options
            ):
                text = minified_message_template(exc.value or "", options=options)
                parts.append(f"message:{text}")
        elif use_fallback and leaf.frames:
            parts.extend(fallback_components(leaf.frames, platform=platform, options=options))
        if index is None and with_message and not synthetic:
            parts.append(message)
        key = tuple(parts)
        if key not in seen:  # a group of N equal failures is one bug, whatever N is
            seen.add(key)
            out.extend(parts)
    return out


def pick_thread(threads: Sequence[Thread]) -> Thread | None:
    crashed = next((t for t in threads if t.crashed and t.frames), None)
    if crashed is not None:
        return crashed
    current = next((t for t in threads if t.current and t.frames), None)
    if current is not None:
        return current
    return threads[0] if len(threads) == 1 and threads[0].frames else None


def message_components(event: Event, *, options: GroupingOptions = V1) -> list[str]:
    text = event.message_template or event.message
    if not text:
        return []
    out = [f"message:{message_template(text, options=options)}"]
    if event.logger:
        out.append(f"logger:{event.logger}")
    return out


def default_components(
    event: Event,
    leaves: Sequence[Leaf],
    rules: InAppRules | None,
    *,
    options: GroupingOptions = V1,
) -> list[str]:
    platform = event.platform
    if leaves:
        return exception_components(leaves, platform, rules, options=options)
    crashed = next((t for t in event.threads if t.crashed and t.frames), None)
    if crashed is not None:
        return stack_components(crashed.frames, platform, rules, options=options)
    # A message's attached stack is where it was logged from: a shared logging
    # helper would fold every message into one issue, so the text comes first.
    components = message_components(event, options=options)
    if components:
        return components
    thread = pick_thread(event.threads)
    if thread is not None:
        return stack_components(thread.frames, platform, rules, options=options)
    if event.transaction:
        return [f"transaction:{event.transaction}"]
    return ["unlabeled"]


def apply_fingerprint(fingerprint: Sequence[str] | None, default: list[str]) -> list[str]:
    """A non-empty client fingerprint replaces the default; ``{{ default }}`` splices it in."""
    if not fingerprint:
        return default
    out: list[str] = []
    for entry in fingerprint:
        if _DEFAULT_RE.fullmatch(entry.strip()):
            out.extend(default)
        else:
            out.append(f"fingerprint:{entry}")
    return out

"""Why an event landed in its issue: which parts made its fingerprint, which were
ignored and why (Sentry calls this the grouping info).

The components that were hashed are the authority (kept with the event at digest
time); this module walks the event again with the same helpers the algorithm uses
and marks every exception, frame and message as contributing or not, with a hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faultbox.digest.grouping import group_event
from faultbox.digest.grouping.fingerprint import (
    Leaf,
    context_text,
    frame_location,
    innermost_in_app,
    leaf_exceptions,
    message_template,
    normalize_module,
    pick_thread,
)
from faultbox.digest.grouping.in_app import InAppRules, in_app_verdict
from faultbox.digest.grouping.rules import FingerprintRule
from faultbox.model import Event, Frame

JSON = dict[str, Any]


def explain_grouping(
    event: Event,
    *,
    stored_hash: str,
    stored: JSON | None,
    fingerprint_rules: Sequence[FingerprintRule] = (),
    in_app_rules: InAppRules | None = None,
) -> JSON:
    """``stored_hash`` is the hash the event was filed under; ``stored`` the decision
    recorded at digest time (None for events stored before it was recorded: then
    today's decision stands in, and ``recorded_at_digest`` says so)."""
    today = group_event(event, fingerprint_rules=fingerprint_rules, in_app_rules=in_app_rules)
    if stored:
        components = [str(c) for c in stored.get("components") or ()]
        version, rule = stored.get("version"), stored.get("rule")
    else:
        components = list(today.grouping.components)
        version = today.grouping.version
        rule = today.rule.text if today.rule else None
    used = set(components)
    fingerprint = list(event.fingerprint or ())
    return {
        "hash": stored_hash,
        "version": version,
        "recorded_at_digest": bool(stored),
        "components": components,
        "decided_by": _decided_by(rule, fingerprint, components),
        "rule": rule,
        "client_fingerprint": fingerprint or None,
        "exceptions": _exceptions(event, used, in_app_rules),
        "threads": _threads(event, used, in_app_rules),
        "message": _message(event, used),
        "today": {
            "hash": today.grouping.hash,
            "version": today.grouping.version,
            "components": list(today.grouping.components),
            "rule": today.rule.text if today.rule else None,
            "same_as_stored": today.grouping.hash == stored_hash,
        },
        "ignored_always": [
            "line and column numbers (code moves between releases)",
            "absolute paths, release and virtualenv directories, bundle hashes",
            "memory addresses and generated names (lambdas, proxies)",
        ],
    }


def _decided_by(rule: object, fingerprint: list[str], components: list[str]) -> str:
    if rule:
        return "project fingerprint rule"
    if fingerprint and any(c.startswith("fingerprint:") for c in components):
        keeps_default = any(not c.startswith("fingerprint:") for c in components)
        return "client fingerprint with {{ default }}" if keeps_default else "client fingerprint"
    return "default algorithm"


def _exceptions(event: Event, used: set[str], rules: InAppRules | None) -> list[JSON]:
    leaves = leaf_exceptions(event.exceptions)
    leaf_of = {id(leaf.exc): leaf for leaf in leaves}
    has_app_frame = any(innermost_in_app(leaf.frames, event.platform, rules) for leaf in leaves)
    out: list[JSON] = []
    for index, exc in enumerate(event.exceptions):
        leaf = leaf_of.get(id(exc))
        type_component = f"type:{normalize_module(exc.type or '')}"
        item: JSON = {
            "index": index,
            "type": exc.type,
            "value": exc.value,
            "type_contributes": type_component in used,
        }
        if leaf is None:
            item["hint"] = "exception group container: its leaf exceptions decide"
            item["frames"] = [
                _frame(f, False, "container's frames", event, rules) for f in exc.frames
            ]
            out.append(item)
            continue
        value_component = f"message:{message_template(exc.value or '')}"
        item["value_template"] = message_template(exc.value or "")
        item["value_contributes"] = value_component in used
        if not item["value_contributes"]:
            item["value_hint"] = (
                "ignored: the stack identifies the bug, values carry ids and numbers"
                if leaf.frames
                else "ignored"
            )
        item["frames"] = _frames(leaf, used, event, rules, fallback=not has_app_frame)
        out.append(item)
    return out


def _frames(
    leaf: Leaf, used: set[str], event: Event, rules: InAppRules | None, *, fallback: bool
) -> list[JSON]:
    app_frame = innermost_in_app(leaf.frames, event.platform, rules)
    below = True  # frames are outermost first; walk from the innermost one
    rows: list[JSON] = []
    for frame in reversed(leaf.frames):
        if frame is app_frame:
            below = False
        rows.append(_frame_row(frame, app_frame, below, used, event, rules, fallback))
    rows.reverse()
    return rows


def _frame_row(
    frame: Frame,
    app_frame: Frame | None,
    below: bool,
    used: set[str],
    event: Event,
    rules: InAppRules | None,
    fallback: bool,
) -> JSON:
    contributes = f"frame:{frame_location(frame)}" in used
    if frame is app_frame:
        hint = "innermost in-app frame: where the error was raised in your code"
        if frame.lineno is not None:
            hint += f" (line {frame.lineno} ignored)"
        if context_text(frame) is not None and f"context:{context_text(frame)}" in used:
            hint += "; its source line tells two raises in one function apart"
    elif app_frame is None and fallback:
        hint = (
            "no in-app frame anywhere: the normalized frames stand in"
            if contributes
            else "no in-app frame: only the innermost ten distinct frames count"
        )
    elif app_frame is None:
        hint = "not counted: another exception of the chain has the in-app frame"
        contributes = False
    elif below:
        hint = "library frame below your code's call: depth varies with versions and inputs"
        contributes = False
    else:
        hint = "caller of the innermost in-app frame: call paths do not split issues"
        contributes = False
    return _frame(frame, contributes, hint, event, rules)


def _frame(
    frame: Frame, contributes: bool, hint: str, event: Event, rules: InAppRules | None
) -> JSON:
    in_app, reason = in_app_verdict(frame, event.platform, rules)
    return {
        "location": frame_location(frame),
        "module": frame.module,
        "filename": frame.filename,
        "function": frame.function,
        "lineno": frame.lineno,
        "in_app": in_app,
        "in_app_reason": reason,
        "contributes": contributes,
        "hint": hint,
    }


def _threads(event: Event, used: set[str], rules: InAppRules | None) -> JSON | None:
    thread = next((t for t in event.threads if t.crashed and t.frames), None)
    thread = thread or pick_thread(event.threads)
    if thread is None:
        return None
    contributes = any(f"frame:{frame_location(f)}" in used for f in thread.frames)
    if contributes:
        hint = "the crashed or current thread's stack (no exception carries one)"
    else:
        hint = "ignored: an exception or the message decides"
    return {
        "id": thread.id,
        "name": thread.name,
        "crashed": thread.crashed,
        "contributes": contributes,
        "hint": hint,
        "frames": [
            _frame(f, f"frame:{frame_location(f)}" in used, "thread frame", event, rules)
            for f in thread.frames
        ],
    }


def _message(event: Event, used: set[str]) -> JSON | None:
    text = event.message_template or event.message
    if not text:
        return None
    template = message_template(text)
    contributes = f"message:{template}" in used
    source = "logentry.message (before parameters)" if event.message_template else "message"
    return {
        "text": text,
        "source": source,
        "template": template,
        "contributes": contributes,
        "hint": (
            "numbers, ids, hex, emails, IPs, dates, paths and quoted values are placeholders"
            if contributes
            else "ignored: the exception decides"
        ),
    }

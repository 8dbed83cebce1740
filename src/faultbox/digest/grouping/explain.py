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
from faultbox.digest.grouping.app_frames import app_frame_verdict, named_caller
from faultbox.digest.grouping.fingerprint import (
    Leaf,
    context_text,
    frame_location,
    innermost_in_app,
    leaf_exceptions,
    message_template,
    minified_message_template,
    normalize_module,
    pick_thread,
)
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.options import OPTIONS, GroupingOptions
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
    # Walk the event as the version that grouped it did (an unknown one: as today's).
    walk = _Walk(
        event, used, in_app_rules, OPTIONS.get(str(version), OPTIONS[today.grouping.version])
    )
    return {
        "hash": stored_hash,
        "version": version,
        "recorded_at_digest": bool(stored),
        "components": components,
        "decided_by": _decided_by(rule, fingerprint, components),
        "rule": rule,
        "client_fingerprint": fingerprint or None,
        "exceptions": walk.exceptions(),
        "threads": walk.threads(),
        "message": walk.message(),
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


class _Walk:
    def __init__(
        self, event: Event, used: set[str], rules: InAppRules | None, options: GroupingOptions
    ) -> None:
        self.event, self.used, self.rules, self.options = event, used, rules, options
        self.platform = event.platform

    def _location(self, frame: Frame) -> str | None:
        return frame_location(frame, platform=self.platform, options=self.options)

    def _counted(self, frame: Frame) -> bool:
        return f"frame:{self._location(frame)}" in self.used

    def _template(self, text: str) -> str:
        return message_template(text, options=self.options)

    def _app_frame(self, frames: Sequence[Frame]) -> Frame | None:
        return innermost_in_app(frames, self.platform, self.rules, options=self.options)

    def exceptions(self) -> list[JSON]:
        leaves = leaf_exceptions(self.event.exceptions)
        leaf_of = {id(leaf.exc): leaf for leaf in leaves}
        has_app_frame = any(self._app_frame(leaf.frames) for leaf in leaves)
        out: list[JSON] = []
        for index, exc in enumerate(self.event.exceptions):
            leaf = leaf_of.get(id(exc))
            type_component = f"type:{normalize_module(exc.type or '', options=self.options)}"
            item: JSON = {
                "index": index,
                "type": exc.type,
                "value": exc.value,
                "type_contributes": type_component in self.used,
            }
            if leaf is None:
                item["hint"] = "exception group container: its leaf exceptions decide"
                item["frames"] = [self._frame(f, False, "container's frames") for f in exc.frames]
                out.append(item)
                continue
            # From minified code the value is templated with its variables masked.
            templates = [
                self._template(exc.value or ""),
                minified_message_template(exc.value or "", options=self.options),
            ]
            counted = [t for t in templates if f"message:{t}" in self.used]
            item["value_template"] = counted[0] if counted else templates[0]
            item["value_contributes"] = bool(counted)
            if counted and templates[0] not in counted:
                item["value_hint"] = "counted: a minified frame names only its bundle"
            elif not counted:
                item["value_hint"] = (
                    "ignored: the stack identifies the bug, values carry ids and numbers"
                    if leaf.frames
                    else "ignored"
                )
            item["frames"] = self._frames(leaf, fallback=not has_app_frame)
            out.append(item)
        return out

    def _frames(self, leaf: Leaf, *, fallback: bool) -> list[JSON]:
        frames = leaf.frames
        app_frame = self._app_frame(frames)
        caller = None
        if app_frame is not None:
            index = max(i for i, f in enumerate(frames) if f is app_frame)
            caller = named_caller(frames, index, self.platform, self.rules, options=self.options)
        below = True  # frames are outermost first; walk from the innermost one
        rows: list[JSON] = []
        for frame in reversed(frames):
            if frame is app_frame:
                below = False
            rows.append(self._frame_row(frame, app_frame, caller, below, fallback))
        rows.reverse()
        return rows

    def _frame_row(
        self,
        frame: Frame,
        app_frame: Frame | None,
        caller: Frame | None,
        below: bool,
        fallback: bool,
    ) -> JSON:
        contributes = self._counted(frame)
        if frame is app_frame:
            hint = "innermost in-app frame: where the error was raised in your code"
            if frame.lineno is not None:
                hint += f" (line {frame.lineno} ignored)"
            context = context_text(frame)
            if context is not None and f"context:{context}" in self.used:
                hint += "; its source line tells two raises in one function apart"
        elif frame is caller:
            hint = "named caller of the anonymous callback that raised: it names the callback"
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
        return self._frame(frame, contributes, hint)

    def _frame(self, frame: Frame, contributes: bool, hint: str) -> JSON:
        in_app, reason = app_frame_verdict(frame, self.platform, self.rules, options=self.options)
        return {
            "location": self._location(frame),
            "module": frame.module,
            "filename": frame.filename,
            "function": frame.function,
            "lineno": frame.lineno,
            "in_app": in_app,
            "in_app_reason": reason,
            "contributes": contributes,
            "hint": hint,
        }

    def threads(self) -> JSON | None:
        thread = pick_thread(self.event.threads)  # the crashed one first
        if thread is None:
            return None
        contributes = any(self._counted(f) for f in thread.frames)
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
            "frames": [self._frame(f, self._counted(f), "thread frame") for f in thread.frames],
        }

    def message(self) -> JSON | None:
        event = self.event
        text = event.message_template or event.message
        if not text:
            return None
        template = self._template(text)
        contributes = f"message:{template}" in self.used
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

"""Is a stack frame the application's own code, or a library / runtime frame?"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faultbox.model import Frame


@dataclass(frozen=True, slots=True)
class InAppRules:
    """Per-project overrides: module or path prefixes forced in or out of the app.

    A rule matches a frame's module, filename or abs_path by plain prefix; when
    both lists match, the longer (more specific) prefix wins, ``exclude`` on a tie.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, obj: object) -> InAppRules:
        """The per-project JSON object ``{"include": [...], "exclude": [...]}``."""
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise ValueError("in-app rules must be a JSON object")
        unknown = sorted(str(k) for k in obj if k not in ("include", "exclude"))
        if unknown:
            raise ValueError(f"in-app rules: unknown key(s) {', '.join(unknown)}")
        return cls(include=_prefixes(obj, "include"), exclude=_prefixes(obj, "exclude"))

    def to_json(self) -> dict[str, list[str]]:
        return {"include": list(self.include), "exclude": list(self.exclude)}


def _prefixes(obj: dict[object, object], name: str) -> tuple[str, ...]:
    value = obj.get(name, [])
    if not isinstance(value, list) or len(value) > 200:
        raise ValueError(f"in-app rules: {name!r} must be a list of at most 200 prefixes")
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > 300:
            raise ValueError(f"in-app rules: {name!r} entries must be non-empty prefixes")
    return tuple(item.strip() for item in value)


_LIBRARY_PATH_RE = re.compile(
    r"(?:^|[/\\])(?:site-packages|dist-packages|node_modules|vendor|bower_components"
    r"|\.venv|venv|\.cargo|go/pkg/mod|gems|Pods|Carthage)[/\\]"
    r"|(?:^|[/\\])lib[/\\]python\d(?:\.\d+)?[/\\]"
    r"|^<frozen |^\[native code\]$|^native$|^node:|^internal/"
    r"|(?:^|/)usr/(?:local/)?lib/|(?:^|/)usr/(?:local/)?go/src/|(?:^|/)libexec/src/"
    r"|^/lib/|^/System/Library/|^[a-z]:[/\\]windows[/\\]",
    re.IGNORECASE,
)
_LIBRARY_MODULE_RE = re.compile(
    r"^(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|android|androidx|dalvik|libcore"
    r"|scala|System|Microsoft|Mono|Windows|UIKit|Foundation|CoreFoundation|libsystem_"
    r"|libdispatch|libobjc)(?:[.$/_]|$)"
)
# Go's standard library is the import paths without a dot in their first element.
_GO_STDLIB_RE = re.compile(r"^[a-z0-9]+(?:/[a-z0-9_]+)*$")


def _rule_verdict(frame: Frame, rules: InAppRules) -> bool | None:
    best_len = -1
    verdict: bool | None = None
    names = [name for name in (frame.module, frame.filename, frame.abs_path) if name]
    for in_app, prefixes in ((True, rules.include), (False, rules.exclude)):
        for prefix in prefixes:
            longer = len(prefix) > best_len or (len(prefix) == best_len and not in_app)
            if prefix and longer and any(n.startswith(prefix) for n in names):
                best_len = len(prefix)
                verdict = in_app
    return verdict


def _is_go(frame: Frame, platform: str) -> bool:
    if (frame.platform or platform) == "go":
        return True
    path = frame.abs_path or frame.filename or ""
    return path.endswith(".go")


def is_in_app(frame: Frame, platform: str, rules: InAppRules | None = None) -> bool:
    """Project rule, else the SDK's own flag, else path and module heuristics."""
    return in_app_verdict(frame, platform, rules)[0]


def in_app_verdict(
    frame: Frame, platform: str, rules: InAppRules | None = None
) -> tuple[bool, str]:
    """Whether the frame is the app's own code, and the reason (for the explanation)."""
    if rules is not None and (rules.include or rules.exclude):
        verdict = _rule_verdict(frame, rules)
        if verdict is not None:
            return verdict, "project in-app rule"
    if frame.in_app is not None:
        return frame.in_app, "SDK's in_app flag"
    for path in (frame.abs_path, frame.filename, frame.package):
        if path and _LIBRARY_PATH_RE.search(path):
            return False, "library or runtime path"
    module = frame.module
    if module:
        if _LIBRARY_MODULE_RE.match(module):
            return False, "standard library or runtime module"
        if _is_go(frame, platform) and module != "main" and _GO_STDLIB_RE.match(module):
            return False, "Go standard library package"
    if frame.function == "[native code]":
        return False, "native code"
    if frame.abs_path or frame.filename or module or frame.function:
        return True, "not a library path or module"
    return False, "frame names nothing"

"""The default fingerprint components of an event, and the client's fingerprint.

A component is one short line ("type:ValueError", "frame:app.views:pay"); the
hash covers them and the issue page shows them to explain the grouping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from faultbox.digest.grouping.in_app import InAppRules, is_in_app
from faultbox.digest.grouping.templating import template_message
from faultbox.model import Event, ExceptionValue, Frame, Thread

MAX_FALLBACK_FRAMES = 10
# Longer source lines are minified bundles: one line for the whole file, new per build.
MAX_CONTEXT_LINE = 200
# Only the head of a long message names the bug; the rest is payload.
MAX_MESSAGE = 512
_MAX_NAME = 256

_DEFAULT_RE = re.compile(r"\{\{\s*default\s*\}\}", re.IGNORECASE)

_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*")
_LIBRARY_ROOT_RE = re.compile(
    r"^(?:.*/)?(?:site-packages|dist-packages|node_modules|lib/python\d[\d.]*|gems/[^/]+)/"
)
# Generic deploy directories, however many are stacked: "/srv/app/..." and
# "/app/..." must give the same project-relative path.
_DEPLOY_ROOT_RE = re.compile(
    r"^(?:[a-z]:)?(?:/(?:app|apps|srv|opt|code|workspace|deploy|www|html|htdocs|public_html"
    r"|var|task|usr|local|root|tmp|home/[^/]+|Users/[^/]+))+(?=/|$)"
)
_VOLATILE_SEGMENT_RE = re.compile(
    r"\d{4,}|v?\d+(?:\.\d+)+(?:[-+][\w.]+)?|(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{7,}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|releases|current|\.\.?|"
)
_BUNDLE_EXT_RE = re.compile(r"\.(?:m?js|cjs|jsx|css|map)$")
# Bundler content hashes: "main.3f9a2c1b.js", "1234.chunk.js", "index-BfX3a9Zk.js".
_BUNDLE_HASH_RE = re.compile(r"[.-](?:\d+|(?=[0-9a-zA-Z]*\d)[0-9a-zA-Z]{8,})(?=[.-])|^\d+\.")

_GENERATED_RE = re.compile(
    r"\$\$(?:EnhancerBy|FastClassBy)\w*?\$\$[0-9a-fA-F]+"
    r"|\$\$Lambda(?:\$\d+)?(?:/0x[0-9a-fA-F]+|/\d+)?"
    r"|(?<=\$Proxy)\d+"
    r"|\$HibernateProxy\$\w+"
    r"|\s*(?:\bat\s+)?0x[0-9a-fA-F]+"
)
_ANON_RE = re.compile(
    r"<(?:lambda|genexpr|listcomp|dictcomp|setcomp|anonymous(?: function)?)>"
    r"|\{anonymous\}|\banonymous\b|(?<![\w?])\?(?![\w?])"
    r"|\blambda\$[\w$]*?\$\d+"
    r"|(?<=>b__)\d+(?:_\d+)?"
)
_JS_ALIAS_RE = re.compile(r"\s+\[as [^\]]*\]$")


# Deploy tools name the directory after these by release ("releases/101/", Capistrano).
_RELEASE_PARENTS = frozenset({"releases", "release", "deploys", "builds", "versions"})


def _stable_segments(parts: list[str]) -> list[str]:
    kept: list[str] = []
    skip_next = False
    for part in parts:
        if skip_next:
            skip_next = False
            continue
        if part.lower() in _RELEASE_PARENTS:
            skip_next = True
            continue
        if not _VOLATILE_SEGMENT_RE.fullmatch(part):
            kept.append(part)
    return kept


@lru_cache(maxsize=8192)
def _filename(path: str) -> str:
    path = path.replace("\\", "/").split("?", 1)[0].split("#", 1)[0]
    path = _SCHEME_RE.sub("", path, count=1)
    if len(path) > 2 and path[1] == ":" and path[2] == "/":
        path = path[0].lower() + path[1:]
    stripped = _LIBRARY_ROOT_RE.sub("", path, count=1)
    if stripped is path:
        stripped = _DEPLOY_ROOT_RE.sub("", path, count=1)
    segments = _stable_segments(stripped.split("/"))
    if segments and _BUNDLE_EXT_RE.search(segments[-1]):
        segments[-1] = _BUNDLE_HASH_RE.sub("", segments[-1]) or segments[-1]
    return "/".join(segments[-3:])


def normalize_filename(path: str) -> str:
    """Drop the parts of a path that change between deploys, hosts and builds."""
    return _filename(path[-_MAX_NAME:])


@lru_cache(maxsize=8192)
def _function(name: str) -> str:
    name = _JS_ALIAS_RE.sub("", name)
    name = _GENERATED_RE.sub("", name)
    return _ANON_RE.sub(_anon, name).strip() or "<anon>"


def _anon(match: re.Match[str]) -> str:
    text = match.group()
    if text[:1].isdigit():  # .NET "<Main>b__0_1": the ordinal of the lambda
        return "anon"
    return "lambda" if text.startswith("lambda$") else "<anon>"


def normalize_function(name: str) -> str:
    """Anonymous and generated names made stable: ``<lambda>`` → ``<anon>``."""
    return _function(name[:_MAX_NAME])


@lru_cache(maxsize=8192)
def _module(name: str) -> str:
    return _GENERATED_RE.sub("", name).strip()


def normalize_module(name: str) -> str:
    """Generated proxy/lambda class suffixes and addresses removed."""
    return _module(name[:_MAX_NAME])


def _where(frame: Frame) -> str:
    if frame.module:
        return normalize_module(frame.module)
    path = frame.filename or frame.abs_path
    return normalize_filename(path) if path else ""


def frame_location(frame: Frame) -> str | None:
    """``module:function`` (or ``file:function``); None for a frame that names nothing."""
    where = _where(frame)
    function = normalize_function(frame.function) if frame.function else ""
    if not where and not function:
        return None
    return f"{where}:{function or '?'}"


def frame_display(frame: Frame) -> str | None:
    """The culprit form, ``module in function``."""
    where = _where(frame)
    function = normalize_function(frame.function) if frame.function else "?"
    if not where:
        return None if function == "?" else function
    return f"{where} in {function}"


def context_text(frame: Frame) -> str | None:
    text = " ".join(frame.context_line.split()) if frame.context_line else ""
    return text if text and len(text) <= MAX_CONTEXT_LINE else None


def innermost_in_app(
    frames: Sequence[Frame], platform: str, rules: InAppRules | None
) -> Frame | None:
    for frame in reversed(frames):
        if is_in_app(frame, platform, rules) and frame_location(frame) is not None:
            return frame
    return None


def app_frame_components(frame: Frame) -> list[str]:
    out = [f"frame:{frame_location(frame)}"]
    context = context_text(frame)
    if context is not None:
        out.append(f"context:{context}")
    return out


def fallback_components(frames: Sequence[Frame]) -> list[str]:
    """Up to ten innermost frames, consecutive repeats (recursion) counted once."""
    picked: list[str] = []
    for frame in reversed(frames):
        location = frame_location(frame)
        if location is None or (picked and picked[-1] == location):
            continue
        picked.append(location)
        if len(picked) == MAX_FALLBACK_FRAMES:
            break
    return [f"frame:{location}" for location in reversed(picked)]


def stack_components(frames: Sequence[Frame], platform: str, rules: InAppRules | None) -> list[str]:
    """The innermost in-app frame, else the frames themselves."""
    frame = innermost_in_app(frames, platform, rules)
    return app_frame_components(frame) if frame is not None else fallback_components(frames)


def message_template(text: str) -> str:
    text = " ".join(text[: MAX_MESSAGE * 2].split())[:MAX_MESSAGE]
    return _cached_template(text)


@lru_cache(maxsize=4096)
def _cached_template(text: str) -> str:
    return template_message(text)


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
    leaves: Sequence[Leaf], platform: str, rules: InAppRules | None
) -> list[str]:
    app_frames = [innermost_in_app(leaf.frames, platform, rules) for leaf in leaves]
    # A cause raised wholly inside a library (a Java chain's root cause) is told
    # apart by its type; its library frames would only split the issue by version.
    use_fallback = all(frame is None for frame in app_frames)
    has_stack = any(leaf.frames for leaf in leaves)
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for leaf, frame in zip(leaves, app_frames, strict=True):
        exc = leaf.exc
        synthetic = _is_synthetic(exc)
        if synthetic:
            # A captured message dressed as an exception: its type says nothing.
            parts = [f"message:{message_template(exc.value or '')}"]
        else:
            parts = [f"type:{normalize_module(exc.type or '')}"]
        if frame is not None:
            parts.extend(app_frame_components(frame))
        elif use_fallback and leaf.frames:
            parts.extend(fallback_components(leaf.frames))
        elif not has_stack and not synthetic:
            parts.append(f"message:{message_template(exc.value or '')}")
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


def message_components(event: Event) -> list[str]:
    text = event.message_template or event.message
    if not text:
        return []
    out = [f"message:{message_template(text)}"]
    if event.logger:
        out.append(f"logger:{event.logger}")
    return out


def default_components(event: Event, leaves: Sequence[Leaf], rules: InAppRules | None) -> list[str]:
    if leaves:
        return exception_components(leaves, event.platform, rules)
    crashed = next((t for t in event.threads if t.crashed and t.frames), None)
    if crashed is not None:
        return stack_components(crashed.frames, event.platform, rules)
    # A message's attached stack is where it was logged from: a shared logging
    # helper would fold every message into one issue, so the text comes first.
    components = message_components(event)
    if components:
        return components
    thread = pick_thread(event.threads)
    if thread is not None:
        return stack_components(thread.frames, event.platform, rules)
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

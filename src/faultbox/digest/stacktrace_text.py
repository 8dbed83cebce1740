"""Plain-text stack traces (as logged, or posted to ``/api/v1/errors``) → exceptions.

The result mimics what the language's Sentry SDK would have sent for the same error
(root cause first, frames oldest first, the same module/function split) so a bug
reported both ways groups the same.  The input is untrusted and may be large: all
parsing is line by line with ``str`` methods and bounded regexes, linear in size.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from faultbox.digest.grouping.options import V1, GroupingOptions
from faultbox.model import ExceptionValue, Frame

MAX_LINE = 4096  # longer lines are never frames; looking into them would only cost time
MAX_VALUE = 8192
MAX_FRAMES = 250
OUTER_FRAMES = 50
MAX_EXCEPTIONS = 50

_TYPE = re.compile(r"[A-Za-z_$][\w$.`<>\[\]+/-]{0,255}")
_ERROR_SUFFIXES = ("Error", "Exception", "Throwable", "Panic", "Fault", "Interrupt", "Exit")
_NOT_APP_PATHS = tuple(
    "site-packages dist-packages node_modules /lib/python gems/ /lib/ruby/ node:internal"
    " /src/runtime/ /pkg/mod/ <frozen".split()
)
_NOT_APP_MODULES = tuple(
    "java. javax. kotlin. kotlinx. sun. com.sun. jdk. android. androidx. dalvik. System."
    " Microsoft. runtime.".split()
)
_Str = str | None


@dataclass(frozen=True, slots=True)
class ParsedTrace:
    platform: str  # python | javascript | java | go | ruby | csharp | other
    exceptions: tuple[ExceptionValue, ...]


def _in_app(path: _Str, module: _Str) -> bool | None:
    # Only "certainly not app code" is decided here; grouping settles the rest.
    if path and any(p in path for p in _NOT_APP_PATHS):
        return False
    return False if module and (module + ".").startswith(_NOT_APP_MODULES) else None


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _type_value(line: str) -> tuple[_Str, _Str]:
    """``Type: message`` → (type, message); anything else is a bare message."""
    line = line.strip()
    idx = line.find(":")
    if idx > 0 and _TYPE.fullmatch(line, 0, idx):
        return line[:idx], line[idx + 1 :].strip() or None
    return (line, None) if _TYPE.fullmatch(line) else (None, line or None)


def _header(lines: list[str]) -> tuple[_Str, _Str]:
    """Type and message from the lines before the frames, skipping log-prefix lines."""
    start = 0
    for index, line in enumerate(lines[:20]):
        type_ = _type_value(line)[0]
        if type_ and (type_.endswith(_ERROR_SUFFIXES) or "." in type_):
            start = index
            break
    type_, value = _type_value(lines[start]) if lines else (None, None)
    if len(lines) > start + 1:
        value = "\n".join([value or "", *lines[start + 1 :]]).strip()
    return type_, value


def _qualified_exc(header: list[str], frames: list[Frame]) -> ExceptionValue:
    """``java.io.IOException: x`` → ``IOException`` in module ``java.io``, as SDKs send it."""
    type_, value = _header(header)
    if type_ and "." in type_.rstrip("."):
        module, _, name = type_.rpartition(".")
        return _exc(name, value, frames, module)
    return _exc(type_, value, frames)


def _exc(type_: _Str, value: _Str, frames: list[Frame], module: _Str = None) -> ExceptionValue:
    if len(frames) > MAX_FRAMES:
        frames = frames[:OUTER_FRAMES] + frames[OUTER_FRAMES - MAX_FRAMES :]
    if value is not None and len(value) > MAX_VALUE:
        value = value[: MAX_VALUE - 3] + "..."
    return ExceptionValue(type=type_, value=value, module=module, frames=tuple(frames))


def _frame(path: _Str, function: _Str, module: _Str, lineno: int | None, colno: int | None = None,
           filename: _Str = None, context: _Str = None) -> Frame:  # fmt: skip
    return Frame(filename or path, path, function, module, lineno, colno, context,
                 in_app=_in_app(path, module))  # fmt: skip


def _split_loc(loc: str) -> tuple[_Str, int | None, int | None]:
    """``path:line:col`` / ``path:line`` / ``path``, where the path may contain colons."""
    head, _, last = loc.rpartition(":")
    if head and _int(last) is not None:
        head2, _, mid = head.rpartition(":")
        if head2 and _int(mid) is not None:
            return head2, _int(mid), _int(last)
        return head, _int(last), None
    return loc or None, None, None


# --- Python: printed oldest frame first, and each cause before what it caused.
def _py_frame(s: str, context: _Str) -> Frame:
    rest = s[6:]  # after 'File "'
    q = rest.find('", line ')
    path, lineno, function = rest.rstrip('"'), None, None
    if q != -1:
        path = rest[:q]
        num, sep, function_ = rest[q + 8 :].partition(", in ")
        lineno, function = _int(num.strip()), function_.strip() if sep else None
    filename, module = path, None
    idx = max(path.rfind("site-packages/"), path.rfind("dist-packages/"))
    if idx != -1:  # both markers are 14 characters long
        filename = path[idx + 14 :]
        module = filename.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    return _frame(path, function, module, lineno, None, filename, context)


def _parse_python(lines: list[str]) -> list[ExceptionValue]:
    out: list[ExceptionValue] = []
    frames: list[Frame] = []
    in_tb, i, n = False, 0, len(lines)
    while i < n:
        line = lines[i]
        s = line.strip()
        i += 1
        if s.startswith("Traceback (most recent call last)"):
            frames, in_tb = [], True
        elif not in_tb or not s.strip("^~ ") or s.startswith("[Previous line"):
            continue
        elif s.startswith('File "') and line[0].isspace() and len(s) < MAX_LINE:
            context = None
            if i < n and lines[i].startswith("    ") and not lines[i].lstrip().startswith('File "'):
                context = lines[i].strip()
                i += 1
            frames.append(_py_frame(s, context if context and context.strip("^~ ") else None))
        elif not line[0].isspace():
            message = [s]
            while i < n and lines[i].strip() and not lines[i].startswith("Traceback ("):
                message.append(lines[i].rstrip())
                i += 1
            out.append(_qualified_exc(message, frames))
            frames, in_tb = [], False
    return out


# --- JavaScript: V8 "at fn (url:line:col)" or Firefox/Safari "fn@url:line:col", newest first.
def _js_frame(function: _Str, loc: str) -> Frame:
    if function in ("", "<anonymous>", "?", "Anonymous function"):
        function = None
    path, lineno, colno = _split_loc(loc)
    if path in ("native", "<anonymous>", "[native code]") or (path and path.startswith("index ")):
        path = None
    return _frame(path, function, None, lineno, colno)


def _js_line(s: str) -> Frame | None:
    if s.startswith("at "):
        rest = s[3:].strip().removeprefix("async ")
        p = rest.find(" (") if rest.endswith(")") else -1
        return _js_frame(rest[:p], rest[p + 2 : -1]) if p != -1 else _js_frame(None, rest)
    at = s.find("@")
    loc = s[at + 1 :]
    if at == -1 or " " in loc or (loc != "[native code]" and _split_loc(loc)[1] is None):
        return None
    return _js_frame(s[:at], loc)


def _parse_js(lines: list[str]) -> list[ExceptionValue]:
    header: list[str] = []
    frames: list[Frame] = []
    for line in lines:
        s = line.strip()
        if (frame := _js_line(s) if len(s) < MAX_LINE else None) is not None:
            frames.append(frame)
        elif not frames:
            header.append(s.removeprefix("Uncaught "))
    # Node prints the throwing source line first; the error is the last paragraph.
    while header and not header[-1]:
        header.pop()
    start = len(header) - header[::-1].index("") if "" in header else 0
    return [_exc(*_header(header[start:]), frames[::-1])]


# --- Java/Kotlin: "at pkg.Class.method(File.java:42)", newest first; "Caused by:" below.
# What may stand before the "(": no spaces, brackets or quotes (Jackson's message line
# " at [Source: (String)"..."; line: 1]" has all three).
_JAVA_QUALIFIED = re.compile(r"[^\s\[\]\"'(),;:]{1,512}")


def _java_frame(rest: str, strict: bool = False) -> Frame | None:
    p = rest.find("(")
    if p <= 0 or not rest.endswith(")"):
        return None
    if strict and not _JAVA_QUALIFIED.fullmatch(rest, 0, p):
        return None
    qual = rest[:p].rpartition("/")[2]  # drops "java.base/" and "app//" prefixes
    module, _, function = qual.rpartition(".")
    inside = rest[p + 1 : -1]
    filename, lineno = inside or None, None
    name, _, num = inside.rpartition(":")
    if name and _int(num) is not None:
        filename, lineno = name, _int(num)
    if filename in ("Native Method", "Unknown Source"):
        filename = None
    return _frame(filename, function, module or None, lineno)


def _parse_java(lines: list[str], strict: bool = False) -> list[ExceptionValue]:
    blocks: list[tuple[list[str], list[Frame]]] = []
    skipping = False  # inside a "Suppressed:" block, which is not part of the cause chain
    for line in lines:
        s = line.strip()
        if not s or len(s) > MAX_LINE:
            continue
        if s.startswith("at ") and blocks:
            frame = _java_frame(s[3:], strict)
            if frame is not None and not skipping and len(blocks[-1][1]) < 4 * MAX_FRAMES:
                blocks[-1][1].append(frame)
            elif frame is None and strict and not skipping and not blocks[-1][1]:
                blocks[-1][0].append(s)  # "at" starting a line of the message
        elif s.startswith("... ") and s.endswith(" more") and blocks:
            # The rest of this trace equals the enclosing trace's last N frames.
            if (count := _int(s[4:-5])) and not skipping and len(blocks) > 1:
                blocks[-1][1].extend(blocks[-2][1][-count:])
        elif s.startswith(("Caused by: ", "Suppressed: ")):
            skipping = s.startswith("Suppressed: ")
            if not skipping:
                blocks.append(([s[11:]], []))
        elif not blocks:
            if s.startswith("Exception in thread "):
                s = s.partition('" ')[2] or s
            blocks.append(([s], []))
        elif not blocks[-1][1] and not skipping:
            blocks[-1][0].append(s)  # a multi-line message
    return [_qualified_exc(header, frames[::-1]) for header, frames in reversed(blocks)]


# --- Go: "panic: msg", then per frame a "pkg.func(args)" line and a "\tpath:line +0x1d" line.
def _parse_go(lines: list[str]) -> list[ExceptionValue]:
    type_, value, function = None, None, None
    frames: list[Frame] = []
    in_stack = False
    for line in lines:
        s = line.strip()
        if type_ is None and s.startswith(("panic: ", "fatal error: ")):
            type_, _, value = s.partition(": ")
            value = value.removesuffix(" [recovered]")
        elif s.startswith("goroutine ") and s.endswith(":"):
            if in_stack:
                break  # only the goroutine that panicked matters
            in_stack = True
        elif not in_stack or len(s) > MAX_LINE:
            continue
        elif not s:
            if frames:
                break
        elif line[0].isspace() and function is not None:
            path, _, num = (s.rpartition(" +0x")[0] or s).rpartition(":")
            dot = function.find(".", function.rfind("/") + 1)
            module, func = (function[:dot], function[dot + 1 :]) if dot != -1 else (None, function)
            # The Go SDK sends abs_path only; filename stays empty to match it.
            frame = Frame(None, path or None, func, module, _int(num), in_app=_in_app(path, module))
            frames.append(frame)
            function = None
        else:
            name = s.removeprefix("created by ").partition(" in goroutine ")[0]
            function = name[: name.rfind("(")] if name.endswith(")") and "(" in name else name
    return [_exc(type_, value, frames[::-1])] if type_ is not None or frames else []


# --- Ruby: "path:10:in `meth': msg (Type)", then "from path:3:in `caller'", newest first.
def _ruby_frame(s: str) -> tuple[Frame, str] | None:
    s = s.removeprefix("from ")
    k = s.find(":in ")
    quoted = s[k + 4 :]
    close = quoted.find("'", 1)
    if k == -1 or not quoted or quoted[0] not in "`'" or close == -1:
        return None
    path, _, num = s[:k].rpartition(":")
    return _frame(path, quoted[1:close], None, _int(num)), quoted[close + 1 :]


def _parse_ruby(lines: list[str]) -> list[ExceptionValue]:
    frames: list[Frame] = []
    type_, value = None, None
    for line in lines:
        s = line.strip()
        if (parsed := _ruby_frame(s) if len(s) < MAX_LINE else None) is not None:
            if not frames and parsed[1].startswith(": "):
                value = parsed[1][2:]
            frames.append(parsed[0])
        elif not frames and s:
            value = s  # "Type (message):" from Rails logs, or "message (Type)"
    if value and value.endswith("):") and " (" in value:
        type_, _, value = value[:-2].partition(" (")
    elif value and value.endswith(")") and " (" in value:
        value, _, type_ = value[:-1].rpartition(" (")
    return [_exc(type_, value or None, frames[::-1])] if frames or value else []


# --- .NET: "Outer: msg ---> Inner: msg", then the innermost frames first, each block
# closed by "--- End of inner exception stack trace ---"; frames newest first.
def _cs_frame(rest: str) -> Frame:
    path, lineno = None, None
    marker = rest.rfind(":line ")
    k = rest.rfind(" in ", 0, marker) if marker != -1 else -1
    if k != -1:
        path, lineno, rest = rest[k + 4 : marker], _int(rest[marker + 6 :].strip()), rest[:k]
    module, _, function = rest.partition("(")[0].rpartition(".")
    if function == "MoveNext" and "<" in module:
        # async state machine: Acme.Svc.<Run>d__4.MoveNext() is Acme.Svc.Run
        lt = module.rfind("<")
        function = module[lt + 1 : module.find(">", lt)] or function
        module = module[:lt].rstrip(".")
    return _frame(path, function, module or None, lineno)


def _parse_csharp(lines: list[str]) -> list[ExceptionValue]:
    headers: list[list[str]] = []
    blocks: list[list[Frame]] = [[]]
    for line in lines:
        s = line.strip()
        if not s or len(s) > MAX_LINE:
            continue
        if s.startswith("at "):
            blocks[-1].append(_cs_frame(s[3:]))
        elif s.startswith("--- End of inner exception stack trace"):
            blocks.append([])
        elif not (s.startswith("--- ") or blocks[-1] or len(blocks) > 1):
            parts = s.removeprefix("---> ").removeprefix("Unhandled exception. ").split(" ---> ")
            if s.startswith("---> ") or not headers:
                headers.append([])
            headers[-1].append(parts[0])
            headers.extend([p] for p in parts[1:])
    chain = headers[::-1]  # innermost first, like the frame blocks
    blocks = [b for b in blocks if b]
    skip = len(chain) - len(blocks)  # chained exceptions printed without frames
    return [
        _exc(*_header(header), blocks[i - skip][::-1] if i >= skip else [])
        for i, header in enumerate(chain)
    ]


_PARSERS: dict[str, Callable[[list[str]], list[ExceptionValue]]] = {
    "python": _parse_python,
    "javascript": _parse_js,
    "java": _parse_java,
    "go": _parse_go,
    "ruby": _parse_ruby,
    "csharp": _parse_csharp,
}
_HINTS = {"node": "javascript", "browser": "javascript", "kotlin": "java", "android": "java"}
_HINTS |= {"dotnet": "csharp", "c#": "csharp", "golang": "go"}


def _classify(line: str) -> str | None:
    """Which language prints a frame line like this one, if any."""
    s = line.strip()
    if s.startswith("at "):
        rest = s[3:]
        if ":line " in rest or "(" not in rest:
            return "csharp" if ":line " in rest else "javascript"
        head, _, inside = rest.partition("(")
        if head.endswith(" ") or head.startswith("async "):
            return "javascript"
        if inside in ("Native Method)", "Unknown Source)") or inside.startswith("Unknown Source:"):
            return "java"
        return "csharp" if inside == ")" or " " in inside else "java"
    if s.startswith('File "') and ", line " in s:
        return "python"
    if (s.startswith("goroutine ") and s.endswith(":")) or (".go:" in s and line[:1] == "\t"):
        return "go"
    if ":in `" in s or ":in '" in s:
        return "ruby"
    if s.startswith("--- End of inner exception"):
        return "csharp"
    return "javascript" if "@" in s and _js_line(s) is not None else None


def _detect(lines: list[str], hint: _Str) -> str:
    counts = Counter(k for line in lines if len(line) < MAX_LINE and (k := _classify(line)))
    hint = _HINTS.get(hint or "", hint)
    if counts:
        best = max(counts.values())
        return hint if hint and counts[hint] == best else max(counts, key=counts.__getitem__)
    if lines and lines[0].startswith(("panic: ", "fatal error: ")):
        return "go"
    return hint if hint in _PARSERS else "other"


def _parse_java_strict(lines: list[str]) -> list[ExceptionValue]:
    return _parse_java(lines, strict=True)


def parse_stack_trace(
    text: str, *, platform_hint: str | None = None, options: GroupingOptions = V1
) -> ParsedTrace:
    """``options``: the grouping version the frames are for (its parsing fixes)."""
    lines = text.splitlines()
    platform = _detect(lines, platform_hint.lower() if platform_hint else None)
    parser = _PARSERS.get(platform)
    if parser is _parse_java and options.strict_java_frames:
        parser = _parse_java_strict
    exceptions = parser(lines) if parser is not None else []
    if not exceptions:
        exceptions = [_exc(None, text.strip() or None, [])]
    return ParsedTrace(platform=platform, exceptions=tuple(exceptions[-MAX_EXCEPTIONS:]))

"""How grouping names a frame: its file, module and function without the parts that
change between deploys, hosts, builds and browsers."""

from __future__ import annotations

import re
from functools import lru_cache

from faultbox.digest.grouping.options import V1, GroupingOptions
from faultbox.model import Frame

# Longer source lines are minified bundles: one line for the whole file, new per build.
MAX_CONTEXT_LINE = 200
_MAX_NAME = 256

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
_LETTER_HASH_RE = re.compile(r"[.-](?:[a-f]{8,}|[A-F]{8,})(?=[.-])")
# Vite/Rollup: "index-DkQzRbWa.js", 8 base64url characters; one build in four has no
# digit in it. Mixed case tells it from a word ("vendor-runtime.js").
_VITE_HASH_RE = re.compile(r"-(?=[\w-]{0,7}[a-z])(?=[\w-]{0,7}[A-Z])[\w-]{8}(?=\.[cm]?js$)")

_GENERATED_RE = re.compile(
    r"\$\$(?:EnhancerBy|FastClassBy)\w*?\$\$[0-9a-fA-F]+"
    r"|\$\$Lambda(?:\$\d+)?(?:/0x[0-9a-fA-F]+|/\d+)?"
    r"|(?<=\$Proxy)\d+"
    r"|\$HibernateProxy\$\w+"
    r"|\s*(?:\bat\s+)?0x[0-9a-fA-F]+"
)
# Spring 6 names its CGLIB proxies "Service$$SpringCGLIB$$0" (Spring 5: "$$EnhancerBy...").
_SPRING6_PROXY_RE = re.compile(r"\$\$SpringCGLIB\$\$(?:\w+?\$\$)?\d+")
_ANON_RE = re.compile(
    r"<(?:lambda|genexpr|listcomp|dictcomp|setcomp|anonymous(?: function)?)>"
    r"|\{anonymous\}|\banonymous\b|(?<![\w?])\?(?![\w?])"
    r"|\blambda\$[\w$]*?\$\d+"
    r"|(?<=>b__)\d+(?:_\d+)?"
)
_JS_ALIAS_RE = re.compile(r"\s+\[as [^\]]*\]$")
# V8 prefixes a method with its receiver's type, Firefox does not; for the built-in
# types (a DOM handler, a plain object) the prefix says nothing about the code.
_JS_BUILTIN_RECEIVER_RE = re.compile(
    r"^(?:(?:HTML|SVG)\w*Element|Object|Window|Document|global|globalThis"
    r"|EventTarget|XMLHttpRequest|WebSocket|MessagePort|Worker)\.(?=[^.\s])"
)
_ANON = "<anon>"
# Minifiers (terser, esbuild, Closure) give functions one or two characters ("t", "Xn",
# "$e"), handed out anew on every build. A third character only comes past ~3,500 names
# in one scope, while real three-letter names ("get", "add") are common: two it is.
_MINIFIED_NAME_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]?")
# V8 prefixes a method with its receiver; a minified one ("t.render") changes per build
# and Firefox writes no receiver at all ("render").
_MINIFIED_RECEIVER_RE = re.compile(r"^(?:[A-Za-z_$][A-Za-z0-9_$]?\.)+(?=[^.\s])")
MINIFIED = "<minified>"
_SNIPPED = "{snip}"

# Deploy tools name the directory after these by release ("releases/101/", Capistrano).
_RELEASE_PARENTS = frozenset({"releases", "release", "deploys", "builds", "versions"})
_JS_PLATFORMS = frozenset({"javascript", "node"})


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
def _filename(path: str, letter_hashes: bool) -> str:
    path = path.replace("\\", "/").split("?", 1)[0].split("#", 1)[0]
    path = _SCHEME_RE.sub("", path, count=1)
    if len(path) > 2 and path[1] == ":" and path[2] == "/":
        path = path[0].lower() + path[1:]
    stripped = _LIBRARY_ROOT_RE.sub("", path, count=1)
    if stripped is path:
        stripped = _DEPLOY_ROOT_RE.sub("", path, count=1)
    segments = _stable_segments(stripped.split("/"))
    if segments and _BUNDLE_EXT_RE.search(segments[-1]):
        name = _BUNDLE_HASH_RE.sub("", segments[-1])
        if letter_hashes:
            name = _VITE_HASH_RE.sub("", _LETTER_HASH_RE.sub("", name))
        segments[-1] = name or segments[-1]
    return "/".join(segments[-3:])


def normalize_filename(path: str, *, options: GroupingOptions = V1) -> str:
    """Drop the parts of a path that change between deploys, hosts and builds."""
    return _filename(path[-_MAX_NAME:], options.letter_bundle_hashes)


@lru_cache(maxsize=8192)
def _function(name: str, js: bool, minified: bool) -> str:
    name = _JS_ALIAS_RE.sub("", name)
    if js:
        # Firefox marks async callers "async*f"; V8 calls a constructor "new F".
        name = name.removeprefix("async*").removeprefix("new ")
        name = _JS_BUILTIN_RECEIVER_RE.sub("", name, count=1)
    if minified:  # after the built-in receiver: "Object.t.n" is "n"
        name = _MINIFIED_RECEIVER_RE.sub("", name, count=1)
    if js and name.endswith("<") and "/" in name:
        # Firefox: "cartTotal/<" is an anonymous function inside cartTotal.
        name = name.rpartition("/")[2].rstrip("<")
    name = _GENERATED_RE.sub("", name)
    return _ANON_RE.sub(_anon, name).strip() or _ANON


def _anon(match: re.Match[str]) -> str:
    text = match.group()
    if text[:1].isdigit():  # .NET "<Main>b__0_1": the ordinal of the lambda
        return "anon"
    return "lambda" if text.startswith("lambda$") else _ANON


def normalize_function(name: str, *, js: bool = False, minified: bool = False) -> str:
    """Anonymous and generated names made stable: ``<lambda>`` → ``<anon>``; with ``js``,
    V8's built-in receivers and Firefox's ``/<`` suffixes dropped; with ``minified``,
    receivers of one or two characters (``t.render`` → ``render``) too."""
    return _function(name[:_MAX_NAME], js, minified)


def is_minified_name(name: str) -> bool:
    """A name as minifiers write it: one or two characters (``t``, ``Xn``, ``$e``)."""
    return _MINIFIED_NAME_RE.fullmatch(name) is not None


@lru_cache(maxsize=8192)
def _module(name: str, spring6: bool) -> str:
    if spring6:
        name = _SPRING6_PROXY_RE.sub("", name)
    return _GENERATED_RE.sub("", name).strip()


def normalize_module(name: str, *, options: GroupingOptions = V1) -> str:
    """Generated proxy/lambda class suffixes and addresses removed."""
    return _module(name[:_MAX_NAME], options.spring_proxies)


def is_js(frame: Frame, platform: str) -> bool:
    return (frame.platform or platform) in _JS_PLATFORMS


def _where(frame: Frame, options: GroupingOptions) -> str:
    if frame.module:
        return normalize_module(frame.module, options=options)
    path = frame.filename or frame.abs_path
    return normalize_filename(path, options=options) if path else ""


def function_name(frame: Frame, *, platform: str = "", options: GroupingOptions = V1) -> str:
    """The normalized function, ``""`` when the frame names none, ``<minified>`` for a
    minifier's name (with ``minified_names``)."""
    if not frame.function:
        return ""
    js = is_js(frame, platform)
    minified = options.minified_names and js
    name = normalize_function(frame.function, js=options.js_names and js, minified=minified)
    # A source line short enough to read is no minified bundle (minified code is one long
    # line per file): there "t" is a real name, i18next's translate function say.
    if minified and is_minified_name(name) and context_text(frame, options=options) is None:
        return MINIFIED
    return name


def is_minified(frame: Frame, *, platform: str = "", options: GroupingOptions = V1) -> bool:
    """A JavaScript frame whose function a minifier named: its name changes every build."""
    return function_name(frame, platform=platform, options=options) == MINIFIED


def is_anonymous(frame: Frame, *, platform: str = "", options: GroupingOptions = V1) -> bool:
    return function_name(frame, platform=platform, options=options) in ("", _ANON)


def frame_location(
    frame: Frame, *, platform: str = "", options: GroupingOptions = V1
) -> str | None:
    """``module:function`` (or ``file:function``); None for a frame that names nothing."""
    where = _where(frame, options)
    function = function_name(frame, platform=platform, options=options)
    if not where and not function:
        return None
    # v1 wrote a missing name "?" and the SDKs' "?" "<anon>"; they are the same thing.
    unnamed = _ANON if options.anonymous_callers else "?"
    return f"{where}:{function or unnamed}"


def frame_display(frame: Frame, *, platform: str = "", options: GroupingOptions = V1) -> str | None:
    """The culprit form, ``module in function``."""
    where = _where(frame, options)
    function = function_name(frame, platform=platform, options=options) or "?"
    if not where:
        return None if function == "?" else function
    return f"{where} in {function}"


def context_text(frame: Frame, *, options: GroupingOptions = V1) -> str | None:
    """The frame's source line, None when there is none or it is too long to be read
    (a minified bundle's line, whose text is new with every build)."""
    text = " ".join(frame.context_line.split()) if frame.context_line else ""
    if not text or len(text) > MAX_CONTEXT_LINE:
        return None
    # Sentry's SDKs cut a line over 150 characters to 140 around the column, marked
    # "{snip}": the line was a long one, and the cut moves with the column.
    if options.minified_names and _SNIPPED in text:
        return None
    return text

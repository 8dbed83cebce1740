"""What each grouping version does differently: one switch per change of behaviour.

Hashes of a deployed version must never change, or every issue splits on upgrade.
So each improvement is a field here, off in ``V1`` (today's hashes, exactly) and on
in the versions that include it; the code asks the options, never the version name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GroupingOptions:
    # Templating: letter-and-digit tokens of 8+ characters (ULIDs, "cus_NffrFeUfNV2Hib",
    # pod names) are ids, like numbers and UUIDs: f-string log messages carry them.
    id_tokens: bool = False
    # A frame that names no file, module or package ("at JSON.parse (<anonymous>)",
    # "reduce@[native code]") is the runtime's, never the app frame, whatever the SDK said.
    runtime_frames: bool = False
    # An anonymous app frame without a source line (a JS callback) is one "<anon>",
    # however the browser wrote it ("cartTotal/<" in Firefox, nothing in V8), joined by
    # its nearest named app caller: else every callback of a bundle is the same frame.
    anonymous_callers: bool = False
    # JavaScript names as every browser writes them: without V8's receiver when it is
    # a built-in type ("HTMLButtonElement.onClick", "Object.load") or its "new ", and
    # without Firefox's "/<" and "async*".
    js_names: bool = False
    # Well-known JVM and .NET library namespaces (org.springframework, com.fasterxml,
    # Npgsql, ...) are not app code when the SDK did not say: their raise site would
    # otherwise stand for every bug of every app that calls them.
    library_namespaces: bool = False
    # Spring 6's CGLIB proxy classes ("Service$$SpringCGLIB$$0") named like the class,
    # as Spring 5's ("Service$$EnhancerBySpringCGLIB$$1a2b") already are.
    spring_proxies: bool = False
    # With no app frame anywhere (only runtime frames, as in Node's socket errors), the
    # message template tells errors apart: "ECONNREFUSED" is not "ETIMEDOUT".
    message_without_app_frame: bool = False
    # Bundle content hashes made of hex letters only ("main.aaabbcde.js", one build in
    # ~2,600 for 8 hex digits) are hashes too, not a part of the file's name.
    letter_bundle_hashes: bool = False
    # Text traces: a Java "at ..." line is a frame only if it starts with a qualified
    # name; Jackson's " at [Source: ...]" belongs to the message, it is no frame.
    strict_java_frames: bool = False
    # Minified JavaScript without source maps: a function named "t" or "Xn" in one build
    # is "e" or "Qr" in the next.  Such a frame is named "<minified>" (the bundle's file,
    # hash stripped, stays), and since that no longer tells the bundle's bugs apart, the
    # message joins, with its minified variables masked and browsers' wordings unified.
    # A source line the SDK cut ("{snip}") counts as none: it was a minified one.
    minified_names: bool = False


V1 = GroupingOptions()
V2 = GroupingOptions(
    id_tokens=True,
    runtime_frames=True,
    anonymous_callers=True,
    js_names=True,
    library_namespaces=True,
    spring_proxies=True,
    message_without_app_frame=True,
    letter_bundle_hashes=True,
    strict_java_frames=True,
    minified_names=True,
)

OPTIONS = {"v1": V1, "v2": V2}  # grouping version → what it does

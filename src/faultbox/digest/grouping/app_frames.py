"""Which frame of a stack is the application's: the one an issue is keyed on.

``in_app.py`` decides per frame from project rules, the SDK's flag and path/module
heuristics; this module adds what later grouping versions know on top of it and
finds the innermost app frame (and, for an anonymous one, its named caller).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from faultbox.digest.grouping.in_app import InAppRules, in_app_verdict
from faultbox.digest.grouping.naming import (
    context_text,
    frame_location,
    is_anonymous,
    is_minified,
)
from faultbox.digest.grouping.options import V1, GroupingOptions
from faultbox.model import Frame

# Where runtimes put their built-ins: "at JSON.parse (<anonymous>)", "reduce@[native code]".
_RUNTIME_LOCATIONS = frozenset({"<anonymous>", "native", "[native code]", "<unknown>"})
# Libraries almost every JVM or .NET application ships; the SDKs only mark the app's
# packages when configured to, and text traces carry no flag at all.
_LIBRARY_NAMESPACE_RE = re.compile(
    r"^(?:org\.(?:springframework|hibernate|apache|eclipse\.jetty|glassfish|jboss|postgresql"
    r"|mariadb|h2|junit|slf4j|mockito|aspectj|jooq|flywaydb|liquibase|thymeleaf|elasticsearch)"
    r"|com\.(?:fasterxml\.jackson|google\.(?:common|gson|protobuf|inject)|zaxxer\.hikari|mysql"
    r"|microsoft\.sqlserver|netflix|squareup|amazonaws|mongodb|rabbitmq|datastax)"
    r"|io\.(?:netty|grpc|reactivex|micrometer|undertow|vertx|quarkus|micronaut|ktor|lettuce"
    r"|opentelemetry|swagger|jsonwebtoken|r2dbc)"
    r"|reactor|okhttp3|okio|retrofit2|feign|ch\.qos\.logback|akka|groovy|jakarta|graphql"
    r"|Newtonsoft\.Json|Npgsql|Dapper|Polly|Serilog|NHibernate|AutoMapper|MediatR|Grpc"
    r"|Hangfire|StackExchange\.Redis|Castle\.(?:Proxies|DynamicProxy)|FluentValidation"
    r"|Swashbuckle|Pomelo|MySqlConnector|RabbitMQ\.Client|Confluent\.Kafka)(?:[.$/]|$)"
)


def is_runtime_frame(frame: Frame) -> bool:
    """A frame naming no file, module or package: a built-in of the runtime."""
    if frame.module or frame.package:
        return False
    return all(p in _RUNTIME_LOCATIONS for p in (frame.filename, frame.abs_path) if p)


def _included(frame: Frame, rules: InAppRules | None) -> bool:
    names = [n for n in (frame.module, frame.filename, frame.abs_path) if n]
    return rules is not None and any(n.startswith(p) for p in rules.include for n in names)


def app_frame_verdict(
    frame: Frame, platform: str, rules: InAppRules | None, *, options: GroupingOptions = V1
) -> tuple[bool, str]:
    """Whether the frame is the app's own code, and why."""
    verdict, reason = in_app_verdict(frame, platform, rules)
    if options.runtime_frames and is_runtime_frame(frame):
        return False, "runtime built-in (no file or module)"
    if (
        verdict
        and options.library_namespaces
        and frame.in_app is None
        and frame.module
        and _LIBRARY_NAMESPACE_RE.match(frame.module)
        and not _included(frame, rules)
    ):
        return False, "well-known library namespace"
    return verdict, reason


def is_app_frame(
    frame: Frame, platform: str, rules: InAppRules | None, *, options: GroupingOptions = V1
) -> bool:
    return app_frame_verdict(frame, platform, rules, options=options)[0]


def innermost_app_index(
    frames: Sequence[Frame],
    platform: str,
    rules: InAppRules | None,
    *,
    options: GroupingOptions = V1,
) -> int | None:
    for index in range(len(frames) - 1, -1, -1):
        frame = frames[index]
        if (
            is_app_frame(frame, platform, rules, options=options)
            and frame_location(frame, platform=platform, options=options) is not None
        ):
            return index
    return None


def _enclosing_function(
    frames: Sequence[Frame],
    index: int,
    platform: str,
    rules: InAppRules | None,
    options: GroupingOptions,
) -> Frame | None:
    """The nearest named app frame calling the one at ``index``, through runtime
    built-ins and anonymous app frames only: past a library frame the caller is
    whoever handed the callback over, which varies by call path."""
    for frame in reversed(frames[:index]):
        if options.runtime_frames and is_runtime_frame(frame):
            continue
        if not is_app_frame(frame, platform, rules, options=options):
            return None
        if not is_anonymous(frame, platform=platform, options=options):
            return frame
    return None


def _unnamed_callback(frame: Frame, platform: str, options: GroupingOptions) -> bool:
    return (
        options.anonymous_callers
        and context_text(frame, options=options) is None
        and is_anonymous(frame, platform=platform, options=options)
    )


def named_caller(
    frames: Sequence[Frame],
    index: int,
    platform: str,
    rules: InAppRules | None,
    *,
    options: GroupingOptions,
) -> Frame | None:
    """The named app function an anonymous app frame at ``index`` runs in (see
    ``_enclosing_function``).  Only for a frame without its source line: a lambda's
    line already tells it apart; and not a minified function: its name changes with
    every build."""
    if not _unnamed_callback(frames[index], platform, options):
        return None
    caller = _enclosing_function(frames, index, platform, rules, options)
    if caller is None or is_minified(caller, platform=platform, options=options):
        return None
    return caller


def minified_app_frame(
    frames: Sequence[Frame],
    index: int,
    platform: str,
    rules: InAppRules | None,
    *,
    options: GroupingOptions,
) -> bool:
    """Whether the app frame at ``index`` names no function because its bundle is
    minified: its own name is a minifier's, or it is an anonymous callback inside a
    function that is.  Then every bug of the bundle has the same frame components."""
    frame = frames[index]
    if is_minified(frame, platform=platform, options=options):
        return True
    if not options.minified_names or not _unnamed_callback(frame, platform, options):
        return False
    caller = _enclosing_function(frames, index, platform, rules, options)
    return caller is not None and is_minified(caller, platform=platform, options=options)

"""Taxonomy: what kind of failure an issue is, from its first event, with the rule
that decided (users see it next to the type, and can overrule it by hand).

Types: runtime, logic, integration, performance, configuration, security.

``RULES`` is read top to bottom and the first rule whose conditions all hold wins.
The order is the policy:

1. **Specific exception types** (security, configuration, performance, then the
   database errors that are bugs rather than outages, then integration). A type
   names the failure better than anything else in the event, and the specific
   ones go first so that ``psycopg.errors.UniqueViolation`` is logic before
   ``psycopg.*`` makes it integration.
2. **Message keywords**, for broad types (``Exception``, ``RuntimeError``, a
   browser's ``TypeError: Failed to fetch``) and log messages without an exception.
3. **Generic types**: ``KeyError``/``ValueError``/``IndexError``/``AssertionError``
   are logic (the program's assumptions about its data were wrong);
   ``TypeError``/``AttributeError``/``NullPointerException``/``ReferenceError``
   are runtime (the program used a value the language could not use).
4. **Client libraries in the stack** (``requests``, ``psycopg``, ``redis``,
   ``boto3``, ``stripe``, ``node_modules/axios``, ``java.net``, ...) make anything
   else integration.  They only decide when the type says nothing, because a
   ``TypeError`` raised inside ``requests`` is usually the caller's bug.
5. Otherwise **runtime**.

Timeouts: waiting on another system (``TimeoutError``, ``ReadTimeout``, "timed
out", a Go ``context deadline exceeded``) is **integration**, because the fix is
in the dependency, its limits or retries.  The process running out of its own
time or memory (``MemoryError``, ``RecursionError``, Celery's
``SoftTimeLimitExceeded``, a cancelled slow SQL statement) is **performance**.

Patterns are the matcher language's case-insensitive globs.  Exception types are
tried as written, qualified with their module (``requests.exceptions.Timeout``)
and bare (``Timeout``; Go's ``*url.Error`` as ``url.Error``), for each exception
of the chain, the reported one first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from faultbox.matchers import Matcher, event_frames
from faultbox.model import Event

TAXONOMY_TYPES = ("runtime", "logic", "integration", "performance", "configuration", "security")
_REASON_MAX = 300  # issues.taxonomy_reason
_VALUE_MAX = 80  # of an exception type or frame quoted in a reason
_TEXT_MAX = 2000  # of a message searched for keywords


class InvalidTaxonomy(ValueError):
    """A type that is not one of TAXONOMY_TYPES (the message lists them)."""


def parse_taxonomy(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in TAXONOMY_TYPES:
        return value.strip().lower()
    raise InvalidTaxonomy(f"unknown type {value!r}; one of {', '.join(TAXONOMY_TYPES)}")


def _globs(*patterns: str) -> tuple[Matcher, ...]:
    return tuple(Matcher("message", p) for p in patterns)


def _packages(*names: str) -> tuple[str, ...]:
    """A package and everything in it (``requests``, ``requests.*``)."""
    return tuple(p for n in names for p in (n, n + ".*"))


@dataclass(frozen=True, slots=True)
class TaxonomyRule:
    """Every non-empty condition must hold; each holds when one of its globs matches."""

    type: str
    why: str  # shown to users after the evidence
    types: tuple[Matcher, ...] = ()
    frames: tuple[Matcher, ...] = ()  # module or path of any frame in the stack
    messages: tuple[Matcher, ...] = ()  # the message, its template, exception values
    loggers: tuple[Matcher, ...] = ()


R = TaxonomyRule
# Client libraries: the error came from talking to another system.
_CLIENTS = (
    *_packages("requests", "urllib3", "httpx", "httpcore", "aiohttp", "http.client", "socket"),
    *_packages("ssl", "smtplib", "psycopg", "psycopg2", "asyncpg", "pymysql", "MySQLdb"),
    *_packages("sqlalchemy", "redis", "boto3", "botocore", "stripe", "kombu", "pika", "grpc"),
    *_packages("pymongo", "elasticsearch", "kafka", "confluent_kafka"),
    *_packages("java.net", "javax.net", "org.postgresql", "com.mysql", "org.apache.http"),
    *_packages("okhttp3", "io.grpc", "redis.clients", "com.amazonaws", "software.amazon.awssdk"),
    *_packages("com.zaxxer.hikari", "Npgsql", "System.Net", "Microsoft.Data.SqlClient"),
    *_packages("StackExchange.Redis"),
    *("net/http*", "database/sql*", "github.com/lib/pq*", "github.com/jackc/pgx*"),
    *("github.com/redis/*", "github.com/go-redis/*", "github.com/aws/aws-sdk-go*"),
    *(f"*node_modules/{m}/*" for m in ("axios", "node-fetch", "undici", "got", "pg", "mysql")),
    *(f"*node_modules/{m}/*" for m in ("mysql2", "ioredis", "redis", "mongodb", "stripe")),
    "*node_modules/@aws-sdk/*",
)

# As exception types, SQLAlchemy's own errors (ArgumentError, InvalidRequestError) are
# the caller's bugs; its wrapped driver errors (OperationalError) are matched by name.
_CLIENT_TYPES = tuple(p for p in _CLIENTS if not p.startswith("sqlalchemy"))

RULES: tuple[TaxonomyRule, ...] = (
    # 1. specific exception types -------------------------------------------------
    R(
        "security",
        "access was refused or a request looked forged",
        types=_globs(
            "PermissionError",
            "PermissionDenied",
            "*AccessDenied*",
            "*Forbidden*",
            "*Unauthorized*",
            "*NotAuthenticated*",
            "*AuthenticationFailed*",
            "*AuthenticationError",
            "*AuthenticationException",
            "*AuthorizationException",
            "*SecurityException",
            "SuspiciousOperation",
            "Suspicious*",
            "DisallowedHost",
            "*Csrf*",
            "*InvalidToken*",
            "*ExpiredSignature*",
            "*InvalidSignature*",
            "jwt.*",
            "UnauthorizedAccessException",
        ),
    ),
    R(
        "security",
        "a browser security report or a security log",
        loggers=_globs("csp", "expect-ct-report", "expect-staple-report", "hpkp", "*security*"),
    ),
    R(
        "configuration",
        "the database schema is behind the code (a migration did not run)",
        types=_globs("UndefinedTable", "UndefinedColumn", "NoSuchTableError"),
    ),
    R(
        "configuration",
        "the database schema is behind the code (a migration did not run)",
        types=_globs("*OperationalError", "*ProgrammingError"),
        messages=_globs("*no such table*", "*relation * does not exist*", "*no such column*"),
    ),
    R(
        "configuration",
        "an environment variable is missing",
        types=_globs("KeyError"),
        frames=_globs("os"),  # os.environ[...]
    ),
    R(
        "configuration",
        "the application is set up wrongly or a dependency is not installed",
        types=_globs(
            "ImproperlyConfigured",
            "ModuleNotFoundError",
            "ImportError",
            "*ConfigurationError",
            "*ConfigError",
            "*ConfigException",
            "*ConfigurationException",
            "ConfigurationErrorsException",
            "OptionsValidationException",
            "*EnvError",
            "*MissingEnv*",
            "UndefinedValueError",
            "ClassNotFoundException",
            "NoClassDefFoundError",
            "BeanCreationException",
            "*BeanDefinition*Exception",
            "UnsatisfiedDependencyException",
            "UnsatisfiedLinkError",
            "DllNotFoundException",
        ),
    ),
    R(
        "performance",
        "the process ran out of memory, stack or its own time limit",
        types=_globs(
            "MemoryError",
            "RecursionError",
            "*OutOfMemory*",
            "StackOverflow*",
            "InsufficientExecutionStackException",
            "SoftTimeLimitExceeded",
            "TimeLimitExceeded",
            "QueryCanceled",
            "QueryCanceledError",
        ),
    ),
    R(
        "logic",
        "the data broke a database constraint or a lookup found no row",
        types=_globs(
            "*IntegrityError",
            "UniqueViolation",
            "ForeignKeyViolation",
            "NotNullViolation",
            "CheckViolation",
            "DataError",
            "*DataIntegrityViolationException",
            "*ConstraintViolationException",
            "*DuplicateKeyException",
            "DoesNotExist",
            "ObjectDoesNotExist",
            "NoResultFound",
            "MultipleResultsFound",
            "*ProgrammingError",
        ),
    ),
    R(
        "integration",
        "a call to another service, a database or the network failed",
        types=_globs(
            "TimeoutError",
            "*Timeout",
            "*TimeoutError",
            "*TimeoutException",
            "*TimedOut*",
            "ConnectionError",
            "*ConnectionError",
            "Connection*Error",
            "BrokenPipeError",
            "*ConnectError",
            "ConnectException",
            "*ConnectionException",
            "*HTTPError",
            "*HttpError",
            "HttpRequestException",
            "WebException",
            "*SocketException",
            "UnknownHostException",
            "gaierror",
            "herror",
            "*SSLError",
            "*SSL*Exception",
            "*OperationalError",
            "*InterfaceError",
            "*SQLException",
            "SqlException",
            "*NpgsqlException",
            "RpcError",
            "*RpcException",
            "FetchError",
            "AxiosError",
            "*ServiceUnavailable*",
            "*BadGateway*",
            "*GatewayTimeout*",
            "url.Error",
            "net.OpError",
            "net.DNSError",
            "*DeadlineExceeded*",
            *_CLIENT_TYPES,
        ),
    ),
    # 2. message keywords -----------------------------------------------------------
    R(
        "configuration",
        "the message says a setting, variable or module is missing",
        messages=_globs(
            "*environment variable*",
            "*env var*",
            "*improperly configured*",
            "*not configured*",
            "*missing setting*",
            "*missing config*",
            "*no module named*",
            "*cannot find module*",
            "*could not load file or assembly*",
        ),
    ),
    R(
        "performance",
        "the message speaks of exhausted resources or slowness",
        messages=_globs(
            "*maximum call stack size exceeded*",
            "*too much recursion*",
            "*out of memory*",
            "*statement timeout*",
            "*canceling statement due to*",
            "*too many open files*",
            "*slow query*",
            "*too slow*",
            "*took too long*",
            "*n+1 quer*",
        ),
    ),
    R(
        "security",
        "the message speaks of denied access or forged requests",
        messages=_globs(
            "*permission denied*",
            "*access denied*",
            "*access is denied*",
            "*forbidden*",
            "*unauthori?ed*",
            "*not authenticated*",
            "*authentication failed*",
            "*csrf*",
            "*xsrf*",
            "*invalid token*",
            "*invalid signature*",
            "*signature verification failed*",
            "*content security policy*",
        ),
    ),
    R(
        "integration",
        "the message speaks of a failed connection or an unavailable service",
        messages=_globs(
            "*connection refused*",
            "*connection reset*",
            "*connection aborted*",
            "*timed out*",
            "*econnrefused*",
            "*econnreset*",
            "*etimedout*",
            "*enotfound*",
            "*eai_again*",
            "*getaddrinfo*",
            "*name or service not known*",
            "*failed to fetch*",
            "*networkerror when attempting to fetch*",
            "load failed",
            "*network error*",
            "*network request failed*",
            "*bad gateway*",
            "*service unavailable*",
            "*gateway timeout*",
            "*could not connect to server*",
            "*server closed the connection*",
            "*too many connections*",
            "*deadline exceeded*",
            "*broken pipe*",
            "*certificate verify failed*",
        ),
    ),
    # 3. generic types (and Go's panics, which have no useful type) --------------
    R(
        "logic",
        "the program's assumptions about its data were wrong",
        types=_globs(
            "KeyError",
            "IndexError",
            "LookupError",
            "AssertionError",
            "ValueError",
            "ZeroDivisionError",
            "ArithmeticError",
            "OverflowError",
            "NotImplementedError",
            "StopIteration",
            "Unicode*Error",
            "JSONDecodeError",
            "*ValidationError",
            "IllegalArgumentException",
            "IllegalStateException",
            "ArithmeticException",
            "*IndexOutOfBounds*",
            "*IndexOutOfRange*",
            "NoSuchElementException",
            "KeyNotFoundException",
            "Argument*Exception",
            "InvalidOperationException",
            "FormatException",
            "NumberFormatException",
            "DivideByZeroException",
            "OverflowException",
            "ConcurrentModificationException",
            "UnsupportedOperationException",
            "NotSupportedException",
            "NotImplementedException",
            "RangeError",
            "*AssertionFailedError",
            "*ParseException",
        ),
    ),
    R(
        "logic",
        "an index or divisor was out of range",
        messages=_globs("*index out of range*", "*slice bounds out of range*", "*divide by zero*"),
    ),
    R(
        "runtime",
        "the program used a value the language could not use",
        types=_globs(
            "TypeError",
            "AttributeError",
            "NameError",
            "UnboundLocalError",
            "NullPointerException",
            "NullReferenceException",
            "ReferenceError",
            "SyntaxError",
            "ClassCastException",
            "InvalidCastException",
            "NoMethodError",
            "TypeAssertionError",
            "runtime.Error",
        ),
    ),
    R(
        "runtime",
        "a nil or undefined value was used",
        messages=_globs(
            "*nil pointer dereference*",
            "*invalid memory address*",
            "*nil map*",
            "*undefined is not an object*",
            "*cannot read propert* of undefined*",
            "*cannot read propert* of null*",
            "*is not a function*",
        ),
    ),
    # 4. client libraries in the stack ------------------------------------------------
    R(
        "integration",
        "it was raised inside a client library for another system",
        frames=_globs(*_CLIENTS),
    ),
)
_DEFAULT = ("runtime", "no rule matched; runtime is the default")


def _clip(text: str, limit: int = _VALUE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_names(event: Event) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name to quote, names to try) per exception, the reported (last) one first."""
    for exc in reversed(event.exceptions):
        if not exc.type:
            continue
        written = exc.type.lstrip("*&").strip()
        qualified = f"{exc.module}.{written}" if exc.module and "." not in written else written
        bare = re.split(r"\.|::|\+|\\", written)[-1]
        yield qualified, (written, qualified, bare)


def _frame_names(event: Event) -> Iterator[str]:
    for frame in event_frames(event):
        for value in (frame.module, frame.abs_path or frame.filename):
            if value:
                yield value


def _texts(event: Event) -> Iterator[str]:
    for text in (event.message, event.message_template, *(e.value for e in event.exceptions)):
        if text:
            yield text[:_TEXT_MAX]


def _find(
    globs: tuple[Matcher, ...], candidates: Iterator[tuple[str, tuple[str, ...]]]
) -> tuple[str, str] | None:
    for shown, names in candidates:
        for glob in globs:
            if any(glob.match(n) for n in names):
                return shown, glob.pattern
    return None


def _candidates(label: str, event: Event) -> Iterator[tuple[str, tuple[str, ...]]]:
    if label == "exception type":
        return _type_names(event)
    values = {
        "frame": _frame_names(event),
        "message": _texts(event),
        "logger": iter([event.logger] if event.logger else []),
    }[label]
    return ((v, (v,)) for v in values)


def _evidence(rule: TaxonomyRule, event: Event) -> list[str] | None:
    """What made each condition hold, or None when one does not."""
    found: list[str] = []
    conditions = (
        ("exception type", rule.types),
        ("frame", rule.frames),
        ("message", rule.messages),
        ("logger", rule.loggers),
    )
    for label, globs in conditions:
        if not globs:
            continue
        hit = _find(globs, _candidates(label, event))
        if hit is None:
            return None
        found.append(f"{label} {_clip(hit[0])!r} matches {hit[1]!r}")
    return found


def classify(event: Event) -> tuple[str, str]:
    """(type, reason) for an issue's first event; never raises on a normalized event."""
    for rule in RULES:
        evidence = _evidence(rule, event)
        if evidence is not None:
            return rule.type, _clip(f"{' and '.join(evidence)}: {rule.why}", _REASON_MAX)
    return _DEFAULT

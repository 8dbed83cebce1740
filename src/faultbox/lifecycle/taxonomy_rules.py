"""The taxonomy rule table, read top to bottom; ``lifecycle/taxonomy.py`` explains
the order and applies it."""

from __future__ import annotations

from dataclasses import dataclass

from faultbox.matchers import Matcher


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

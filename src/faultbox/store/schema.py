"""SQLAlchemy Core tables: the single source of truth for both SQLite and PostgreSQL.

Times are stored as epoch seconds (double precision): dialect-neutral, cheap to
compare and to bucket into hours.  Alembic revisions must match this module;
``faultbox migrate --check`` (and a test) fail when they drift.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")

teams = Table(
    "teams",
    metadata,
    Column("id", Id, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("is_superuser", Boolean, nullable=False, default=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),  # owner | admin | member | viewer
)

projects = Table(
    "projects",
    metadata,
    Column("id", Id, primary_key=True),
    Column("team_id", ForeignKey("teams.id"), nullable=False, index=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("issue_counter", Integer, nullable=False, default=0),
    Column("scrub_config", Text, nullable=True),  # JSON; NULL means the defaults
    Column("fingerprint_rules", Text, nullable=True),  # rule text; NULL means none
    Column("in_app_rules", Text, nullable=True),  # JSON {include, exclude}; NULL means none
    Column("severity_rules", Text, nullable=True),  # rule text; NULL means the defaults
    # The grouping algorithm new events are hashed with (NULL: nothing grouped yet), and
    # the one it replaced, still consulted until the transition ends so that an
    # upgrade never splits an existing issue.
    Column("grouping_version", String(16), nullable=True),
    Column("secondary_grouping_version", String(16), nullable=True),
    Column("secondary_grouping_until", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    # -- protection and retention (NULL: the server's default setting)
    Column("sample_rate", Float, nullable=True),  # share of events stored, 0..1
    # A database default, not a Python one: inserts then also work on a database not yet
    # migrated to 0011 (the migration tests create projects at older revisions).
    Column("spike_protection", Boolean, nullable=False, server_default=true()),
    Column("retention_info_days", Integer, nullable=True),  # debug/info events
    Column("retention_error_days", Integer, nullable=True),  # warning/error/fatal events
)

project_keys = Table(
    "project_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("public_key", String(32), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default="Default"),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
    # Events accepted per minute and per UTC day (NULL: the server's default; 0: no limit).
    Column("rate_limit_per_minute", Integer, nullable=True),
    Column("quota_per_day", Integer, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex of the token
    Column("scopes", Text, nullable=False),  # space-separated Sentry scope names
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=True),
)

issues = Table(
    "issues",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("short_id", Integer, nullable=False),  # ERR-<n>, per project
    Column("title", String(512), nullable=False),
    Column("culprit", String(512), nullable=True),
    Column("level", String(16), nullable=False),
    Column("status", String(32), nullable=False, default="detected"),
    Column("platform", String(64), nullable=True),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("times_seen", BigInteger, nullable=False, default=0),
    Column("users_seen", BigInteger, nullable=False, default=0),
    Column("first_release", String(250), nullable=True),
    Column("last_release", String(250), nullable=True),
    Column("grouping_version", String(16), nullable=False),
    # -- lifecycle (lifecycle/): who works on it, how urgent, what was learned
    Column("status_changed_at", Float, nullable=True),
    Column("severity", String(2), nullable=True),  # P0..P3
    Column("severity_reason", String(300), nullable=True),  # the rule or "set by hand"
    Column("taxonomy", String(16), nullable=True),  # runtime, logic, integration, ...
    Column("taxonomy_reason", String(300), nullable=True),
    Column("assignee_id", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("acknowledged_at", Float, nullable=True),  # first human action on it
    Column("resolved_at", Float, nullable=True),
    Column("resolved_in_release", String(250), nullable=True),
    Column("resolve_in_next_release", Boolean, nullable=False, default=False),
    Column("regressed_at", Float, nullable=True),
    Column("is_regression", Boolean, nullable=False, default=False),
    Column("ignore_until", Float, nullable=True),  # epoch seconds
    Column("ignore_until_count", BigInteger, nullable=True),  # times_seen to reach
    Column("ignore_until_users", BigInteger, nullable=True),  # users_seen to reach
    Column("symptoms", Text, nullable=True),
    Column("diagnosis", Text, nullable=True),
    Column("resolution", Text, nullable=True),
    Column("prevention", Text, nullable=True),
    Column("references", Text, nullable=True),
    Column("runbook", Text, nullable=True),
    # Set: new events are counted (times_seen, hourly) but not stored.
    Column("discarded_at", Float, nullable=True),
    UniqueConstraint("project_id", "short_id"),
    Index(None, "project_id", "last_seen"),
    Index(None, "project_id", "first_seen"),
    Index(None, "project_id", "times_seen"),
    # The severity sort reads one severity at a time in last_seen order (query/issues.py).
    Index(None, "project_id", "severity", "last_seen"),
)

issue_hashes = Table(
    "issue_hashes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("grouping_version", String(16), nullable=False),
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), nullable=False, index=True),
    UniqueConstraint("project_id", "hash"),
)

# A merged issue's id and short id keep answering: they lead to the issue it went into.
issue_redirects = Table(
    "issue_redirects",
    metadata,
    Column("issue_id", Id, primary_key=True, autoincrement=False),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("short_id", Integer, nullable=False),
    Column("target_id", ForeignKey("issues.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
)

issue_users = Table(
    "issue_users",
    metadata,
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True),
    Column("user_key", String(300), primary_key=True),
)

issue_hourly = Table(
    "issue_hourly",
    metadata,
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True),
    Column("hour", BigInteger, primary_key=True),  # epoch seconds // 3600
    Column("count", BigInteger, nullable=False),
)

# Per-issue value counts for environment, release, service, level and event tags:
# they answer the list filters and, later, the tag distributions.
issue_tags = Table(
    "issue_tags",
    metadata,
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", String(200), primary_key=True),
    Column("times_seen", BigInteger, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Index(None, "key", "value"),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(32), nullable=False),
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("level", String(16), nullable=False),
    Column("platform", String(64), nullable=True),
    Column("release", String(250), nullable=True),
    Column("environment", String(64), nullable=True),
    Column("service", String(200), nullable=True),
    Column("user_key", String(300), nullable=True),
    Column("title", String(512), nullable=False),
    Column("grouping_hash", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),  # zstd-compressed normalized JSON
    UniqueConstraint("project_id", "event_id"),
    Index(None, "issue_id", "timestamp"),
    # Covering: the stats' series and affected users read only the index (the leading
    # columns still serve the event lists).
    Index(
        "ix_events_project_time_covering",
        "project_id",
        "timestamp",
        "service",
        "environment",
        "release",
        "user_key",
    ),
    # Retention deletes one project's debug/info (or warning/error/fatal) events older
    # than a cutoff, a batch at a time: with the level in the key, the kept class's
    # old rows are not read again by every batch (store/retention.py).
    Index(None, "project_id", "level", "received_at"),
)

# Every change to an issue: who (NULL: the system), what, when, old -> new.
issue_activity = Table(
    "issue_activity",
    metadata,
    Column("id", Id, primary_key=True),
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("kind", String(32), nullable=False),  # created, status, severity, regression, ...
    Column("field", String(64), nullable=True),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Index(None, "issue_id", "created_at"),
    Index(None, "project_id", "kind", "created_at"),
)

issue_comments = Table(
    "issue_comments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("body", Text, nullable=False),  # Markdown
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Known error patterns (PAT-<number>): a shared diagnosis and prevention for many issues.
patterns = Table(
    "patterns",
    metadata,
    Column("id", Id, primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=True),
    Column("prevention", Text, nullable=True),
    Column("code_example", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

pattern_issues = Table(
    "pattern_issues",
    metadata,
    Column("pattern_id", ForeignKey("patterns.id", ondelete="CASCADE"), primary_key=True),
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True, index=True),
)

releases = Table(
    "releases",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("version", String(250), nullable=False),
    Column("commit", String(64), nullable=True),
    Column("url", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("project_id", "version"),
)

deploys = Table(
    "deploys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("release_id", ForeignKey("releases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("environment", String(64), nullable=False),
    Column("deployed_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
)

user_reports = Table(
    "user_reports",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(32), nullable=False),
    Column("name", String(200), nullable=True),
    Column("email", String(254), nullable=True),
    Column("comments", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("project_id", "event_id"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", BigInteger, nullable=True),
    Column("event_id", String(32), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("meta", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Relay-style outcomes: every accepted, dropped or rejected item, per project and hour.
outcomes = Table(
    "outcomes",
    metadata,
    Column("project_id", BigInteger, primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("outcome", String(16), primary_key=True),  # accepted | dropped | rejected
    Column("reason", String(64), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

# -- the dashboard (web/) ------------------------------------------------------------

# A signed-in browser.  The cookie holds a random token; only its hash is stored, so a
# leaked database does not hand out sessions.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("user_agent", String(300), nullable=True),
    Column("ip", String(64), nullable=True),
)

# Sign-in attempts, kept for throttling (per email and per client address) and audit.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Index(None, "email", "created_at"),
    Index(None, "ip", "created_at"),
)

# A user's named issue-stream query for one project.
saved_searches = Table(
    "saved_searches",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),
    Column("sort", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("user_id", "project_id", "name"),
)

# -- alerting (alerts/): rules, their per-subject state, and what fired -------------

# A rule: a condition kind (alerts/conditions/) with its parameters, an optional
# issue-search filter (``service:payments level:error``), and noise control.
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    # new_issue, regression, threshold, per_user, spike, no_data
    Column("condition", String(32), nullable=False),
    Column("params", Text, nullable=False, default="{}"),  # JSON, per condition
    Column("filter", Text, nullable=False, default=""),  # issue-search query text
    Column("severity", String(2), nullable=True),  # P0..P3; None: the issue's (or P2)
    Column("targets", Text, nullable=True),  # JSON {"P1": [channel ids], "*": [...]}
    Column("throttle_seconds", Integer, nullable=False, default=0),
    Column("quiet_windows", Text, nullable=True),  # JSON [{"start","end","tz"}]
    Column("created_by", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # JSON [{"after_minutes": 15, "channels": [ids]}, …]: who is told next when an
    # incident opened by this rule is not acknowledged in time.
    Column("escalation", Text, nullable=True),
    Index(None, "project_id"),
)

# Per rule and subject ("stream", "issue:12", "user:<key>", "service:<name>"): is the
# condition currently crossed (fire once per crossing), and when it last fired
# (throttle).
alert_rule_state = Table(
    "alert_rule_state",
    metadata,
    Column("rule_id", ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("subject", String(400), primary_key=True),
    Column("active", Boolean, nullable=False, default=False),
    Column("last_fired_at", Float, nullable=True),
    Column("last_value", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# One alert that fired (or was suppressed): what a delivery (outbox) hangs off.
# ``dedup_key`` is unique per rule: a rule never records a crossing or occurrence twice.
alert_firings = Table(
    "alert_firings",
    metadata,
    Column("id", Id, primary_key=True),
    Column("rule_id", ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("fired_at", Float, nullable=False),
    Column("value", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("issue_id", ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
    Column("severity", String(2), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("dedup_key", String(500), nullable=False),
    # Why it was not sent (throttled, quiet window, issue ignored/acknowledged); NULL:
    # deliver it. A suppressed crossing is consumed all the same.
    Column("suppressed", String(32), nullable=True),
    UniqueConstraint("rule_id", "dedup_key"),
    Index(None, "project_id", "fired_at"),
)

# A configured destination. ``sealed_secrets`` is the JSON of its secret settings
# (webhook URLs, tokens) sealed with the server's secret key (alerts/secrets.py);
# ``secret_hints`` keeps a readable hint of each ("…a1b2") since the values are never
# shown again. ``role`` is the default routing slot it fills: pager, chat, digest_email
# or ticket. ``storm_limit`` triggers per ``storm_window_seconds`` are sent one by one;
# beyond that they are held and sent as one grouped message.
alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),  # email, slack, … (alerts/channels)
    Column("role", String(16), nullable=True),
    Column("config", Text, nullable=False, default="{}"),
    Column("sealed_secrets", Text, nullable=True),
    Column("secret_hints", Text, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("storm_limit", Integer, nullable=False, default=5),
    Column("storm_window_seconds", Integer, nullable=False, default=300),
    Column("created_by", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project_id", "name"),
)

# A page's life: opened by a firing at P1 or above, acknowledged (dashboard, API or a
# signed link), escalated level by level while it is not, resolved with its issue.
incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("issue_id", ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
    Column("rule_id", ForeignKey("alert_rules.id", ondelete="SET NULL"), nullable=True),
    Column("firing_id", ForeignKey("alert_firings.id", ondelete="SET NULL"), nullable=True),
    Column("severity", String(2), nullable=False),
    Column("title", String(500), nullable=False),
    Column("status", String(16), nullable=False),  # open, acknowledged, resolved
    Column("dedup_key", String(300), nullable=False),  # the pager's key for this incident
    Column("opened_at", Float, nullable=False),
    Column("acknowledged_at", Float, nullable=True),
    Column("acknowledged_by", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("resolved_at", Float, nullable=True),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("next_escalation_at", Float, nullable=True),
    Index(None, "project_id", "opened_at"),
    Index(None, "issue_id"),
    Index(None, "status", "next_escalation_at"),
)

# The incident's timeline: opened, paged (channel), acknowledged (user), escalated,
# resolved.
incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("channel_id", ForeignKey("alert_channels.id", ondelete="SET NULL"), nullable=True),
    Index(None, "incident_id", "at"),
)

# The outbox: one message to one channel. Unique per (channel, idempotency key), so a
# firing is enqueued once however often it is evaluated; ``sending`` rows carry a lease
# (a dead worker's expire and are sent again with the same key: the pager dedups).
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    Column("firing_id", ForeignKey("alert_firings.id", ondelete="SET NULL"), nullable=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True),
    Column("issue_id", ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
    Column("kind", String(16), nullable=False),  # trigger, acknowledge, resolve, test
    Column("idempotency_key", String(300), nullable=False),
    Column("notification", Text, nullable=False),  # JSON of the Notification
    Column("status", String(16), nullable=False),  # pending, sending, sent, failed, grouped
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("status_code", Integer, nullable=True),
    Column("response", Text, nullable=False, default=""),
    Column("reference", String(300), nullable=True),  # the service's id (ticket number…)
    Column("link", Text, nullable=True),  # the service's URL for it
    Column("grouped_into", Id, nullable=True),  # the storm digest that carried it
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("sent_at", Float, nullable=True),
    UniqueConstraint("channel_id", "idempotency_key"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "project_id", "created_at"),
    Index(None, "firing_id"),
    Index(None, "channel_id", "sent_at"),
)

# The ticket a ticket channel (GitHub, GitLab, Jira) opened for an issue: linked back
# from the issue, closed when it resolves.
issue_tickets = Table(
    "issue_tickets",
    metadata,
    Column("id", Id, primary_key=True),
    Column("issue_id", ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("url", Text, nullable=False),
    Column("state", String(16), nullable=False),  # open, closed
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("issue_id", "channel_id"),
)

# -- cron and heartbeat monitors, release health ---------------------------------------

monitors = Table(
    "monitors",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("slug", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("schedule_type", String(16), nullable=False),  # crontab, interval
    Column("schedule", String(100), nullable=False),  # "0 * * * *" or "10 minute"
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("checkin_margin_minutes", Integer, nullable=False, default=1),
    Column("max_runtime_minutes", Integer, nullable=False, default=30),
    Column("status", String(16), nullable=False),  # new, ok, error, missed, timeout
    Column("enabled", Boolean, nullable=False, default=True),
    Column("last_checkin_at", Float, nullable=True),
    Column("next_expected_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project_id", "slug"),
    Index(None, "next_expected_at"),
)

monitor_checkins = Table(
    "monitor_checkins",
    metadata,
    Column("id", Id, primary_key=True),
    Column("monitor_id", ForeignKey("monitors.id", ondelete="CASCADE"), nullable=False),
    Column("checkin_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # in_progress, ok, error, missed, timeout
    Column("environment", String(64), nullable=True),
    Column("release", String(200), nullable=True),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    Column("duration", Float, nullable=True),
    Column("timeout_at", Float, nullable=True),  # in_progress past this: overran
    Column("received_at", Float, nullable=False),
    UniqueConstraint("monitor_id", "checkin_id"),
    Index(None, "monitor_id", "started_at"),
    Index(None, "status", "timeout_at"),
)

# Release-health sessions per project, environment, release and minute: the
# denominator of a crash-free rate.
session_counts = Table(
    "session_counts",
    metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("environment", String(64), primary_key=True),
    Column("release", String(200), primary_key=True),
    Column("bucket", Float, primary_key=True),  # minute start, epoch seconds
    Column("started", Integer, nullable=False, default=0),
    Column("errored", Integer, nullable=False, default=0),
    Column("crashed", Integer, nullable=False, default=0),
    Column("abnormal", Integer, nullable=False, default=0),
)

# Sessions already counted as started / as ended (a resent update or a replayed batch
# must not count twice); the digest's sweep forgets them after a week.
session_marks = Table(
    "session_marks",
    metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("sid", String(64), primary_key=True),
    Column("mark", String(8), primary_key=True),  # "started" or "ended"
    Column("seen_at", Float, nullable=False, index=True),
)

# Periodic jobs (alert evaluation, delivery, escalation) run in one worker at a time:
# the one holding the job's lease until ``until`` (store/job_leases.py).
job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("until", Float, nullable=False),
)

"""alert delivery: channels, the outbox, incidents, tickets, monitors, sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 00:00:00

``alert_channels`` holds a configured destination (its secrets sealed with the server's
secret key, only a hint kept readable). ``alert_deliveries`` is the outbox: one row per
message to one channel, unique per (channel, idempotency key), leased while it is sent,
retried with backoff. ``incidents`` and ``incident_events`` record a page's life;
``alert_rules.escalation`` lists its levels. ``issue_tickets`` links an issue to the
ticket opened for it. ``monitors`` and ``monitor_checkins`` are cron/heartbeat monitors;
``session_counts`` aggregates release-health sessions per minute for crash-free rates.
``job_leases`` lets one worker among many run a periodic job (alert windows, escalation).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    with op.batch_alter_table("alert_rules") as batch:
        batch.add_column(sa.Column("escalation", sa.Text(), nullable=True))
    op.create_table(
        "alert_channels",
        sa.Column("id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("sealed_secrets", sa.Text(), nullable=True),
        sa.Column("secret_hints", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("storm_limit", sa.Integer(), nullable=False),
        sa.Column("storm_window_seconds", sa.Integer(), nullable=False),
        sa.Column("created_by", Id, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        _fk("alert_channels", "project_id", "projects", "CASCADE"),
        _fk("alert_channels", "created_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_alert_channels_project_id_name")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("issue_id", Id, nullable=True),
        sa.Column("rule_id", Id, nullable=True),
        sa.Column("firing_id", Id, nullable=True),
        sa.Column("severity", sa.String(2), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dedup_key", sa.String(300), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("acknowledged_at", sa.Float(), nullable=True),
        sa.Column("acknowledged_by", Id, nullable=True),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("next_escalation_at", sa.Float(), nullable=True),
        _fk("incidents", "project_id", "projects", "CASCADE"),
        _fk("incidents", "issue_id", "issues", "SET NULL"),
        _fk("incidents", "rule_id", "alert_rules", "SET NULL"),
        _fk("incidents", "firing_id", "alert_firings", "SET NULL"),
        _fk("incidents", "acknowledged_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(
        op.f("ix_incidents_project_id_opened_at"), "incidents", ["project_id", "opened_at"]
    )
    op.create_index(op.f("ix_incidents_issue_id"), "incidents", ["issue_id"])
    op.create_index(
        op.f("ix_incidents_status_next_escalation_at"),
        "incidents",
        ["status", "next_escalation_at"],
    )
    op.create_table(
        "incident_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("incident_id", Id, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("channel_id", Id, nullable=True),
        _fk("incident_events", "incident_id", "incidents", "CASCADE"),
        _fk("incident_events", "user_id", "users", "SET NULL"),
        _fk("incident_events", "channel_id", "alert_channels", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_events")),
    )
    op.create_index(
        op.f("ix_incident_events_incident_id_at"), "incident_events", ["incident_id", "at"]
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("channel_id", Id, nullable=False),
        sa.Column("firing_id", Id, nullable=True),
        sa.Column("incident_id", Id, nullable=True),
        sa.Column("issue_id", Id, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("notification", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(300), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("grouped_into", Id, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        _fk("alert_deliveries", "project_id", "projects", "CASCADE"),
        _fk("alert_deliveries", "channel_id", "alert_channels", "CASCADE"),
        _fk("alert_deliveries", "firing_id", "alert_firings", "SET NULL"),
        _fk("alert_deliveries", "incident_id", "incidents", "SET NULL"),
        _fk("alert_deliveries", "issue_id", "issues", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint(
            "channel_id",
            "idempotency_key",
            name=op.f("uq_alert_deliveries_channel_id_idempotency_key"),
        ),
    )
    op.create_index(
        op.f("ix_alert_deliveries_status_next_attempt_at"),
        "alert_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_alert_deliveries_project_id_created_at"),
        "alert_deliveries",
        ["project_id", "created_at"],
    )
    op.create_index(op.f("ix_alert_deliveries_firing_id"), "alert_deliveries", ["firing_id"])
    op.create_index(
        op.f("ix_alert_deliveries_channel_id_sent_at"),
        "alert_deliveries",
        ["channel_id", "sent_at"],
    )
    op.create_table(
        "issue_tickets",
        sa.Column("id", Id, nullable=False),
        sa.Column("issue_id", Id, nullable=False),
        sa.Column("channel_id", Id, nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        _fk("issue_tickets", "issue_id", "issues", "CASCADE"),
        _fk("issue_tickets", "channel_id", "alert_channels", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_tickets")),
        sa.UniqueConstraint(
            "issue_id", "channel_id", name=op.f("uq_issue_tickets_issue_id_channel_id")
        ),
    )
    op.create_table(
        "monitors",
        sa.Column("id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("schedule_type", sa.String(16), nullable=False),
        sa.Column("schedule", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("checkin_margin_minutes", sa.Integer(), nullable=False),
        sa.Column("max_runtime_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_checkin_at", sa.Float(), nullable=True),
        sa.Column("next_expected_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        _fk("monitors", "project_id", "projects", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitors")),
        sa.UniqueConstraint("project_id", "slug", name=op.f("uq_monitors_project_id_slug")),
    )
    op.create_index(op.f("ix_monitors_next_expected_at"), "monitors", ["next_expected_at"])
    op.create_table(
        "monitor_checkins",
        sa.Column("id", Id, nullable=False),
        sa.Column("monitor_id", Id, nullable=False),
        sa.Column("checkin_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("environment", sa.String(64), nullable=True),
        sa.Column("release", sa.String(200), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("timeout_at", sa.Float(), nullable=True),
        sa.Column("received_at", sa.Float(), nullable=False),
        _fk("monitor_checkins", "monitor_id", "monitors", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_checkins")),
        sa.UniqueConstraint(
            "monitor_id", "checkin_id", name=op.f("uq_monitor_checkins_monitor_id_checkin_id")
        ),
    )
    op.create_index(
        op.f("ix_monitor_checkins_monitor_id_started_at"),
        "monitor_checkins",
        ["monitor_id", "started_at"],
    )
    op.create_index(
        op.f("ix_monitor_checkins_status_timeout_at"),
        "monitor_checkins",
        ["status", "timeout_at"],
    )
    op.create_table(
        "session_counts",
        sa.Column("project_id", Id, nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("release", sa.String(200), nullable=False),
        sa.Column("bucket", sa.Float(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("errored", sa.Integer(), nullable=False),
        sa.Column("crashed", sa.Integer(), nullable=False),
        sa.Column("abnormal", sa.Integer(), nullable=False),
        _fk("session_counts", "project_id", "projects", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "project_id", "environment", "release", "bucket", name=op.f("pk_session_counts")
        ),
    )
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    op.drop_table("session_counts")
    op.drop_index(op.f("ix_monitor_checkins_status_timeout_at"), table_name="monitor_checkins")
    op.drop_index(op.f("ix_monitor_checkins_monitor_id_started_at"), table_name="monitor_checkins")
    op.drop_table("monitor_checkins")
    op.drop_index(op.f("ix_monitors_next_expected_at"), table_name="monitors")
    op.drop_table("monitors")
    op.drop_table("issue_tickets")
    for index in (
        "ix_alert_deliveries_channel_id_sent_at",
        "ix_alert_deliveries_firing_id",
        "ix_alert_deliveries_project_id_created_at",
        "ix_alert_deliveries_status_next_attempt_at",
    ):
        op.drop_index(op.f(index), table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index(op.f("ix_incident_events_incident_id_at"), table_name="incident_events")
    op.drop_table("incident_events")
    for index in (
        "ix_incidents_status_next_escalation_at",
        "ix_incidents_issue_id",
        "ix_incidents_project_id_opened_at",
    ):
        op.drop_index(op.f(index), table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("alert_channels")
    with op.batch_alter_table("alert_rules") as batch:
        batch.drop_column("escalation")

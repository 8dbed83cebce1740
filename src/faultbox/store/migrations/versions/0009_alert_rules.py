"""alerting foundations: alert rules, their per-subject state, and the firings

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 12:00:00

``alert_rules`` holds a condition kind with JSON parameters, an issue-search filter,
severity / targets (routing override), throttle and quiet windows.
``alert_rule_state`` remembers per rule and subject whether the condition is crossed
(fire once per crossing) and when it last fired (throttle). ``alert_firings`` records
each alert that fired, unique per (rule, dedup key); deliveries hang off it later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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
    op.create_table(
        "alert_rules",
        sa.Column("id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("condition", sa.String(32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(2), nullable=True),
        sa.Column("targets", sa.Text(), nullable=True),
        sa.Column("throttle_seconds", sa.Integer(), nullable=False),
        sa.Column("quiet_windows", sa.Text(), nullable=True),
        sa.Column("created_by", Id, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        _fk("alert_rules", "project_id", "projects", "CASCADE"),
        _fk("alert_rules", "created_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_index(op.f("ix_alert_rules_project_id"), "alert_rules", ["project_id"])
    op.create_table(
        "alert_rule_state",
        sa.Column("rule_id", Id, nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_fired_at", sa.Float(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        _fk("alert_rule_state", "rule_id", "alert_rules", "CASCADE"),
        sa.PrimaryKeyConstraint("rule_id", "subject", name=op.f("pk_alert_rule_state")),
    )
    op.create_table(
        "alert_firings",
        sa.Column("id", Id, nullable=False),
        sa.Column("rule_id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("fired_at", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("issue_id", Id, nullable=True),
        sa.Column("severity", sa.String(2), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.String(500), nullable=False),
        sa.Column("suppressed", sa.String(32), nullable=True),
        _fk("alert_firings", "rule_id", "alert_rules", "CASCADE"),
        _fk("alert_firings", "project_id", "projects", "CASCADE"),
        _fk("alert_firings", "issue_id", "issues", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_firings")),
        sa.UniqueConstraint(
            "rule_id", "dedup_key", name=op.f("uq_alert_firings_rule_id_dedup_key")
        ),
    )
    op.create_index(
        op.f("ix_alert_firings_project_id_fired_at"), "alert_firings", ["project_id", "fired_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_firings_project_id_fired_at"), table_name="alert_firings")
    op.drop_table("alert_firings")
    op.drop_table("alert_rule_state")
    op.drop_index(op.f("ix_alert_rules_project_id"), table_name="alert_rules")
    op.drop_table("alert_rules")

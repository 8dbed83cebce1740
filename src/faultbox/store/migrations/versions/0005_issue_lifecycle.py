"""issue lifecycle: statuses, severity, taxonomy, assignee, catalogue fields, activity,
comments, patterns, releases and deploys

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ISSUE_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("status_changed_at", sa.Float(), nullable=True),
    sa.Column("severity", sa.String(2), nullable=True),
    sa.Column("severity_reason", sa.String(300), nullable=True),
    sa.Column("taxonomy", sa.String(16), nullable=True),
    sa.Column("taxonomy_reason", sa.String(300), nullable=True),
    sa.Column("acknowledged_at", sa.Float(), nullable=True),
    sa.Column("resolved_at", sa.Float(), nullable=True),
    sa.Column("resolved_in_release", sa.String(250), nullable=True),
    sa.Column("resolve_in_next_release", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("regressed_at", sa.Float(), nullable=True),
    sa.Column("is_regression", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("ignore_until", sa.Float(), nullable=True),
    sa.Column("ignore_until_count", sa.BigInteger(), nullable=True),
    sa.Column("ignore_until_users", sa.BigInteger(), nullable=True),
    sa.Column("symptoms", sa.Text(), nullable=True),
    sa.Column("diagnosis", sa.Text(), nullable=True),
    sa.Column("resolution", sa.Text(), nullable=True),
    sa.Column("prevention", sa.Text(), nullable=True),
    sa.Column("references", sa.Text(), nullable=True),
    sa.Column("runbook", sa.Text(), nullable=True),
]


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        for column in _ISSUE_COLUMNS:
            batch.add_column(column)
        batch.add_column(sa.Column("assignee_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_issues_assignee_id_users", "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
        batch.alter_column("status", server_default=None)
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("severity_rules", sa.Text(), nullable=True))
    # The core's "unresolved" is the lifecycle's first state.
    op.execute("UPDATE issues SET status = 'detected' WHERE status = 'unresolved'")
    _create_tables()


def _create_tables() -> None:
    op.create_table(
        "issue_activity",
        sa.Column("id", Id, primary_key=True),
        sa.Column("issue_id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name="fk_issue_activity_issue_id_issues",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_issue_activity_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_issue_activity_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_issue_activity"),
    )
    op.create_index(
        "ix_issue_activity_issue_id_created_at", "issue_activity", ["issue_id", "created_at"]
    )
    op.create_index(
        "ix_issue_activity_project_id_kind_created_at",
        "issue_activity",
        ["project_id", "kind", "created_at"],
    )
    op.create_table(
        "issue_comments",
        sa.Column("id", Id, primary_key=True),
        sa.Column("issue_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name="fk_issue_comments_issue_id_issues",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_issue_comments_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_issue_comments"),
    )
    op.create_index("ix_issue_comments_issue_id", "issue_comments", ["issue_id"])
    op.create_table(
        "patterns",
        sa.Column("id", Id, primary_key=True),
        sa.Column("team_id", Id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("prevention", sa.Text(), nullable=True),
        sa.Column("code_example", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name="fk_patterns_team_id_teams", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_patterns"),
        sa.UniqueConstraint("number", name="uq_patterns_number"),
    )
    op.create_index("ix_patterns_team_id", "patterns", ["team_id"])
    op.create_table(
        "pattern_issues",
        sa.Column("pattern_id", Id, nullable=False),
        sa.Column("issue_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["pattern_id"],
            ["patterns.id"],
            name="fk_pattern_issues_pattern_id_patterns",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name="fk_pattern_issues_issue_id_issues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pattern_id", "issue_id", name="pk_pattern_issues"),
    )
    op.create_index("ix_pattern_issues_issue_id", "pattern_issues", ["issue_id"])
    op.create_table(
        "releases",
        sa.Column("id", Id, primary_key=True),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("version", sa.String(250), nullable=False),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_releases_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_releases"),
        sa.UniqueConstraint("project_id", "version", name="uq_releases_project_id_version"),
    )
    op.create_table(
        "deploys",
        sa.Column("id", Id, primary_key=True),
        sa.Column("release_id", Id, nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("deployed_at", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name="fk_deploys_release_id_releases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deploys"),
    )
    op.create_index("ix_deploys_release_id", "deploys", ["release_id"])


def downgrade() -> None:
    for table in ("deploys", "releases", "pattern_issues", "patterns", "issue_comments"):
        op.drop_table(table)
    op.drop_table("issue_activity")
    op.execute("UPDATE issues SET status = 'unresolved' WHERE status = 'detected'")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("severity_rules")
    with op.batch_alter_table("issues") as batch:
        batch.drop_constraint("fk_issues_assignee_id_users", type_="foreignkey")
        batch.drop_column("assignee_id")
        for column in reversed(_ISSUE_COLUMNS):
            batch.drop_column(column.name)

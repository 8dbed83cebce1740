"""grouping version per project (with a transition window) and merged-issue redirects

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("grouping_version", sa.String(16), nullable=True))
        batch.add_column(sa.Column("secondary_grouping_version", sa.String(16), nullable=True))
        batch.add_column(sa.Column("secondary_grouping_until", sa.Float(), nullable=True))
    # Every project that existed before this revision grouped its events with v1.
    op.execute("UPDATE projects SET grouping_version = 'v1'")
    op.create_table(
        "issue_redirects",
        sa.Column("issue_id", Id, nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("short_id", sa.Integer(), nullable=False),
        sa.Column("target_id", Id, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_issue_redirects_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["issues.id"],
            name=op.f("fk_issue_redirects_target_id_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_issue_redirects")),
    )
    op.create_index(
        op.f("ix_issue_redirects_target_id"), "issue_redirects", ["target_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_issue_redirects_target_id"), table_name="issue_redirects")
    op.drop_table("issue_redirects")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("secondary_grouping_until")
        batch.drop_column("secondary_grouping_version")
        batch.drop_column("grouping_version")

"""session marks: which sessions were already counted as started and as ended

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 07:15:00

An SDK that resends a session update after a lost answer, or a digest batch replayed
after a crash between its commit and the queue's acknowledgement, must not count the
session twice: ``session_marks`` holds one row per (project, session id, mark), kept a
week by the digest's sweep.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "session_marks",
        sa.Column("project_id", Id, nullable=False),
        sa.Column("sid", sa.String(64), nullable=False),
        sa.Column("mark", sa.String(8), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_session_marks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "sid", "mark", name=op.f("pk_session_marks")),
    )
    op.create_index(op.f("ix_session_marks_seen_at"), "session_marks", ["seen_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_session_marks_seen_at"), table_name="session_marks")
    op.drop_table("session_marks")

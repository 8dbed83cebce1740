"""protection and retention: per-key rate limits and quotas, per-project sampling,
spike protection and retention, per-issue discard

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 03:30:00

A NULL limit or retention means "the server's default setting"; 0 means unlimited.
``issues.discarded_at`` marks an issue whose new events are counted but not stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project_keys") as batch:
        batch.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("quota_per_day", sa.Integer(), nullable=True))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("sample_rate", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("spike_protection", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("retention_info_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retention_error_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("discarded_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("discarded_at")
    with op.batch_alter_table("projects") as batch:
        for name in (
            "retention_error_days",
            "retention_info_days",
            "spike_protection",
            "sample_rate",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("project_keys") as batch:
        batch.drop_column("quota_per_day")
        batch.drop_column("rate_limit_per_minute")

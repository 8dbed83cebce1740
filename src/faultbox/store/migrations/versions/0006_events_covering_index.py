"""events: a covering index for the stats (series and affected users)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = ["project_id", "timestamp", "service", "environment", "release", "user_key"]


def upgrade() -> None:
    op.create_index("ix_events_project_time_covering", "events", _COLUMNS)
    op.drop_index("ix_events_project_id_timestamp", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_project_id_timestamp", "events", ["project_id", "timestamp"])
    op.drop_index("ix_events_project_time_covering", table_name="events")

"""events: an index for retention; on PostgreSQL, partitioned by month of received_at

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 04:00:00

Both databases get ``ix_events_project_id_level_received_at``, which retention deletes
through. PostgreSQL only: ``events`` becomes a table partitioned by RANGE on
``received_at`` (one partition per calendar month, plus ``events_default``), every row
moved over; ``UNIQUE (project_id, event_id)`` moves to the table ``event_ids``, which
triggers keep in step (store/partitions.py says why). SQLite keeps the table
schema.py describes.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection

from faultbox import clock
from faultbox.store.partitions import create_partition, ensure_partitions, month_of

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_RETENTION_INDEX = "ix_events_project_id_level_received_at"
_INDEXES = (
    ("ix_events_issue_id_timestamp", "issue_id, timestamp"),
    (
        "ix_events_project_time_covering",
        "project_id, timestamp, service, environment, release, user_key",
    ),
    (_RETENTION_INDEX, "project_id, level, received_at"),
)
_FOREIGN_KEYS = (
    "ADD CONSTRAINT fk_events_issue_id_issues FOREIGN KEY (issue_id)"
    " REFERENCES issues (id) ON DELETE CASCADE",
    "ADD CONSTRAINT fk_events_project_id_projects FOREIGN KEY (project_id)"
    " REFERENCES projects (id) ON DELETE CASCADE",
)
# Inserts: once per statement over its new rows (a third of a row trigger's cost on
# the digest's batches); the app inserts through ``events`` only, never into a month.
# Deletes: per row, since a cascade from issues or projects deletes month by month.
_TRIGGERS = """
CREATE FUNCTION event_ids_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_ids (project_id, event_id, received_at)
    SELECT project_id, event_id, received_at FROM added;
    RETURN NULL;
END $$;
CREATE FUNCTION event_ids_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_ids WHERE project_id = OLD.project_id AND event_id = OLD.event_id;
    RETURN NULL;
END $$;
CREATE TRIGGER events_event_ids_add AFTER INSERT ON events REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION event_ids_add();
CREATE TRIGGER events_event_ids_remove AFTER DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION event_ids_remove();
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.create_index(_RETENTION_INDEX, "events", ["project_id", "level", "received_at"])
        return
    run = bind.exec_driver_sql
    run("ALTER TABLE events RENAME TO events_unpartitioned")
    # Index names are per schema: free them for the new table's.
    run("ALTER TABLE events_unpartitioned DROP CONSTRAINT pk_events")
    run("ALTER TABLE events_unpartitioned DROP CONSTRAINT uq_events_project_id_event_id")
    run("DROP INDEX ix_events_issue_id_timestamp")
    run("DROP INDEX ix_events_project_time_covering")
    run(
        "CREATE TABLE events (LIKE events_unpartitioned INCLUDING DEFAULTS)"
        " PARTITION BY RANGE (received_at)"
    )
    run("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (id, received_at)")
    for clause in _FOREIGN_KEYS:
        run(f"ALTER TABLE events {clause}")
    _move_sequence(bind, "events_unpartitioned")
    run("CREATE TABLE events_default PARTITION OF events DEFAULT")
    months = bind.exec_driver_sql(
        "SELECT DISTINCT extract(epoch FROM date_trunc('month',"
        " to_timestamp(received_at) AT TIME ZONE 'UTC')) FROM events_unpartitioned"
    ).scalars()
    for start in sorted(float(m) for m in months):
        create_partition(bind, month_of(start))
    ensure_partitions(bind, clock.now())
    run("INSERT INTO events SELECT * FROM events_unpartitioned")
    run("DROP TABLE events_unpartitioned")
    for name, columns in _INDEXES:
        run(f"CREATE INDEX {name} ON events ({columns})")
    # The duplicate check (store/batch.py) and event lookups by id, without uniqueness.
    run("CREATE INDEX ix_events_project_id_event_id ON events (project_id, event_id)")
    run(
        "CREATE TABLE event_ids ("
        " project_id BIGINT NOT NULL,"
        " event_id VARCHAR(32) NOT NULL,"
        " received_at DOUBLE PRECISION NOT NULL,"
        " CONSTRAINT pk_event_ids PRIMARY KEY (project_id, event_id),"
        " CONSTRAINT fk_event_ids_project_id_projects FOREIGN KEY (project_id)"
        "  REFERENCES projects (id) ON DELETE CASCADE)"
    )
    run("INSERT INTO event_ids SELECT project_id, event_id, received_at FROM events")
    run("CREATE INDEX ix_event_ids_received_at ON event_ids (received_at)")
    run(_TRIGGERS)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.drop_index(_RETENTION_INDEX, table_name="events")
        return
    run = bind.exec_driver_sql
    run("DROP TRIGGER events_event_ids_add ON events")
    run("DROP TRIGGER events_event_ids_remove ON events")
    run("DROP FUNCTION event_ids_add()")
    run("DROP FUNCTION event_ids_remove()")
    run("DROP TABLE event_ids")
    run("ALTER TABLE events RENAME TO events_partitioned")
    run("ALTER TABLE events_partitioned DROP CONSTRAINT pk_events")
    run("DROP INDEX ix_events_project_id_event_id")
    for name, _columns in _INDEXES:
        run(f"DROP INDEX {name}")
    run("CREATE TABLE events (LIKE events_partitioned INCLUDING DEFAULTS)")
    run("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (id)")
    run(
        "ALTER TABLE events ADD CONSTRAINT uq_events_project_id_event_id"
        " UNIQUE (project_id, event_id)"
    )
    for clause in _FOREIGN_KEYS:
        run(f"ALTER TABLE events {clause}")
    _move_sequence(bind, "events_partitioned")
    run("INSERT INTO events SELECT * FROM events_partitioned")
    run("DROP TABLE events_partitioned")
    for name, columns in _INDEXES[:2]:
        run(f"CREATE INDEX {name} ON events ({columns})")


def _move_sequence(bind: Connection, old_table: str) -> None:
    """The id sequence belongs to the old table's column (and would go with it)."""
    sequence = bind.exec_driver_sql(
        f"SELECT pg_get_serial_sequence('{old_table}', 'id')"
    ).scalar_one()
    bind.exec_driver_sql(f"ALTER SEQUENCE {sequence} OWNED BY events.id")

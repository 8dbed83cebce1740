"""Alembic environment: runs on the connection handed in by faultbox.store.migrate."""

from __future__ import annotations

from alembic import context

from faultbox.store.migrate import include_name
from faultbox.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()

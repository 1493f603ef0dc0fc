"""Alembic environment: migrations run on the connection the store hands over (see store/db.py)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from koachify_tui.store import models  # noqa: F401 - registers the tables on the metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the store runs migrations
    raise RuntimeError("run migrations through koachify_tui.store.db.upgrade()")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

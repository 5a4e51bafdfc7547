"""Alembic environment: runs on the connection the app hands over (see bot/learning/db.py)."""

from __future__ import annotations

from alembic import context

from bot.learning.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through bot.learning.db.migrate(), which passes a connection"
    )
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

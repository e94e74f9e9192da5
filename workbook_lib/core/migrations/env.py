"""Alembic environment: migrations run on the connection the store hands over (see store.Store.migrate)."""

from alembic import context
from sqlalchemy import text

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":
    # two processes opening a new store at once: the second waits, then finds the schema current
    connection.execute(text("SELECT pg_advisory_xact_lock(724518)"))
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()

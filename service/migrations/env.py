"""How Alembic reaches the database: always through the connection ``service.migrate`` hands it.

No alembic.ini and no URL here: the URL is the service's setting (ALLIANCE_DATABASE_URL) and may hold a password.
"""

from __future__ import annotations

from alembic import context

from service.store import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it; batch mode writes those steps for the migrations that need them.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

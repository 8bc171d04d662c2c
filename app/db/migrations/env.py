"""Alembic environment: runs the migrations on the connection that ``app.db.migrate`` opened."""

from advanced_alchemy.base import metadata_registry
from alembic import context

import app.db.models  # noqa: F401  (registers the tables on the metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata_registry.get(None),
    render_as_batch=True,
    user_module_prefix="sa.",
)
with context.begin_transaction():
    context.run_migrations()

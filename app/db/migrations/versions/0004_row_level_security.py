"""row-level security: each tenant table shows only the workspace the transaction serves

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

PostgreSQL only (SQLite has no row-level security). The application tells PostgreSQL which
workspace a transaction serves with ``set_config('billcraft.workspace_id', ..., true)``
(``app.domain.tenancy``); while it is set, a query that forgets its ``workspace_id`` filter
sees, and may write, that workspace's rows and no others. Unset, the transaction is a
system one (sign-in, the overdue sweep, the outbox, cross-workspace lists) and sees all.
FORCE makes the policies bind the tables' owner too, which is the role the app runs as;
superusers and roles with BYPASSRLS are never bound (``billcraft serve`` warns about them).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "membership",
    "client",
    "invoice",
    "invoice_item",
    "payment",
    "invoice_event",
    "email_delivery",
    "invoice_counter",
    "idempotency_record",
)
BOUND = "nullif(current_setting('billcraft.workspace_id', true), '')"


def _rule(table: str, column: str) -> str:
    # An idempotency key of an operation outside any workspace (creating one) belongs to none.
    unowned = f" OR {column} IS NULL" if table == "idempotency_record" else ""
    return f"({BOUND} IS NULL{unowned} OR {column} = {BOUND}::uuid)"


def _tables() -> list[tuple[str, str]]:
    return [("workspace", "id"), *((table, "workspace_id") for table in TENANT_TABLES)]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _tables():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        rule = _rule(table, column)
        op.execute(f"CREATE POLICY workspace_isolation ON {table} USING {rule} WITH CHECK {rule}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, _ in _tables():
        op.execute(f"DROP POLICY IF EXISTS workspace_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

"""e-invoices received from suppliers: a table of their own (row-level security like every
tenant table)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.GUID(length=16)
WHEN = advanced_alchemy.types.DateTimeUTC(timezone=True)
SETTING = "nullif(current_setting('billcraft.workspace_id', true), '')"


def upgrade() -> None:
    op.create_table(
        "received_invoice",
        sa.Column("id", GUID, nullable=False),
        sa.Column("workspace_id", GUID, nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("syntax", sa.String(8), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("number", sa.String(200), nullable=True),
        sa.Column("seller_name", sa.String(300), nullable=True),
        sa.Column("payable", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], name=op.f("fk_received_invoice_workspace_id_workspace"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_invoice")),
    )  # fmt: skip
    op.create_index("ix_received_invoice_workspace", "received_invoice", ["workspace_id", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        rule = f"((SELECT {SETTING}) IS NULL OR workspace_id = (SELECT {SETTING}::uuid))"
        op.execute("ALTER TABLE received_invoice ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE received_invoice FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY workspace_isolation ON received_invoice USING {rule} WITH CHECK {rule}")


def downgrade() -> None:
    op.drop_index("ix_received_invoice_workspace", table_name="received_invoice")
    op.drop_table("received_invoice")

"""credit notes: a table of its own (row-level security like every tenant table) and the
credited total kept on each invoice

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.GUID(length=16)
WHEN = advanced_alchemy.types.DateTimeUTC(timezone=True)
SETTING = "nullif(current_setting('billcraft.workspace_id', true), '')"


def upgrade() -> None:
    # Not in batch mode (see 0008): adding a column in place keeps the invoice's rows.
    op.add_column("invoice", sa.Column("credited_minor", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "credit_note",
        sa.Column("id", GUID, nullable=False),
        sa.Column("workspace_id", GUID, nullable=False),
        sa.Column("invoice_id", GUID, nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("vat_breakdown", sa.JSON(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("public_token", sa.String(64), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], name=op.f("fk_credit_note_workspace_id_workspace"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_credit_note_invoice_id_invoice"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_credit_note_workspace_id")),
        sa.UniqueConstraint("public_token", name=op.f("uq_credit_note_public_token")),
    )  # fmt: skip
    op.create_index("ix_credit_note_invoice", "credit_note", ["invoice_id"])
    if op.get_bind().dialect.name == "postgresql":
        rule = f"((SELECT {SETTING}) IS NULL OR workspace_id = (SELECT {SETTING}::uuid))"
        op.execute("ALTER TABLE credit_note ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE credit_note FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY workspace_isolation ON credit_note USING {rule} WITH CHECK {rule}")


def downgrade() -> None:
    op.drop_index("ix_credit_note_invoice", table_name="credit_note")
    op.drop_table("credit_note")
    op.drop_column("invoice", "credited_minor")

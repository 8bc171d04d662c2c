"""VAT in the accounting currency: the workspace's VAT currency, and on an invoice in
another one the rate it was issued at and what its VAT came to (EN 16931 BT-111)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVOICE = [sa.Column("vat_exchange_rate", sa.String(40), nullable=True),
           sa.Column("vat_accounting_currency", sa.String(3), nullable=True),
           sa.Column("vat_accounting_minor", sa.BigInteger(), nullable=True)]  # fmt: skip


def upgrade() -> None:
    # In place, not in batch (see 0007 and 0008).
    op.add_column("workspace", sa.Column("vat_currency", sa.String(3), nullable=False, server_default=""))
    for column in INVOICE:
        op.add_column("invoice", column)


def downgrade() -> None:
    for column in reversed(INVOICE):
        op.drop_column("invoice", column.name)
    op.drop_column("workspace", "vat_currency")

"""VAT by category and rate, line discounts, invoice allowances and charges, the date of
supply (a delivery date or a service period): each line's
discount and category (with its exemption), the invoice's default category, the allowances
and charges as entered with their parts per VAT group, and the breakdown it was priced with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Not in batch mode (see 0008): on SQLite a batch copies the table and drops the old one,
# and with foreign keys on, dropping the invoice table deletes its items and history.

ITEM = [
    sa.Column("discount_percent", sa.String(40), nullable=True),
    sa.Column("discount_minor", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("tax_category", sa.String(2), nullable=True),
    sa.Column("exemption_code", sa.String(40), nullable=True),
    sa.Column("exemption_reason", sa.String(500), nullable=True),
]
INVOICE = [
    sa.Column("delivery_date", sa.Date(), nullable=True),
    sa.Column("service_period_start", sa.Date(), nullable=True),
    sa.Column("service_period_end", sa.Date(), nullable=True),
    sa.Column("allowance_minor", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("charge_minor", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("tax_category", sa.String(2), nullable=False, server_default="S"),
    sa.Column("exemption_code", sa.String(40), nullable=True),
    sa.Column("exemption_reason", sa.String(500), nullable=True),
    sa.Column("adjustments", sa.JSON(), nullable=True),
    sa.Column("vat_breakdown", sa.JSON(), nullable=True),
]


def upgrade() -> None:
    for column in ITEM:
        op.add_column("invoice_item", column)
    for column in INVOICE:
        op.add_column("invoice", column)


def downgrade() -> None:
    for column in reversed(INVOICE):
        op.drop_column("invoice", column.name)
    for column in reversed(ITEM):
        op.drop_column("invoice_item", column.name)

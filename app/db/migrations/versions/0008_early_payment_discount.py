"""invoice early-payment discount (Skonto): its percent and days, and the discount granted
when an invoice was settled within them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Not in batch mode: on SQLite a batch copies the table and drops the old one, and with
# foreign keys on, dropping the invoice table deletes its items, payments and history.


def upgrade() -> None:
    op.add_column("invoice", sa.Column("early_discount_percent", sa.String(40), nullable=True))
    op.add_column("invoice", sa.Column("early_discount_days", sa.Integer(), nullable=True))
    op.add_column("invoice", sa.Column("discount_taken_minor", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("invoice", "discount_taken_minor")
    op.drop_column("invoice", "early_discount_days")
    op.drop_column("invoice", "early_discount_percent")

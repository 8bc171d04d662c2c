"""e-invoices: the seller's telephone and Peppol participant id in the settings, and the
e-invoice format a client's invoices carry

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORKSPACE = [sa.Column("phone", sa.String(64), nullable=False, server_default=""),
             sa.Column("electronic_address", sa.String(110), nullable=False, server_default="")]  # fmt: skip
CLIENT = [sa.Column("einvoice_format", sa.String(16), nullable=False, server_default="")]


def upgrade() -> None:
    # In place, not in batch (see 0007 and 0008).
    for column in WORKSPACE:
        op.add_column("workspace", column)
    for column in CLIENT:
        op.add_column("client", column)


def downgrade() -> None:
    for column in reversed(CLIENT):
        op.drop_column("client", column.name)
    for column in reversed(WORKSPACE):
        op.drop_column("workspace", column.name)

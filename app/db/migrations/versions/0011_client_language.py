"""a client's language: what its invoices, credit notes and emails are written in ("": the
workspace's)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not in batch (see 0008): a batch would recreate the client table.
    op.add_column("client", sa.Column("language", sa.String(8), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("client", "language")

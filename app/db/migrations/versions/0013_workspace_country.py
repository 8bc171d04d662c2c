"""where a business is established (ISO 3166): in the EU, finalize checks what the VAT
directive asks of every invoice

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not in batch (see 0007: a batch would recreate the workspace table).
    op.add_column("workspace", sa.Column("country", sa.String(2), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("workspace", "country")

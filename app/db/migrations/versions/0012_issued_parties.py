"""the parties as an invoice was issued: the seller's and the client's details kept at
finalize, so that later edits never change an issued document

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not in batch (see 0008). Invoices issued before keep showing the parties as
    # they are (there is nothing older to go back to).
    op.add_column("invoice", sa.Column("issued_parties", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("invoice", "issued_parties")

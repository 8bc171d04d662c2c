"""credit notes are emailed too: a delivery may carry one of its invoice's credit notes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.GUID(length=16)


def upgrade() -> None:
    # In place, not in batch (see 0008). No foreign key: the delivery belongs to the invoice
    # (and goes with it), and so does the credit note; SQLite could not add one in place.
    op.add_column("email_delivery", sa.Column("credit_note_id", GUID, nullable=True))


def downgrade() -> None:
    op.drop_column("email_delivery", "credit_note_id")

"""identifiers checked by their own rules: the workspace's IBAN and BIC, the client's buyer
reference (e.g. a Leitweg-ID) and electronic address (a Peppol participant id)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORKSPACE = [sa.Column("iban", sa.String(42), nullable=False, server_default=""),
             sa.Column("bic", sa.String(11), nullable=False, server_default="")]  # fmt: skip
CLIENT = [sa.Column("buyer_reference", sa.String(100), nullable=False, server_default=""),
          sa.Column("electronic_address", sa.String(110), nullable=False, server_default="")]  # fmt: skip


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

"""approvals: changes an assistant asked for that wait for their person, and each
workspace's choice of which changes need one

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A tenant table like the others: row-level security binds it to the workspace the
transaction serves (the policy of 0005, read once per query).
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.GUID(length=16)
WHEN = advanced_alchemy.types.DateTimeUTC(timezone=True)
SETTING = "nullif(current_setting('billcraft.workspace_id', true), '')"


def upgrade() -> None:
    # Not in batch mode, here or in the downgrade: on SQLite a batch copies the table and drops
    # the old one, and with foreign keys on, dropping the workspace deletes all it holds.
    op.add_column(
        "workspace",
        sa.Column("confirm_actions", sa.String(200), nullable=False, server_default="send,finalize,cancel,delete,bulk"),
    )
    op.add_column(
        "workspace", sa.Column("confirm_channels", sa.String(100), nullable=False, server_default="mcp_http,mcp_stdio")
    )
    op.create_table(
        "approval",
        sa.Column("id", GUID, nullable=False),
        sa.Column("workspace_id", GUID, nullable=False),
        sa.Column("user_id", GUID, nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("target_id", GUID, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("how", sa.String(16), nullable=False),
        sa.Column("oauth_client_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], name=op.f("fk_approval_workspace_id_workspace"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_approval_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval")),
    )  # fmt: skip
    op.create_index("ix_approval_user_status", "approval", ["user_id", "status"])
    if op.get_bind().dialect.name == "postgresql":
        rule = f"((SELECT {SETTING}) IS NULL OR workspace_id = (SELECT {SETTING}::uuid))"
        op.execute("ALTER TABLE approval ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE approval FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY workspace_isolation ON approval USING {rule} WITH CHECK {rule}")


def downgrade() -> None:
    op.drop_index("ix_approval_user_status", table_name="approval")
    op.drop_table("approval")
    op.drop_column("workspace", "confirm_channels")
    op.drop_column("workspace", "confirm_actions")

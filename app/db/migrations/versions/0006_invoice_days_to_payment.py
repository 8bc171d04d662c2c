"""invoice.days_to_payment: the days from sending to the last payment received, kept when
the invoice becomes paid

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The average days to payment must run to the date money was received (payment_date), in
the workspace's calendar, not to when the payment was recorded. That date is on no
invoice column, and joining every paid invoice to its payments made the statistics half
again as slow; the figure is now kept on the invoice when it becomes paid. Invoices paid
before this revision get theirs computed here.
"""

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.GUID(length=16)
invoice = sa.table(
    "invoice",
    sa.column("id", GUID),
    sa.column("workspace_id", GUID),
    sa.column("status", sa.String),
    sa.column("sent_at", advanced_alchemy.types.DateTimeUTC(timezone=True)),
    sa.column("days_to_payment", sa.Integer),
)
payment = sa.table("payment", sa.column("invoice_id", GUID), sa.column("payment_date", sa.Date))
workspace = sa.table("workspace", sa.column("id", GUID), sa.column("timezone", sa.String))


def upgrade() -> None:
    op.add_column("invoice", sa.Column("days_to_payment", sa.Integer(), nullable=True))
    bind = op.get_bind()
    paid = bind.execute(
        sa.select(invoice.c.id, invoice.c.sent_at, workspace.c.timezone, sa.func.max(payment.c.payment_date))
        .join(workspace, workspace.c.id == invoice.c.workspace_id)
        .join(payment, payment.c.invoice_id == invoice.c.id)
        .where(invoice.c.status == "paid", invoice.c.sent_at.is_not(None))
        .group_by(invoice.c.id, invoice.c.sent_at, workspace.c.timezone)
    ).all()
    rows = [{"key": key, "days": _days(sent_at, zone, last)} for key, sent_at, zone, last in paid]
    if rows:
        bind.execute(
            sa.update(invoice).where(invoice.c.id == sa.bindparam("key")).values(days_to_payment=sa.bindparam("days")),
            rows,
        )


def _days(sent_at: dt.datetime, zone: str, last: dt.date) -> int:
    return max((last - sent_at.astimezone(ZoneInfo(zone)).date()).days, 0)


def downgrade() -> None:
    # Not in batch mode: on SQLite a batch copies the table and drops the old one, and with
    # foreign keys on, dropping it deletes every payment and item in cascade. SQLite (3.35
    # and later) drops a plain column in place.
    op.drop_column("invoice", "days_to_payment")

"""The hand-written references the stack is measured against: what a developer would write
for the same answer with nothing in between (one SQL statement, msgspec encoding). They
live only in the benchmark; nothing in Billcraft calls them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request, Response, get
from sqlalchemy import column, text

from app.db.models import Invoice
from bench.reference_invoice import reference_invoice_create, reference_invoice_get

# Typed columns and parameters: SQLite keeps uuids and timestamps in its own forms.
_INV = Invoice.__table__.c

LIST_SQL = text(
    """
    WITH w AS (SELECT id FROM workspace WHERE slug = :slug),
         n AS (SELECT count(*) AS total FROM invoice WHERE workspace_id = (SELECT id FROM w))
    SELECT i.id, i.number, i.title, i.status, c.id AS client_id, c.name AS client_name, i.currency,
           i.issue_date, i.due_date, i.total_minor, i.paid_minor, i.created_at, n.total
    FROM invoice i
    CROSS JOIN n
    LEFT JOIN client c ON c.id = i.client_id
    WHERE i.workspace_id = (SELECT id FROM w)
    ORDER BY i.issue_date DESC, i.id DESC
    LIMIT 50
    """
).columns(
    _INV.id, _INV.number, _INV.title, _INV.status, column("client_id", _INV.client_id.type), column("client_name"),
    _INV.currency, _INV.issue_date, _INV.due_date, _INV.total_minor, _INV.paid_minor, _INV.created_at, column("total"),
)  # fmt: skip


def _amount(minor: int) -> str:
    return str(Decimal(minor).scaleb(-2))


def _id(value: Any) -> str:
    return str(value)


# Outside authentication and the pages' session: nothing runs but routing and the query.
@get(
    "/bench/reference/{slug:str}/invoices",
    opt={"exclude_from_auth": True, "skip_session": True},
    include_in_schema=False,
)
async def reference_invoice_list(request: Request[Any, Any, Any], slug: str) -> Response[bytes]:
    """Fifty invoices of a workspace, newest first: one raw query, encoded by msgspec."""
    engine = request.app.state.db_config.get_engine()
    async with engine.connect() as conn:
        rows = (await conn.execute(LIST_SQL, {"slug": slug})).all()
    items = [
        {
            "uuid": _id(r.id),
            "number": r.number,
            "title": r.title,
            "status": r.status,
            "client": {"uuid": _id(r.client_id), "name": r.client_name} if r.client_id else None,
            "currency": r.currency,
            "issue_date": r.issue_date,
            "due_date": r.due_date,
            "total": _amount(r.total_minor),
            "balance_due": _amount(r.total_minor - r.paid_minor),
            "created_at": r.created_at,
        }
        for r in rows
    ]
    total = rows[0].total if rows else 0
    body = {"items": items, "total": total, "page": 1, "per_page": 50, "has_more": total > 50}
    return Response(msgspec.json.encode(body), media_type="application/json")


REFERENCE_ROUTES = [reference_invoice_list, reference_invoice_get, reference_invoice_create]

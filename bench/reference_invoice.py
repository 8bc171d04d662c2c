"""The hand-written references for one invoice: ``reference_invoice_get`` reads it with its
items, payments, history, emails and credit notes in one statement (JSON aggregated beside
the row, in each dialect's spelling) and answers the JSON of the real REST GET;
``reference_invoice_create`` makes a draft with the same inserts the stack issues (invoice,
items, its 'create' event, the idempotency record) and answers the same. Registered by
``bench.reference``; nothing in Billcraft calls them."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from sqlalchemy import TextualSelect, bindparam, column, insert, text
from uuid_utils.compat import uuid7

from app.db.models import IdempotencyRecord, Invoice, InvoiceEvent, InvoiceItem
from app.domain.vat import LEGAL_NOTES

_INV = Invoice.__table__.c
_CENT, _ONE = Decimal("0.01"), Decimal(1)


def _amount(minor: int) -> str:
    return str(Decimal(minor).scaleb(-2))


# (JSON key, column, type) of the rows aggregated beside the invoice, in their order.
U, OU, T, OT, S, OS, D = uuid.UUID, uuid.UUID | None, dt.datetime, dt.datetime | None, str, str | None, dt.date
_ROWS: dict[str, tuple[str, str, list[tuple[str, str, Any]]]] = {
    "items": ("invoice_item", "position", [
        ("description", "description", S), ("quantity", "quantity", S), ("unit_price", "unit_price", S),
        ("tax_rate", "tax_rate", OS), ("amount_minor", "amount_minor", int), ("tax_minor", "tax_minor", int),
        ("discount_percent", "discount_percent", OS), ("discount_minor", "discount_minor", int),
        ("tax_category", "tax_category", OS), ("exemption_code", "exemption_code", OS),
        ("exemption_reason", "exemption_reason", OS),
    ]),
    "payments": ("payment", "created_at", [
        ("uuid", "id", U), ("amount_minor", "amount_minor", int), ("payment_date", "payment_date", D),
        ("payment_method", "payment_method", S), ("recorded_at", "created_at", T),
    ]),
    "history": ("invoice_event", "created_at, id", [
        ("action", "action", S), ("from_status", "from_status", OS), ("to_status", "to_status", OS),
        ("at", "created_at", T), ("actor_uuid", "actor_user_id", OU), ("actor_name", "actor_name", S),
        ("channel", "channel", S), ("oauth_client", "oauth_client_id", OS), ("note", "note", OS),
        ("data", "data", dict[str, Any] | None),
    ]),
    "deliveries": ("email_delivery", "id", [
        ("uuid", "id", U), ("to", "recipient", S), ("kind", "kind", S), ("status", "status", S),
        ("attempts", "attempts", int), ("queued_at", "queued_at", T), ("sent_at", "sent_at", OT),
        ("opened_at", "opened_at", OT), ("bounced_at", "bounced_at", OT), ("failed_at", "failed_at", OT),
        ("next_attempt_at", "next_attempt_at", OT), ("reason", "reason", OS),
    ]),
    "credit_notes": ("credit_note", "id", [
        ("uuid", "id", U), ("number", "number", S), ("issue_date", "issue_date", D),
        ("total_minor", "total_minor", int),
    ]),
}  # fmt: skip
# How SQLite, which keeps uuids as bytes, times as naive UTC text and JSON as text, must
# spell a value for its JSON to read as PostgreSQL's does.
_SQLITE = {
    U: "lower(hex(x.{}))",
    OU: "lower(hex(x.{}))",
    T: "replace(x.{}, ' ', 'T') || 'Z'",
    OT: "replace(x.{}, ' ', 'T') || 'Z'",
}
_ROW_TYPES = {
    name: msgspec.defstruct(f"_{name}", [(k, t) for k, _, t in fields]) for name, (_, _, fields) in _ROWS.items()
}
_DECODERS = {name: msgspec.json.Decoder(list[row]) for name, row in _ROW_TYPES.items()}  # type: ignore[valid-type]


def _aggregate(dialect: str, table: str, order: str, fields: list[tuple[str, str, Any]]) -> str:
    if dialect == "postgresql":
        pairs = ", ".join(f"'{key}', x.{col}" for key, col, _ in fields)
        return (
            f"(SELECT coalesce(json_agg(json_build_object({pairs}) ORDER BY {order}), '[]')::text "
            f"FROM {table} x WHERE x.invoice_id = i.id)"
        )
    pairs = ", ".join(
        f"'{key}', {_SQLITE.get(kind, 'json(x.{})' if kind == dict[str, Any] | None else 'x.{}').format(col)}"
        for key, col, kind in fields
    )
    # SQLite 3.40 has no ORDER BY inside an aggregate: it aggregates an ordered subquery.
    return (
        f"(SELECT json_group_array(json(o)) FROM (SELECT json_object({pairs}) AS o "
        f"FROM {table} x WHERE x.invoice_id = i.id ORDER BY {order}))"
    )


_INVOICE_COLUMNS = [
    "id", "number", "title", "status", "client_id", "currency", "issue_date", "due_date", "notes", "tax_rate",
    "delivery_date", "service_period_start", "service_period_end", "tax_category", "exemption_code",
    "exemption_reason", "adjustments", "vat_breakdown", "vat_exchange_rate", "vat_accounting_currency",
    "vat_accounting_minor", "subtotal_minor", "allowance_minor", "charge_minor", "tax_minor", "total_minor",
    "paid_minor", "credited_minor", "discount_taken_minor", "early_discount_percent", "early_discount_days",
    "finalized_at", "sent_at", "paid_at", "cancelled_at", "cancel_reason", "public_token", "created_at", "updated_at",
]  # fmt: skip


def _get_sql(dialect: str) -> TextualSelect:
    aggregates = ", ".join(f"{_aggregate(dialect, *spec[:2], spec[2])} AS {name}" for name, spec in _ROWS.items())
    return (
        text(
            f"SELECT {', '.join('i.' + c for c in _INVOICE_COLUMNS)}, c.name AS client_name, {aggregates} "
            "FROM invoice i JOIN workspace w ON w.id = i.workspace_id LEFT JOIN client c ON c.id = i.client_id "
            "WHERE w.slug = :slug AND i.id = :id"
        )
        .columns(*(_INV[c] for c in _INVOICE_COLUMNS), column("client_name"), *(column(n) for n in _ROWS))
        .bindparams(bindparam("id", type_=_INV.id.type))
    )


GET_SQL = {dialect: _get_sql(dialect) for dialect in ("postgresql", "sqlite")}


_ACTIONS = {
    "draft": ["update", "finalize", "send", "cancel", "delete", "duplicate"],
    "finalized draft": ["send", "cancel", "duplicate"],
    "sent": ["send", "mark_paid", "cancel", "duplicate", "credit"],
    "overdue": ["send", "mark_paid", "cancel", "duplicate", "credit"],
    "paid": ["duplicate", "credit"],
    "cancelled": ["duplicate"],
}


def _plain(value: Any) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def _price(value: Any) -> str:
    exact = Decimal(value).normalize()
    return format(exact if -int(exact.as_tuple().exponent) > 2 else Decimal(value).quantize(_CENT), "f")


def _line_groups(inv: dict[str, Any], lines: list[Any]) -> list[dict[str, Any]]:
    """The breakdown of an invoice priced before VAT groups were kept: its lines, grouped."""
    sums: dict[tuple[str, Decimal], list[int]] = {}
    for x in lines:
        group = (x.tax_category or inv["tax_category"], Decimal(x.tax_rate or inv["tax_rate"]))
        taxable_tax = sums.setdefault(group, [0, 0])
        taxable_tax[0] += x.amount_minor
        taxable_tax[1] += x.tax_minor
    return [
        {"tax_category": c, "tax_rate": str(r), "taxable_minor": t, "tax_minor": x, "exemption_code": None,
         "exemption_reason": None}
        for (c, r), (t, x) in sums.items()
    ]  # fmt: skip


def _invoice_body(inv: dict[str, Any], rows: dict[str, list[Any]], base_url: str) -> dict[str, Any]:
    """The invoice JSON of ``GET /api/v1/.../invoices/{uuid}`` from its columns and rows."""
    groups = [
        {"tax_category": g["tax_category"], "tax_rate": _plain(g["tax_rate"]),
         "taxable_amount": _amount(g["taxable_minor"]), "tax_amount": _amount(g["tax_minor"]),
         "exemption_code": g["exemption_code"], "exemption_reason": g["exemption_reason"]}
        for g in inv["vat_breakdown"] or _line_groups(inv, rows["items"])
    ]  # fmt: skip
    categories = {g["tax_category"] for g in groups}
    notes = [
        f"Exempt from VAT: {g['exemption_reason'] or g['exemption_code']}." for g in groups if g["tax_category"] == "E"
    ]
    notes += [note for category, note in LEGAL_NOTES.items() if category in categories]
    balance = inv["total_minor"] - inv["paid_minor"] - inv["discount_taken_minor"] - inv["credited_minor"]
    early = None
    if inv["early_discount_percent"] is not None and inv["early_discount_days"] is not None:
        discount = int((inv["total_minor"] * Decimal(inv["early_discount_percent"]) / 100).quantize(1, ROUND_HALF_UP))
        early = {
            "percent": _plain(inv["early_discount_percent"]), "days": inv["early_discount_days"],
            "pay_by": inv["issue_date"] + dt.timedelta(days=inv["early_discount_days"]),
            "discount": _amount(discount), "amount": _amount(inv["total_minor"] - discount),
            "taken": _amount(inv["discount_taken_minor"]) if inv["discount_taken_minor"] else None,
        }  # fmt: skip
    accounting = None
    if inv["vat_accounting_currency"] and inv["vat_accounting_minor"] is not None and inv["vat_exchange_rate"]:
        accounting = {"currency": inv["vat_accounting_currency"], "rate": _plain(inv["vat_exchange_rate"]),
                      "tax_amount": _amount(inv["vat_accounting_minor"])}  # fmt: skip
    status = inv["status"]
    return {
        "uuid": inv["id"], "number": inv["number"], "title": inv["title"], "status": status,
        "client": {"uuid": inv["client_id"], "name": inv["client_name"]} if inv["client_id"] else None,
        "currency": inv["currency"], "issue_date": inv["issue_date"], "due_date": inv["due_date"],
        "notes": inv["notes"], "tax_rate": _plain(inv["tax_rate"]), "delivery_date": inv["delivery_date"],
        "service_period_start": inv["service_period_start"], "service_period_end": inv["service_period_end"],
        "tax_category": inv["tax_category"], "exemption_code": inv["exemption_code"],
        "exemption_reason": inv["exemption_reason"],
        "items": [
            {"description": x.description, "quantity": _plain(x.quantity), "unit_price": _price(x.unit_price),
             "tax_rate": _plain(x.tax_rate), "amount": _amount(x.amount_minor), "tax_amount": _amount(x.tax_minor),
             "discount_percent": _plain(x.discount_percent), "discount": _amount(x.discount_minor),
             "tax_category": x.tax_category or inv["tax_category"], "exemption_code": x.exemption_code,
             "exemption_reason": x.exemption_reason}
            for x in rows["items"]
        ],
        "adjustments": [
            {"kind": a["kind"], "reason": a["reason"], "reason_code": a["reason_code"], "percent": _plain(a["percent"]),
             "amount": _amount(sum(p["amount_minor"] for p in a["parts"])), "tax_category": a["tax_category"],
             "tax_rate": _plain(a["tax_rate"]),
             "parts": [{"tax_category": p["tax_category"], "tax_rate": _plain(p["tax_rate"]),
                        "base": None if p["base_minor"] is None else _amount(p["base_minor"]),
                        "amount": _amount(p["amount_minor"])} for p in a["parts"]]}
            for a in inv["adjustments"] or []
        ],
        "subtotal": _amount(inv["subtotal_minor"]), "allowance_total": _amount(inv["allowance_minor"]),
        "charge_total": _amount(inv["charge_minor"]),
        "net_total": _amount(inv["subtotal_minor"] - inv["allowance_minor"] + inv["charge_minor"]),
        "tax_amount": _amount(inv["tax_minor"]), "vat_breakdown": groups, "legal_notes": notes,
        "vat_exchange_rate": _plain(inv["vat_exchange_rate"]), "vat_accounting": accounting,
        "total": _amount(inv["total_minor"]), "amount_paid": _amount(inv["paid_minor"]),
        "credited": _amount(inv["credited_minor"]), "balance_due": _amount(max(balance, 0)),
        "refund_due": _amount(max(-balance, 0)),
        "credit_notes": [
            {"uuid": n.uuid, "number": n.number, "issue_date": n.issue_date, "total": _amount(n.total_minor)}
            for n in rows["credit_notes"]
        ],
        "early_payment": early, "finalized_at": inv["finalized_at"], "sent_at": inv["sent_at"],
        "paid_at": inv["paid_at"], "cancelled_at": inv["cancelled_at"], "cancel_reason": inv["cancel_reason"],
        "payments": [
            {"uuid": p.uuid, "amount": _amount(p.amount_minor), "payment_date": p.payment_date,
             "payment_method": p.payment_method, "recorded_at": p.recorded_at}
            for p in rows["payments"]
        ],
        "history": [
            {"action": e.action, "from_status": e.from_status, "to_status": e.to_status, "at": e.at,
             "actor": {"uuid": e.actor_uuid, "name": e.actor_name}, "channel": e.channel,
             "oauth_client": e.oauth_client, "note": e.note, "data": e.data}
            for e in rows["history"]
        ],
        "deliveries": [
            msgspec.structs.replace(d, next_attempt_at=d.next_attempt_at if d.status == "queued" else None)
            for d in rows["deliveries"]
        ],
        "allowed_actions": _ACTIONS["finalized draft" if status == "draft" and inv["finalized_at"] else status],
        "public_url": f"{base_url}/i/{inv['public_token']}" if inv["sent_at"] else None,
        "created_at": inv["created_at"], "updated_at": inv["updated_at"],
    }  # fmt: skip


@get(
    "/bench/reference/{slug:str}/invoices/{invoice_id:uuid}",
    opt={"exclude_from_auth": True, "skip_session": True},
    include_in_schema=False,
)
async def reference_invoice_get(request: Request[Any, Any, Any], slug: str, invoice_id: uuid.UUID) -> Response[bytes]:
    """One invoice with its items, payments, history, emails and credit notes: one query."""
    engine = request.app.state.db_config.get_engine()
    async with engine.connect() as conn:
        row = (await conn.execute(GET_SQL[engine.dialect.name], {"slug": slug, "id": invoice_id})).one_or_none()
    if row is None:
        return Response(b'{"detail":"not found"}', status_code=404, media_type="application/json")
    inv = dict(row._mapping)
    rows = {name: decoder.decode(inv.pop(name)) for name, decoder in _DECODERS.items()}
    body = _invoice_body(inv, rows, request.app.state.settings.base_url)
    return Response(msgspec.json.encode(body), media_type="application/json")


class _LineIn(msgspec.Struct, forbid_unknown_fields=True):
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    quantity: Decimal
    unit_price: Decimal


class _CreateIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    client_uuid: uuid.UUID | None = None
    tax_rate: Decimal = Decimal(0)
    items: Annotated[list[_LineIn], msgspec.Meta(max_length=200)] = []


# The workspace, the owner acting, the client, and a live record of the key: one query.
CREATE_LOOKUP_SQL = (
    text(
        """
        SELECT w.id, w.default_currency, w.timezone, w.payment_terms_days, m.user_id, u.name AS user_name,
               c.id AS client_id, c.name AS client_name, r.fingerprint, r.response
        FROM workspace w
        JOIN membership m ON m.workspace_id = w.id AND m.role = 'owner'
        JOIN user_account u ON u.id = m.user_id
        LEFT JOIN client c ON c.id = :client_id AND c.workspace_id = w.id
        LEFT JOIN idempotency_record r ON r.user_id = m.user_id AND r.key = :key AND r.expires_at > :now
        WHERE w.slug = :slug
        """
    )
    .columns(
        column("id", _INV.workspace_id.type), column("default_currency"), column("timezone"),
        column("payment_terms_days"), column("user_id", _INV.workspace_id.type), column("user_name"),
        column("client_id", _INV.client_id.type), column("client_name"), column("fingerprint"),
        column("response", IdempotencyRecord.__table__.c.response.type),
    )
    .bindparams(bindparam("client_id", type_=_INV.client_id.type), bindparam("now", type_=_INV.created_at.type))
)  # fmt: skip
_create_decoder = msgspec.json.Decoder(_CreateIn)


def _minor(value: Decimal) -> int:
    return int((value * 100).quantize(_ONE, ROUND_HALF_UP))


def _problem(status: int, detail: str) -> Response[bytes]:
    return Response(msgspec.json.encode({"detail": detail}), status_code=status, media_type="application/json")


@post(
    "/bench/reference/{slug:str}/invoices",
    opt={"exclude_from_auth": True, "skip_session": True},
    include_in_schema=False,
)
async def reference_invoice_create(request: Request[Any, Any, Any], slug: str) -> Response[bytes]:
    """A draft invoice as the stack makes it (invoice, items, its 'create' event and the
    idempotency record: the same inserts), answered with the invoice JSON."""
    raw = await request.body()
    key = request.headers.get("idempotency-key")
    try:
        data = _create_decoder.decode(raw)
    except msgspec.ValidationError as error:
        return _problem(422, str(error))
    now = dt.datetime.now(dt.UTC)
    engine = request.app.state.db_config.get_engine()
    async with engine.begin() as conn:
        found = (
            await conn.execute(CREATE_LOOKUP_SQL, {"slug": slug, "client_id": data.client_uuid, "key": key, "now": now})
        ).one_or_none()
        if found is None or (data.client_uuid is not None and found.client_id is None):
            return _problem(404, "no such workspace or client")
        fingerprint = hashlib.sha256(raw).hexdigest()
        if found.fingerprint is not None:
            if found.fingerprint != fingerprint:
                return _problem(409, "this idempotency key was already used with other arguments")
            return Response(msgspec.json.encode(found.response), status_code=201, media_type="application/json")
        rate = data.tax_rate
        lines = []
        for position, line in enumerate(data.items):
            amount = _minor(line.quantity * line.unit_price)
            lines.append(
                {"id": uuid7(), "workspace_id": found.id, "position": position, "description": line.description,
                 "quantity": line.quantity, "unit_price": line.unit_price, "amount_minor": amount,
                 "tax_minor": int((amount * rate / 100).quantize(_ONE, ROUND_HALF_UP)), "discount_minor": 0,
                 "created_at": now, "updated_at": now}
            )  # fmt: skip
        subtotal = sum(x["amount_minor"] for x in lines)
        tax = int((subtotal * rate / 100).quantize(_ONE, ROUND_HALF_UP))
        issue = dt.datetime.now(zoneinfo.ZoneInfo(found.timezone)).date()
        invoice_id = uuid7()
        groups = [
            {"tax_category": "S", "tax_rate": format(rate, "f"), "exemption_code": None, "exemption_reason": None,
             "lines_minor": subtotal, "allowances_minor": 0, "charges_minor": 0, "taxable_minor": subtotal,
             "tax_minor": tax}
        ] if lines else []  # fmt: skip
        inv = {
            "id": invoice_id, "workspace_id": found.id, "client_id": found.client_id, "number": None,
            "title": data.title.strip(), "status": "draft", "currency": found.default_currency, "issue_date": issue,
            "due_date": issue + dt.timedelta(days=found.payment_terms_days), "notes": "", "tax_rate": rate,
            "subtotal_minor": subtotal, "tax_minor": tax, "total_minor": subtotal + tax, "allowance_minor": 0,
            "charge_minor": 0, "tax_category": "S", "vat_breakdown": groups, "paid_minor": 0, "credited_minor": 0,
            "discount_taken_minor": 0, "public_token": secrets.token_urlsafe(24), "created_at": now, "updated_at": now,
        }  # fmt: skip
        event = {
            "id": uuid7(), "workspace_id": found.id, "invoice_id": invoice_id, "action": "create",
            "to_status": "draft", "actor_user_id": found.user_id, "actor_name": found.user_name, "channel": "api",
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        shown = dict.fromkeys(_INVOICE_COLUMNS) | inv | {"client_name": found.client_name}
        body = msgspec.to_builtins(_invoice_body(shown, {
            "items": [_ROW_TYPES["items"](x["description"], format(x["quantity"], "f"), format(x["unit_price"], "f"),
                                          None, x["amount_minor"], x["tax_minor"], None, 0, None, None, None)
                      for x in lines],
            "payments": [], "deliveries": [], "credit_notes": [],
            "history": [_ROW_TYPES["history"]("create", None, "draft", now, found.user_id, found.user_name, "api",
                                              None, None, None)],
        }, request.app.state.settings.base_url))  # fmt: skip
        await conn.execute(insert(Invoice), inv)
        if lines:
            await conn.execute(insert(InvoiceItem).values([x | {"invoice_id": invoice_id} for x in lines]))
        await conn.execute(insert(InvoiceEvent), event)
        if key:
            await conn.execute(
                insert(IdempotencyRecord),
                {"user_id": found.user_id, "workspace_id": found.id, "key": key, "fingerprint": fingerprint,
                 "response": body, "expires_at": now + dt.timedelta(hours=24), "created_at": now, "updated_at": now},
            )  # fmt: skip
    return Response(msgspec.json.encode(body), status_code=201, media_type="application/json")

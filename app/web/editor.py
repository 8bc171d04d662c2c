"""The invoice editor's form: reading its fields and item rows, pricing them as the user
types (the server's own rules, nothing computed in the browser), and turning them into the
domain's create and update inputs."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from litestar.datastructures import FormMultiDict

from app.domain.errors import ValidationFailed
from app.domain.invoices import quote
from app.domain.outputs import InvoiceOut, QuoteOut
from app.domain.schemas import InvoiceCreate, InvoiceUpdate, ItemInput, friendly
from app.web.pages import to_struct

ROW_FIELDS = ("description", "quantity", "unit_price", "tax_rate")
# What the error summary calls each field, as the form labels it.
FIELD_LABELS = {
    "title": "Title", "client_uuid": "Client", "currency": "Currency", "issue_date": "Issue date",
    "due_date": "Due date", "tax_rate": "Tax rate", "notes": "Notes", "items": "Items", "number": "Number",
    "early_payment_discount": "Early-payment discount", "early_payment_days": "Days for the discount",
}  # fmt: skip
EARLY = ("early_payment_discount", "early_payment_days")
ROW_LABELS = {"description": "description", "quantity": "quantity", "unit_price": "unit price", "tax_rate": "tax %"}
MAX_ROWS = 200
_INDEX = re.compile(r"^items\[(\d+)\]\.?(.*)$")
_MISSING = re.compile(r"missing required field `(\w+)`")


@dataclass
class Editor:
    """What the editor shows: the fields as typed, the item rows, their prices and errors."""

    values: dict[str, str]
    rows: list[dict[str, str]]
    quote: QuoteOut | None = None
    errors: dict[str, str] = field(default_factory=dict)
    # What the error summary calls each key of ``errors``: "Line 2, quantity", "Due date".
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls, currency: str, issue: dt.date, due: dt.date, client_uuid: str = "") -> Editor:
        values = {
            "title": "", "client_uuid": client_uuid, "currency": currency, "issue_date": issue.isoformat(),
            "due_date": due.isoformat(), "tax_rate": "0", "notes": "",
            "early_payment_discount": "", "early_payment_days": "",
        }  # fmt: skip
        return cls(values=values, rows=[dict.fromkeys(ROW_FIELDS, "")])

    @classmethod
    def of(cls, invoice: InvoiceOut) -> Editor:
        values = {
            "title": invoice.title,
            "client_uuid": str(invoice.client.uuid) if invoice.client else "",
            "currency": invoice.currency,
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "tax_rate": invoice.tax_rate,
            "notes": invoice.notes,
            "early_payment_discount": invoice.early_payment.percent if invoice.early_payment else "",
            "early_payment_days": str(invoice.early_payment.days) if invoice.early_payment else "",
        }
        rows = [
            {
                "description": i.description,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
                "tax_rate": i.tax_rate or "",
            }
            for i in invoice.items
        ]
        editor = cls(values=values, rows=rows or [dict.fromkeys(ROW_FIELDS, "")])
        editor.price()
        return editor

    @classmethod
    def read(cls, form: FormMultiDict) -> Editor:
        values = {k: _text(form.get(k)) for k in ("title", "client_uuid", "currency", "issue_date", "due_date")}
        values["tax_rate"] = _text(form.get("tax_rate"))
        values.update({name: _text(form.get(name)) for name in EARLY})
        values["notes"] = str(form.get("notes") or "").strip()
        columns = {f: [_text(v) for v in form.getall(f"item_{f}", [])] for f in ROW_FIELDS}
        count = min(max((len(c) for c in columns.values()), default=0), MAX_ROWS)
        rows = [{f: (columns[f][i] if i < len(columns[f]) else "") for f in ROW_FIELDS} for i in range(count)]
        return cls(values=values, rows=rows)

    # --- rows -------------------------------------------------------------------------------

    def add_row(self) -> None:
        if len(self.rows) < MAX_ROWS:
            self.rows.append(dict.fromkeys(ROW_FIELDS, ""))

    def remove_row(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            del self.rows[index]
        if not self.rows:
            self.rows.append(dict.fromkeys(ROW_FIELDS, ""))

    def _filled(self) -> list[tuple[int, dict[str, str]]]:
        return [(i, r) for i, r in enumerate(self.rows) if any(r.values())]

    def items(self) -> list[ItemInput]:
        """The filled rows as items; a blank row is ignored."""
        items = []
        for n, (_, row) in enumerate(self._filled()):
            data: dict[str, Any] = {k: v for k, v in row.items() if v != "" or k == "description"}
            try:
                items.append(msgspec.convert(data, ItemInput, strict=False))
            except msgspec.ValidationError as error:
                raise _row_error(n, str(error)) from None
        return items

    # --- pricing ----------------------------------------------------------------------------

    def price(self) -> None:
        """Price the filled rows; a row that cannot be priced gets its error instead."""
        try:
            items = self.items()
            self.quote = quote(items, self.values.get("currency") or "", _decimal(self.values.get("tax_rate")))
        except ValidationFailed as error:
            self.quote = None
            self.errors.update(self._shown(error))

    def line(self, index: int) -> Any:
        """The priced line shown at ``index``, if the rows priced."""
        if self.quote is None:
            return None
        filled = [i for i, _ in self._filled()]
        return self.quote.lines[filled.index(index)] if index in filled else None

    def _shown(self, error: ValidationFailed) -> dict[str, str]:
        """Errors keyed by the form's field names: ``items[2].quantity`` (the third filled
        row) becomes ``item_quantity_<index of that row in the form>``, labelled with the
        line number the form shows ("Line 4, quantity" when a blank row comes before it)."""
        filled = [i for i, _ in self._filled()]
        out: dict[str, str] = {}
        for e in error.errors:
            match = _INDEX.match(e["field"])
            if match and int(match.group(1)) < len(filled):
                row = filled[int(match.group(1))]
                part = match.group(2)
                key = f"item_{part or 'description'}_{row}"
                self.labels[key] = f"Line {row + 1}" + (
                    f", {ROW_LABELS.get(part, part.replace('_', ' '))}" if part else ""
                )
            else:
                key = e["field"]
                self.labels[key] = FIELD_LABELS.get(key, key.replace("_", " ").capitalize())
            out[key] = e["message"]
        return out

    def fail(self, error: ValidationFailed) -> None:
        self.errors.update(self._shown(error))

    def summary(self) -> list[tuple[str, str, str]]:
        """The form's errors as (field key, label, message), in the order they were found."""
        return [(key, self.labels.get(key, key), message) for key, message in self.errors.items()]

    # --- to the domain ----------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        v = self.values
        data: dict[str, Any] = {
            "title": v["title"],
            "client_uuid": _uuid(v.get("client_uuid", "")),
            "currency": v.get("currency") or None,
            "notes": v.get("notes", ""),
            "tax_rate": _decimal(v.get("tax_rate"), field_name="tax_rate"),
            "items": self.items(),
            "early_payment_discount": _decimal(v.get("early_payment_discount"), "early_payment_discount") or None,
            "early_payment_days": _whole(v.get("early_payment_days", ""), "early_payment_days"),
        }
        for name in ("issue_date", "due_date"):
            data[name] = _date(v.get(name, ""), name)
        return data

    def create_input(self) -> InvoiceCreate:
        data = self._common()
        data["items"] = [msgspec.to_builtins(i) for i in data["items"]]
        return to_struct(InvoiceCreate, {k: v for k, v in data.items() if v is not None or k == "client_uuid"})

    def update_input(self) -> InvoiceUpdate:
        data = self._common()
        data["items"] = [msgspec.to_builtins(i) for i in data["items"]]
        for name in ("currency", "issue_date", "due_date"):
            if data[name] is None:
                del data[name]  # left as it is
        return to_struct(InvoiceUpdate, data)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _whole(value: str, field_name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed.field(field_name, "must be a whole number of days, such as 10")
    return int(value)


def _decimal(value: str | None, field_name: str = "tax_rate") -> Decimal:
    if not value:
        return Decimal(0)
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed.field(field_name, "must be a number, such as 20 or 7.5") from None


def _date(value: str, field_name: str) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationFailed.field(field_name, "must be a real date written YYYY-MM-DD") from None


def _uuid(value: str) -> str | None:
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValidationFailed.field("client_uuid", "choose a client from the list") from None


def _row_error(row: int, message: str) -> ValidationFailed:
    missing = _MISSING.search(message)
    if missing:
        return ValidationFailed.field(f"items[{row}].{missing.group(1)}", "is required")
    text, _, path = message.partition(" - at `$.")
    name = path.rstrip("`") or "description"
    return ValidationFailed.field(f"items[{row}].{name}", friendly(text))

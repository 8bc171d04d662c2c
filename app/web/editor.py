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

from app.domain import vat
from app.domain.errors import ValidationFailed
from app.domain.invoices import quote
from app.domain.outputs import InvoiceOut, QuoteOut
from app.domain.schemas import AdjustmentInput, InvoiceCreate, InvoiceUpdate, ItemInput, friendly
from app.web.pages import to_struct

# A line's discount and an allowance's or charge's figure are one box each: "5%" is a
# percent, "25.00" an amount. A line's exemption and an adjustment's VAT and reason code
# are kept in hidden fields, so that what the API set survives an edit in the browser.
ROW_FIELDS = ("description", "quantity", "unit_price", "discount", "tax_rate", "tax_category",
              "exemption_reason", "exemption_code")  # fmt: skip
ADJ_FIELDS = ("kind", "reason", "value", "tax_category", "tax_rate", "reason_code")
# What the error summary calls each field, as the form labels it.
FIELD_LABELS = {
    "title": "Title", "client_uuid": "Client", "currency": "Currency", "issue_date": "Issue date",
    "due_date": "Due date", "tax_rate": "Tax rate", "notes": "Notes", "items": "Items", "number": "Number",
    "early_payment_discount": "Early-payment discount", "early_payment_days": "Days for the discount",
    "tax_category": "VAT category", "exemption_reason": "Exemption reason", "delivery_date": "Delivery date",
    "service_period_start": "Service period from", "service_period_end": "Service period to",
    "adjustments": "Discounts and charges", "vat_exchange_rate": "Rate for the VAT currency",
}  # fmt: skip
EARLY = ("early_payment_discount", "early_payment_days")
ROW_LABELS = {"description": "description", "quantity": "quantity", "unit_price": "unit price", "tax_rate": "tax %",
              "discount_percent": "discount", "discount_amount": "discount", "tax_category": "VAT category",
              "exemption_reason": "exemption reason", "exemption_code": "exemption code",
              "percent": "percent or amount", "amount": "percent or amount"}  # fmt: skip
# The form's box for each field of the domain's input.
BOX = {"discount_percent": "discount", "discount_amount": "discount", "percent": "value", "amount": "value",
       "exemption_reason": "tax_category", "exemption_code": "tax_category"}  # fmt: skip
MAX_ROWS = 200
MAX_ADJUSTMENTS = 20
DELIVERY = ("delivery_date", "service_period_start", "service_period_end")
VAT_CHOICES = [(c.value, f"{c.value}: {vat.NAMES[c]}") for c in vat.Category]
_INDEX = re.compile(r"^(items|adjustments)\[(\d+)\]\.?(.*)$")
_MISSING = re.compile(r"missing required field `(\w+)`")


@dataclass
class Editor:
    """What the editor shows: the fields as typed, the item rows, their prices and errors."""

    values: dict[str, str]
    rows: list[dict[str, str]]
    adjustments: list[dict[str, str]] = field(default_factory=list)
    quote: QuoteOut | None = None
    errors: dict[str, str] = field(default_factory=dict)
    # What the error summary calls each key of ``errors``: "Line 2, quantity", "Due date".
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls, currency: str, issue: dt.date, due: dt.date, client_uuid: str = "") -> Editor:
        values = {
            "title": "", "client_uuid": client_uuid, "currency": currency, "issue_date": issue.isoformat(),
            "due_date": due.isoformat(), "tax_rate": "0", "notes": "",
            "early_payment_discount": "", "early_payment_days": "", "tax_category": "S", "exemption_reason": "",
            "delivery_date": "", "service_period_start": "", "service_period_end": "", "vat_exchange_rate": "",
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
            "tax_category": invoice.tax_category,
            "exemption_reason": invoice.exemption_reason or "",
            **{name: (day.isoformat() if (day := getattr(invoice, name)) else "") for name in DELIVERY},
            "vat_exchange_rate": invoice.vat_exchange_rate or "",
        }
        rows = [
            {
                "description": i.description,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
                "discount": f"{i.discount_percent}%"
                if i.discount_percent
                else ("" if Decimal(i.discount) == 0 else i.discount),
                "tax_rate": i.tax_rate or "",
                # The invoice's own category shows as "the invoice's", so changing that changes the line.
                "tax_category": "" if i.tax_category == invoice.tax_category else i.tax_category,
                "exemption_reason": i.exemption_reason or "",
                "exemption_code": i.exemption_code or "",
            }
            for i in invoice.items
        ]
        adjustments = [
            {
                "kind": a.kind,
                "reason": a.reason or "",
                "value": f"{a.percent}%" if a.percent else a.amount,
                "tax_category": a.tax_category or "",
                "tax_rate": a.tax_rate or "",
                "reason_code": a.reason_code or "",
            }
            for a in invoice.adjustments
        ]
        editor = cls(values=values, rows=rows or [dict.fromkeys(ROW_FIELDS, "")], adjustments=adjustments)
        if invoice.exemption_code:
            editor.values["exemption_code"] = invoice.exemption_code
        editor.price()
        return editor

    @classmethod
    def read(cls, form: FormMultiDict) -> Editor:
        values = {k: _text(form.get(k)) for k in ("title", "client_uuid", "currency", "issue_date", "due_date")}
        values["tax_rate"] = _text(form.get("tax_rate"))
        values.update({name: _text(form.get(name)) for name in EARLY})
        values.update({name: _text(form.get(name)) for name in ("tax_category", "exemption_reason", "exemption_code")})
        values.update({name: _text(form.get(name)) for name in (*DELIVERY, "vat_exchange_rate")})
        values["notes"] = str(form.get("notes") or "").strip()
        rows = _rows(form, "item", ROW_FIELDS, MAX_ROWS)
        adjustments = [row for row in _rows(form, "adj", ADJ_FIELDS, MAX_ADJUSTMENTS) if _adjustment_filled(row)]
        return cls(values=values, rows=rows, adjustments=adjustments)

    # --- rows -------------------------------------------------------------------------------

    def add_row(self) -> None:
        if len(self.rows) < MAX_ROWS:
            self.rows.append(dict.fromkeys(ROW_FIELDS, ""))

    def remove_row(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            del self.rows[index]
        if not self.rows:
            self.rows.append(dict.fromkeys(ROW_FIELDS, ""))

    def add_adjustment(self) -> None:
        if len(self.adjustments) < MAX_ADJUSTMENTS:
            self.adjustments.append({**dict.fromkeys(ADJ_FIELDS, ""), "kind": "allowance"})

    def remove_adjustment(self, index: int) -> None:
        if 0 <= index < len(self.adjustments):
            del self.adjustments[index]

    def _filled(self) -> list[tuple[int, dict[str, str]]]:
        return [(i, r) for i, r in enumerate(self.rows) if any(r.values())]

    def items(self) -> list[ItemInput]:
        """The filled rows as items; a blank row is ignored."""
        items = []
        for n, (_, row) in enumerate(self._filled()):
            data: dict[str, Any] = {k: v for k, v in row.items() if v != "" or k == "description"}
            data.update(_figure(data.pop("discount", ""), "discount_percent", "discount_amount"))
            try:
                items.append(msgspec.convert(data, ItemInput, strict=False))
            except msgspec.ValidationError as error:
                raise _row_error("items", n, str(error)) from None
        return items

    def adjustment_inputs(self) -> list[AdjustmentInput]:
        made = []
        for n, row in enumerate(self.adjustments):
            data: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
            data.update(_figure(data.pop("value", ""), "percent", "amount"))
            try:
                made.append(msgspec.convert(data, AdjustmentInput, strict=False))
            except msgspec.ValidationError as error:
                raise _row_error("adjustments", n, str(error)) from None
        return made

    # --- pricing ----------------------------------------------------------------------------

    def price(self) -> None:
        """Price the filled rows; a row that cannot be priced gets its error instead."""
        try:
            items = self.items()
            self.quote = quote(
                items,
                self.values.get("currency") or "",
                _decimal(self.values.get("tax_rate")),
                self.adjustment_inputs(),
                self.values.get("tax_category") or "S",
                (self.values.get("exemption_code") or None, self.values.get("exemption_reason") or None),
            )
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
            if match and match.group(1) == "items" and int(match.group(2)) < len(filled):
                row = filled[int(match.group(2))]
                part = match.group(3)
                key = f"item_{BOX.get(part, part) or 'description'}_{row}"
                self.labels[key] = f"Line {row + 1}" + (
                    f", {ROW_LABELS.get(part, part.replace('_', ' '))}" if part else ""
                )
            elif match and int(match.group(2)) < len(self.adjustments):
                row, part = int(match.group(2)), match.group(3)
                key = f"adj_{BOX.get(part, part) or 'reason'}_{row}"
                self.labels[key] = f"Discount or charge {row + 1}" + (
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
            "adjustments": [msgspec.to_builtins(a) for a in self.adjustment_inputs()],
            "tax_category": v.get("tax_category") or "S",
            "vat_exchange_rate": _decimal(v.get("vat_exchange_rate"), "vat_exchange_rate") or None,
            "exemption_reason": v.get("exemption_reason") or None,
            "exemption_code": v.get("exemption_code") or None,
            "early_payment_discount": _decimal(v.get("early_payment_discount"), "early_payment_discount") or None,
            "early_payment_days": _whole(v.get("early_payment_days", ""), "early_payment_days"),
        }
        for name in ("issue_date", "due_date", *DELIVERY):
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


def _rows(form: FormMultiDict, prefix: str, names: tuple[str, ...], limit: int) -> list[dict[str, str]]:
    """Repeated rows of the form: ``<prefix>_<name>`` fields, one value per row."""
    columns = {f: [_text(v) for v in form.getall(f"{prefix}_{f}", [])] for f in names}
    count = min(max((len(c) for c in columns.values()), default=0), limit)
    return [{f: (columns[f][i] if i < len(columns[f]) else "") for f in names} for i in range(count)]


def _adjustment_filled(row: dict[str, str]) -> bool:
    return any(row[f] for f in ("reason", "value", "reason_code"))


def _figure(text: str, percent: str, amount: str) -> dict[str, str]:
    """One box read as a percent ("5%", "5 %") or an amount ("25.00")."""
    text = text.replace(" ", "").replace(",", ".")
    if not text:
        return {}
    if text.endswith("%"):
        return {percent: text[:-1]}
    return {amount: text}


def _row_error(rows: str, row: int, message: str) -> ValidationFailed:
    missing = _MISSING.search(message)
    if missing:
        return ValidationFailed.field(f"{rows}[{row}].{missing.group(1)}", "is required")
    text, _, path = message.partition(" - at `$.")
    name = path.rstrip("`") or ("description" if rows == "items" else "reason")
    return ValidationFailed.field(f"{rows}[{row}].{name}", friendly(text))

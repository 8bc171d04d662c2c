"""What the law needs of an invoice before it is issued (EU VAT directive art. 226, DE §14
UStG), checked at finalize so that nothing is numbered that could not stand: the VAT IDs
the invoice's VAT categories need, each checked by its country's rules."""

from __future__ import annotations

from app.db.models import Invoice, Workspace
from app.domain import vat
from app.domain.errors import ValidationFailed
from app.domain.identifiers import vat_id_problem


def categories(invoice: Invoice) -> set[vat.Category]:
    """The VAT categories the invoice's lines, allowances and charges are taxed at."""
    if invoice.vat_breakdown is not None:
        return {vat.Category(g["tax_category"]) for g in invoice.vat_breakdown}
    return {vat.Category(line.tax_category or invoice.tax_category) for line in invoice.items}


def _needed(name: str, categories: set[vat.Category]) -> str:
    named = " and ".join(f"{c.value} ({vat.NAMES[c].split(' (')[0]})" for c in vat.Category if c in categories)
    return f"{name} is required on an invoice at category {named}"


def check_before_issue(invoice: Invoice, workspace: Workspace) -> None:
    """Refuse, naming every missing or malformed field and why the law needs it."""
    used = categories(invoice)
    errors: list[dict[str, str]] = []
    client_needs = used & vat.NEEDS_CLIENT_VAT_ID
    if client_needs:
        client_id = invoice.client.tax_number.strip() if invoice.client else ""
        if invoice.client is None:
            errors.append({"field": "client_uuid", "message": _needed("a client with a VAT ID", client_needs)})
        elif not client_id:
            errors.append({"field": "client.tax_number", "message": _needed("the client's VAT ID", client_needs)})
        elif problem := vat_id_problem(client_id):
            errors.append({"field": "client.tax_number", "message": problem})
    seller_needs = used & vat.NEEDS_SELLER_VAT_ID
    if seller_needs:
        if not workspace.tax_id.strip():
            errors.append(
                {"field": "workspace.tax_id", "message": _needed("your own VAT ID (settings: tax id)", seller_needs)}
            )
        elif problem := vat_id_problem(workspace.tax_id):
            errors.append({"field": "workspace.tax_id", "message": problem})
    if errors:
        raise ValidationFailed(errors, "the invoice cannot be issued yet: " + "; ".join(
            f"{e['field']}: {e['message']}" for e in errors))  # fmt: skip

"""What the law needs of an invoice before it is issued (EU VAT directive art. 226, DE §14
UStG), checked at finalize so that nothing is numbered that could not stand: the VAT IDs
the invoice's VAT categories need, each checked by its country's rules; and, for a business
established in the EU, the parties' names and addresses and the seller's VAT ID or tax
number. (The date of supply is stated by finalize itself.)"""

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


# EU member states by ISO 3166 (Greece is EL in VAT IDs, GR here).
EU = frozenset({"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
                "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"})  # fmt: skip
WHY = "the EU VAT directive (art. 226) has every invoice state it"


def _eu_requirements(invoice: Invoice, workspace: Workspace) -> list[tuple[str, str]]:
    """What a business established in the EU must state on every invoice."""
    if workspace.country not in EU:
        return []
    errors = []
    if not workspace.legal_name.strip():
        errors.append(("workspace.legal_name", f"your full legal name is missing: {WHY}"))
    if not workspace.address.strip():
        errors.append(("workspace.address", f"your address is missing: {WHY}"))
    tax_id = workspace.tax_id.strip()
    if not tax_id:
        errors.append(("workspace.tax_id", f"your VAT ID or tax number is missing: {WHY}"))
    elif tax_id[:2].isalpha() and (problem := vat_id_problem(tax_id)):
        errors.append(("workspace.tax_id", problem))
    client = invoice.client
    if client is None:
        return [*errors, ("client_uuid", f"the invoice names no client: {WHY}, with their address")]
    for field, what in (("address_line1", "street"), ("city", "city"), ("country", "country")):
        if not getattr(client, field).strip():
            errors.append((f"client.{field}", f"the client's {what} is missing: {WHY}"))
    return errors


def _vat_ids(invoice: Invoice, workspace: Workspace) -> list[tuple[str, str]]:
    """The VAT IDs the invoice's categories need: the client's (reverse charge,
    intra-community supply) and the seller's (intra-community supply)."""
    used = categories(invoice)
    errors = []
    client_needs = used & vat.NEEDS_CLIENT_VAT_ID
    if client_needs:
        client_id = invoice.client.tax_number.strip() if invoice.client else ""
        if invoice.client is None:
            errors.append(("client_uuid", _needed("a client with a VAT ID", client_needs)))
        elif not client_id:
            errors.append(("client.tax_number", _needed("the client's VAT ID", client_needs)))
        elif problem := vat_id_problem(client_id):
            errors.append(("client.tax_number", problem))
    seller_needs = used & vat.NEEDS_SELLER_VAT_ID
    if seller_needs:
        if not workspace.tax_id.strip():
            errors.append(("workspace.tax_id", _needed("your own VAT ID (settings: tax id)", seller_needs)))
        elif problem := vat_id_problem(workspace.tax_id):
            errors.append(("workspace.tax_id", problem))
    return errors


def _vat_currency(invoice: Invoice, workspace: Workspace) -> list[tuple[str, str]]:
    """The rate an invoice in another currency than the VAT accounting one is issued at."""
    accounting = workspace.vat_currency
    if not accounting or accounting == invoice.currency or invoice.vat_exchange_rate is not None:
        return []
    why = f"the invoice is in {invoice.currency} and your VAT is accounted in {accounting}"
    rate = (
        f"give the rate it is issued at ({accounting} per 1 {invoice.currency}): its VAT is stated in {accounting} too"
    )
    return [("vat_exchange_rate", f"{why}: {rate}")]


def check_before_issue(invoice: Invoice, workspace: Workspace) -> None:
    """Refuse, naming every missing or malformed field (each once) and why the law needs it."""
    errors: dict[str, str] = {}
    checks = [*_eu_requirements(invoice, workspace), *_vat_ids(invoice, workspace), *_vat_currency(invoice, workspace)]
    for field, message in checks:
        errors.setdefault(field, message)
    if errors:
        listed = [{"field": field, "message": message} for field, message in errors.items()]
        raise ValidationFailed(listed, "the invoice cannot be issued yet: " + "; ".join(
            f"{field}: {message}" for field, message in errors.items()))  # fmt: skip

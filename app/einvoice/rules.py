"""Billcraft's own checks of the rules no dependency ships: XRechnung's BR-DE rules and the
Peppol BIS rules the outputs need, run on the semantic model so that each names the
Billcraft field to fix. They say what the official rule sets say (the tests hold every output
to those, ``../shared/einvoicing``); where an official file is at hand
(``BILLCRAFT_EINVOICE_RULES``) it runs too. Also where a finding of the official rules is
fixed: its field, read from the rule or from where in the XML it points."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from app.domain.einvoice_formats import EinvoiceFormat
from app.einvoice.checker import Finding
from app.einvoice.model import Document

XRECHNUNG = {EinvoiceFormat.XRECHNUNG_UBL, EinvoiceFormat.XRECHNUNG_CII}
# A seller identified for VAT (BR-DE-16) when the invoice has any of these categories.
VAT_CATEGORIES = {"S", "Z", "E", "AE", "K", "G", "L", "M"}
ADDRESS_HINT = 'its last line "postal code city", e.g. "10115 Berlin"'

Rule = Callable[[Document], Finding | None]


def _need(rule: str, field: str, message: str, ok: bool) -> Finding | None:
    return None if ok else Finding(rule, message, field=field, source="billcraft")


def _core(doc: Document) -> list[Finding | None]:
    """EN 16931 itself: what every format needs of the parties."""
    seller, buyer = doc.seller, doc.buyer
    return [
        _need("BR-7", "client", "the invoice needs a client (the buyer's name)", bool(buyer.name)),
        _need("BR-9", "settings.country", "the seller's country code is required", bool(seller.address.country)),
        _need("BR-11", "client.country", "the client's country code is required", bool(buyer.address.country)),
    ]


def _two_decimals(doc: Document) -> list[Finding | None]:
    """BR-DEC-23: a line's net amount has at most two decimals, which a currency of three
    (KWD, BHD, ...) meets only when its third is a zero."""
    fine = [line.id for line in doc.lines if line.net_amount != line.net_amount.quantize(Decimal("0.01"))]
    return [
        _need("BR-DEC-23", "items",
              f"EN 16931 writes amounts with at most two decimals: in {doc.currency}, line {', '.join(fine)} "
              "comes to a finer amount; price it in whole hundredths", not fine),
    ]  # fmt: skip


def _xrechnung(doc: Document) -> list[Finding | None]:
    seller, buyer = doc.seller, doc.buyer
    categories = {g.category for g in doc.vat_groups}
    return [
        _need("BR-DE-15", "client.buyer_reference",
              "XRechnung needs the buyer reference (BT-10): the client's Leitweg-ID or the reference they gave",
              bool(doc.buyer_reference)),
        _need("BR-DE-3", "settings.address", f"XRechnung needs the seller's city: {ADDRESS_HINT}",
              bool(seller.address.city)),
        _need("BR-DE-4", "settings.address", f"XRechnung needs the seller's postal code: {ADDRESS_HINT}",
              bool(seller.address.postal_code)),
        _need("BR-DE-6", "settings.phone", "XRechnung needs the seller's contact telephone (BT-42)",
              bool(seller.contact_phone)),
        _need("BR-DE-7", "settings.email", "XRechnung needs the seller's contact email address (BT-43)",
              bool(seller.contact_email)),
        _need("BR-DE-8", "client.city", "XRechnung needs the client's city", bool(buyer.address.city)),
        _need("BR-DE-9", "client.postal_code", "XRechnung needs the client's postal code",
              bool(buyer.address.postal_code)),
        _need("BR-DE-16", "settings.tax_id",
              "XRechnung needs the seller's VAT ID or tax number for these VAT categories",
              not (categories & VAT_CATEGORIES) or bool(seller.vat_id or seller.tax_number)),
        _need("PEPPOL-EN16931-R020", "settings.electronic_address",
              "the seller's electronic address (BT-34) is required: a Peppol id in the settings, or their email",
              seller.endpoint is not None),
        _need("PEPPOL-EN16931-R010", "client.electronic_address",
              "the client's electronic address (BT-49) is required: their Peppol id, or an email address",
              buyer.endpoint is not None),
    ]  # fmt: skip


def _peppol(doc: Document) -> list[Finding | None]:
    return [
        _need("PEPPOL-EN16931-R003", "client.buyer_reference",
              "Peppol needs a buyer reference (BT-10) or an order reference: give the client's buyer reference",
              bool(doc.buyer_reference)),
        _need("PEPPOL-EN16931-R020", "settings.electronic_address",
              "Peppol needs the seller's Peppol participant id (BT-34) in the settings",
              doc.seller.endpoint is not None),
        _need("PEPPOL-EN16931-R010", "client.electronic_address",
              "Peppol needs the client's Peppol participant id (BT-49)", doc.buyer.endpoint is not None),
    ]  # fmt: skip


def own(doc: Document, fmt: EinvoiceFormat) -> list[Finding]:
    found = _core(doc) + _two_decimals(doc)
    if fmt in XRECHNUNG:
        found += _xrechnung(doc)
    if fmt is EinvoiceFormat.PEPPOL:
        found += _peppol(doc)
    return [f for f in found if f is not None]


# Where a finding of the official rules is fixed, by rule, then by where it points.
FIELD_OF_RULE = {
    "BR-CO-25": "due_date",
    "BR-S-05": "tax_rate",  # standard rated at 0 %: a zero-rated line is category Z
    "BR-S-08": "tax_rate",
    "BR-DE-15": "client.buyer_reference",
    "BR-DE-19": "settings.iban",
    "BR-DE-23-a": "settings.iban",
    "BR-DE-6": "settings.phone",
    "BR-DE-7": "settings.email",
    "BR-DE-3": "settings.address",
    "BR-DE-4": "settings.address",
    "BR-DE-8": "client.city",
    "BR-DE-9": "client.postal_code",
    "BR-DE-16": "settings.tax_id",
    "PEPPOL-EN16931-R010": "client.electronic_address",
    "PEPPOL-EN16931-R020": "settings.electronic_address",
    "PEPPOL-EN16931-R003": "client.buyer_reference",
}
FIELD_OF_PLACE = [
    ("AccountingSupplierParty", "settings"),
    ("SellerTradeParty", "settings"),
    ("AccountingCustomerParty", "client"),
    ("BuyerTradeParty", "client"),
    ("InvoiceLine", "items"),
    ("CreditNoteLine", "lines"),
    ("IncludedSupplyChainTradeLineItem", "items"),
    ("AllowanceCharge", "adjustments"),
    ("PaymentMeans", "settings.iban"),
    ("PaymentTerms", "early_payment_discount"),
    ("TaxTotal", "vat_breakdown"),
    ("ApplicableTradeTax", "vat_breakdown"),
]


def field_of(finding: Finding) -> str:
    if finding.field:
        return finding.field
    if finding.rule in FIELD_OF_RULE:
        return FIELD_OF_RULE[finding.rule]
    if finding.rule.startswith("BR-DEC"):
        return "items"  # an amount with more than two decimals (a currency such as KWD)
    for place, field in FIELD_OF_PLACE:
        if place in (finding.location or ""):
            return field
    return "invoice"

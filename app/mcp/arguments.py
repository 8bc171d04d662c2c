"""The arguments of the MCP tools, each described once: the JSON Schema of every property a
tool may take (``P``), written to load in every major MCP client (plain types, ``items`` on
every array, enums only for ``action`` and ``status``), and the groups of them tools share."""

from __future__ import annotations

from typing import Any

from app.domain.deliveries import DeliveryStatus
from app.domain.lifecycle import Status
from app.domain.schemas import PAGE_MAX, PER_PAGE_MAX
from app.mcp import operations as op

Schema = dict[str, Any]


def text_arg(description: str) -> Schema:
    return {"type": "string", "description": description}


def _n(description: str) -> Schema:
    return {"type": "number", "description": description}


def _i(description: str, minimum: int, maximum: int) -> Schema:
    return {"type": "integer", "description": description, "minimum": minimum, "maximum": maximum}


STATUSES = [s.value for s in Status]
CATEGORY_HELP = (
    "VAT category: S standard (default), Z zero rated, E exempt (give exemption_reason), AE reverse charge "
    "(client's VAT ID needed), K intra-community supply, G export outside the EU, O not subject to VAT"
)


def _category(description: str) -> Schema:
    return text_arg(description)  # a plain string: enums only for action and status (DESIGN section 4)


EXEMPTION_REASON = text_arg("Why the lines are exempt, in words, e.g. 'Exempt under Article 132(1)(i)'")
EXEMPTION_CODE = text_arg("Exemption as a VATEX code, e.g. VATEX-EU-132-1I")
DELIVERY_STATUSES = [s.value for s in DeliveryStatus]
P: dict[str, Schema] = {
    "company_slug": text_arg("Workspace identifier (company_slug, from the workspace tool)"),
    "uuid": text_arg("Invoice UUID (from a list result)"),
    "client_uuid": text_arg("Client UUID (from the client tool or list_clients)"),
    "title": text_arg("Invoice title or reference name, e.g. 'Website redesign'"),
    "currency": text_arg("ISO 4217 code such as USD, EUR, BRL, JPY (default: the workspace currency)"),
    "number": text_arg("Explicit invoice number; unique in the workspace (default: assigned at finalize)"),
    "issue_date": text_arg("Issue date, YYYY-MM-DD (default: today in the workspace's time zone)"),
    "due_date": text_arg("Payment deadline, YYYY-MM-DD (default: issue date + the workspace's payment terms)"),
    "notes": text_arg("Notes or payment instructions shown on the invoice"),
    "tax_rate": _n("Tax percentage applied to each line, e.g. 10 for 10%"),
    "early_payment_discount": _n(
        "Early-payment discount (Skonto) in percent, e.g. 2 for '2% if paid within 10 days'; 0 removes it"
    ),
    "early_payment_days": _i("Days from the issue date the early-payment discount holds (default 10)", 1, 365),
    "items": {
        "type": "array",
        "description": "Line items; on update the list replaces all items. Totals are computed by the server.",
        "maxItems": 200,
        "items": {
            "type": "object",
            "properties": {
                "description": text_arg("What was delivered, e.g. 'Frontend Development - Phase 1'"),
                "quantity": _n("Quantity or hours, e.g. 40"),
                "unit_price": _n("Price per unit in the invoice currency, e.g. 150.00"),
                "tax_rate": _n("Tax percentage for this line only, overriding the invoice's"),
                "discount_percent": _n("Discount off this line in percent, e.g. 10"),
                "discount_amount": _n("Discount off this line as an amount in the invoice currency"),
                "tax_category": _category(f"This line's {CATEGORY_HELP[0].lower()}{CATEGORY_HELP[1:]}"),
                "exemption_reason": EXEMPTION_REASON,
                "exemption_code": EXEMPTION_CODE,
            },
            "required": ["description", "quantity", "unit_price"],
        },
    },
    "vat_exchange_rate": _n(
        "When your VAT is accounted in another currency: its units per 1 unit of the invoice's, e.g. 0.9215"
    ),
    "vat_currency": text_arg("The currency your VAT is accounted in, e.g. EUR (empty: none stated apart)"),
    "delivery_date": text_arg("When the work was delivered, YYYY-MM-DD (default at finalize: the issue date)"),
    "service_period_start": text_arg("First day of the service period, YYYY-MM-DD (instead of a delivery date)"),
    "service_period_end": text_arg("Last day of the service period, YYYY-MM-DD"),
    "tax_category": _category(f"The lines' default {CATEGORY_HELP[0].lower()}{CATEGORY_HELP[1:]}"),
    "exemption_reason": EXEMPTION_REASON,
    "exemption_code": EXEMPTION_CODE,
    "adjustments": {
        "type": "array",
        "description": "Invoice-level allowances (discounts) and charges (fees); on update the list replaces them all",
        "maxItems": 20,
        "items": {
            "type": "object",
            "properties": {
                "kind": text_arg("allowance (a discount) or charge (a fee)"),
                "reason": text_arg("Why, e.g. 'Loyalty discount' or 'Shipping'"),
                "reason_code": text_arg(
                    "Reason code: UNCL 5189 for an allowance (95 discount), UNCL 7161 for a charge"
                ),
                "percent": _n("A percent of the net; without tax_category and tax_rate, of each VAT group's net"),
                "amount": _n("A fixed amount in the invoice currency (instead of a percent)"),
                "tax_category": _category("VAT category it is taxed at, e.g. S (default: the lines')"),
                "tax_rate": _n("VAT rate it is taxed at, for category S"),
            },
            "required": ["kind"],
        },
    },
    "invoice_uuid": text_arg("Invoice UUID (from a list result)"),
    "lines": {
        "type": "array",
        "description": "The invoice's lines to credit, numbered from 1; quantity defaults to all of the line",
        "maxItems": 200,
        "items": {
            "type": "object",
            "properties": {
                "line": {
                    "type": "integer",
                    "description": "Line number on the invoice, from 1",
                    "minimum": 1,
                    "maximum": 200,
                },
                "quantity": _n("How much of the line to credit, e.g. 2 of 10 hours"),
            },
            "required": ["line"],
        },
    },
    "status": {"type": "string", "enum": STATUSES, "description": "Filter by status"},
    "delivery_status": {
        "type": "string",
        "enum": DELIVERY_STATUSES,
        "description": "Only invoices with an email in this state, e.g. bounced",
    },
    "date_from": text_arg("Issued on or after, YYYY-MM-DD"),
    "date_to": text_arg("Issued on or before, YYYY-MM-DD"),
    "search": text_arg("Text to look for in titles and numbers (clients: names and emails)"),
    "page": _i("Page number, from 1", 1, PAGE_MAX),
    "per_page": _i("Results per page", 1, PER_PAGE_MAX),
    "to": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Recipient emails (default: the client's email)",
    },
    "message": text_arg("A personal message for the email"),
    "notify": {
        "type": "boolean",
        "description": "false: record it as sent without emailing anyone (it went out another way); default true",
    },
    "amount": _n("Amount received (default: the whole balance due); partial payments are allowed"),
    "payment_date": text_arg("Date the payment was received, YYYY-MM-DD (default: today)"),
    "payment_method": text_arg("How it was paid, e.g. 'Bank transfer', 'Credit card', 'Wire transfer'"),
    "reason": text_arg("Why it is cancelled; kept in the invoice history"),
    "idempotency_key": text_arg(
        "Any unique string for this request: a retry with the same key returns the first result instead of acting twice"
    ),
    "dry_run": {"type": "boolean", "description": "true: return what would happen, change nothing"},
    "embed": {"type": "boolean", "description": "true: also return the file itself, base64 (large); default a link"},
    # clients
    "name": text_arg("Client name"),
    "email": text_arg("Billing email address"),
    "phone": text_arg("Phone number"),
    "address_line1": text_arg("Street address"),
    "address_line2": text_arg("Address, second line"),
    "city": text_arg("City"),
    "postal_code": text_arg("Postal code"),
    "region": text_arg("State or region"),
    "country": text_arg("ISO 3166 two-letter country code, e.g. US"),
    "tax_number": text_arg("VAT or tax number"),
    "language": text_arg(
        "Language of the client's invoices and emails: en, de, fr, es, it, nl or pt_BR (empty: the workspace's)"
    ),
    "website": text_arg("Website"),
    # business settings
    "default_currency": text_arg("Default ISO 4217 currency for new invoices"),
    "timezone": text_arg("IANA time zone used for 'today', e.g. Europe/Paris"),
    "locale": text_arg("Locale for formatting, e.g. en_US"),
    "legal_name": text_arg("Legal business name shown on invoices"),
    "address": text_arg("Business address shown on invoices"),
    "tax_id": text_arg("Your tax id shown on invoices"),
    "iban": text_arg("Your IBAN, where clients pay, e.g. DE89 3704 0044 0532 0130 00 (checked)"),
    "bic": text_arg("Your bank's BIC, e.g. COBADEFFXXX"),
    "buyer_reference": text_arg("The reference the client's invoices must carry, e.g. a Leitweg-ID (checked)"),
    "electronic_address": text_arg(
        "A Peppol participant id, scheme:identifier, e.g. 0088:4012345000009: the client's on a client, "
        "yours in the settings (checked)"
    ),
    "content": text_arg("The e-invoice: its XML, or a Factur-X PDF in base64 (then encoding base64)"),
    "encoding": text_arg("How content is given: empty for the XML text, base64 for a PDF's bytes"),
    "filename": text_arg("The file's name, kept with it"),
    "format": text_arg(
        "The e-invoice format: xrechnung-ubl, xrechnung-cii, facturx (a PDF with the XML inside) or peppol; "
        "the client's format when not given"
    ),
    "einvoice_format": text_arg(
        "The e-invoice the client's invoices carry and are checked against before they are issued: "
        "xrechnung-ubl, xrechnung-cii, facturx, peppol, or empty for the PDF alone"
    ),
    "payment_instructions": text_arg("Payment instructions printed on every invoice"),
    "number_pattern": text_arg("Invoice number pattern, e.g. INV-{YYYY}-{SEQ:4}"),
    "payment_terms_days": _i("Default days between issue and due date", 0, 365),
    # members
    "role": text_arg(
        "Role in the workspace: owner, admin, member (default) or viewer; you can grant up to your own role"
    ),
    "user_uuid": text_arg("The member's user_uuid (from list_members); your own to leave the workspace"),
}
CLIENT_PROPS = [*op.CLIENT_FIELDS]
SETTINGS_PROPS = [f for f in op.SETTINGS_FIELDS if f != "name"]
MUTATION = ["idempotency_key", "dry_run"]

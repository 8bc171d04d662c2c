"""Reading an e-invoice a supplier sent: an XML (UBL 2.1 Invoice or CreditNote, UN/CEFACT
CII) or a Factur-X / ZUGFeRD PDF (its embedded XML), read into the business terms a person
looks at (parties, dates, lines, VAT breakdown, totals, payment account) and its format
named by its specification identifier. Nothing in the file is trusted: the parser resolves
no entities and fetches nothing, and a file that is not an e-invoice is refused with why."""

from __future__ import annotations

import io
from typing import Any

from lxml import etree
from msgspec import Struct

from app.domain.errors import ValidationFailed
from app.einvoice import cii, ubl

MAX_BYTES = 5 * 1024 * 1024
PDF_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "ZUGFeRD-invoice.xml")


class ReadParty(Struct):
    name: str | None
    vat_id: str | None
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    electronic_address: str | None


class ReadLine(Struct):
    id: str | None
    name: str | None
    quantity: str | None
    unit_code: str | None
    price: str | None
    net_amount: str | None
    vat_category: str | None
    vat_rate: str | None


class ReadVatGroup(Struct):
    category: str | None
    rate: str | None
    taxable: str | None
    tax: str | None
    exemption_reason: str | None


class ReadInvoice(Struct):
    """What an e-invoice says, as it says it (amounts as written, in its currency)."""

    syntax: str  # UBL or CII
    document: str  # invoice or credit_note
    specification: str | None  # BT-24
    format: str  # xrechnung, peppol, facturx or en16931, from BT-24
    number: str | None
    type_code: str | None
    issue_date: str | None
    due_date: str | None
    currency: str | None
    buyer_reference: str | None
    seller: ReadParty
    buyer: ReadParty
    lines: list[ReadLine]
    vat_breakdown: list[ReadVatGroup]
    line_total: str | None
    allowance_total: str | None
    charge_total: str | None
    tax_exclusive: str | None
    tax_total: str | None
    total: str | None
    payable: str | None
    iban: str | None
    preceding_invoice: str | None
    notes: list[str]


def family_of(specification: str | None, syntax: str) -> str:
    text = specification or ""
    if "xeinkauf.de:kosit" in text:
        return "xrechnung"
    if "peppol.eu:2017:poacc:billing" in text and syntax == "UBL":
        return "peppol"
    return "facturx" if syntax == "CII" else "en16931"


def xml_of(data: bytes) -> bytes:
    """The invoice XML of an upload: the file itself, or the one a Factur-X PDF carries."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed.field("file", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if data.lstrip()[:5] == b"%PDF-":
        from pypdf import PdfReader

        try:
            reader = PdfReader(io.BytesIO(data))
            attachments = reader.attachments
        except Exception:  # a broken PDF: whatever pypdf raises
            raise ValidationFailed.field("file", "the PDF cannot be read") from None
        for name in PDF_NAMES:
            if name in attachments:
                xml = bytes(attachments[name][0])
                if len(xml) > MAX_BYTES:
                    raise ValidationFailed.field("file", "the e-invoice inside the PDF is larger than 5 MB")
                return xml
        raise ValidationFailed.field(
            "file", "the PDF carries no e-invoice (no factur-x.xml, zugferd-invoice.xml or xrechnung.xml inside)"
        )
    return data


def _parse(xml: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise ValidationFailed.field("file", f"not an XML e-invoice: {error}") from None
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # (not in lxml-stubs)
        # No e-invoice has one; a DTD could name entities that another parser would fetch.
        raise ValidationFailed.field("file", "an e-invoice has no DOCTYPE: this file declares one")
    return root


def read(data: bytes) -> tuple[ReadInvoice, bytes]:
    """The e-invoice in ``data`` and its XML, written again from the parsed tree (what the
    checks read is what was parsed here, with nothing left to resolve)."""
    root = _parse(xml_of(data))
    xml = bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    name = etree.QName(root)
    if name.namespace in (ubl.NAMESPACES["inv"], ubl.NAMESPACES["cn"]):
        return _read_ubl(root, name.localname == "CreditNote"), xml
    if name.namespace == cii.NAMESPACES["rsm"] and name.localname == "CrossIndustryInvoice":
        return _read_cii(root), xml
    raise ValidationFailed.field(
        "file", f"a {name.localname} is not an e-invoice Billcraft reads: UBL 2.1 Invoice or CreditNote, or CII"
    )


class _Reader:
    def __init__(self, root: Any, namespaces: dict[str, str]) -> None:
        self.root, self.ns = root, namespaces

    def text(self, path: str, node: Any = None) -> str | None:
        found = (self.root if node is None else node).find(path, self.ns)
        if found is None or found.text is None:
            return None
        return str(found.text).strip() or None

    def all(self, path: str, node: Any = None) -> list[Any]:
        return list((self.root if node is None else node).iterfind(path, self.ns))


def _read_ubl(root: Any, credit: bool) -> ReadInvoice:
    r = _Reader(root, ubl.NAMESPACES)

    def party(path: str) -> ReadParty:
        node = root.find(f"{path}/cac:Party", r.ns)
        if node is None:
            return ReadParty(None, None, None, None, None, None, None)
        endpoint = node.find("cbc:EndpointID", r.ns)
        return ReadParty(
            name=r.text("cac:PartyLegalEntity/cbc:RegistrationName", node) or r.text("cac:PartyName/cbc:Name", node),
            vat_id=r.text("cac:PartyTaxScheme/cbc:CompanyID", node),
            street=r.text("cac:PostalAddress/cbc:StreetName", node),
            city=r.text("cac:PostalAddress/cbc:CityName", node),
            postal_code=r.text("cac:PostalAddress/cbc:PostalZone", node),
            country=r.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode", node),
            electronic_address=f"{endpoint.get('schemeID')}:{endpoint.text}" if endpoint is not None else None,
        )

    line_tag, quantity_tag = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity") if credit else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    lines = []
    for node in r.all(line_tag):
        quantity = node.find(quantity_tag, r.ns)
        lines.append(
            ReadLine(
                id=r.text("cbc:ID", node),
                name=r.text("cac:Item/cbc:Name", node),
                quantity=quantity.text if quantity is not None else None,
                unit_code=quantity.get("unitCode") if quantity is not None else None,
                price=r.text("cac:Price/cbc:PriceAmount", node),
                net_amount=r.text("cbc:LineExtensionAmount", node),
                vat_category=r.text("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", node),
                vat_rate=r.text("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", node),
            )
        )
    currency = r.text("cbc:DocumentCurrencyCode")
    groups, tax_total = [], None
    for total in r.all("cac:TaxTotal"):
        amount = total.find("cbc:TaxAmount", r.ns)
        if amount is not None and (currency is None or amount.get("currencyID") == currency):
            tax_total = amount.text
        for sub in total.iterfind("cac:TaxSubtotal", r.ns):
            groups.append(
                ReadVatGroup(
                    category=r.text("cac:TaxCategory/cbc:ID", sub),
                    rate=r.text("cac:TaxCategory/cbc:Percent", sub),
                    taxable=r.text("cbc:TaxableAmount", sub),
                    tax=r.text("cbc:TaxAmount", sub),
                    exemption_reason=r.text("cac:TaxCategory/cbc:TaxExemptionReason", sub),
                )
            )
    specification = r.text("cbc:CustomizationID")
    money = "cac:LegalMonetaryTotal/cbc:"
    return ReadInvoice(
        syntax="UBL",
        document="credit_note" if credit else "invoice",
        specification=specification,
        format=family_of(specification, "UBL"),
        number=r.text("cbc:ID"),
        type_code=r.text("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode"),
        issue_date=r.text("cbc:IssueDate"),
        due_date=r.text("cbc:DueDate") or r.text("cac:PaymentMeans/cbc:PaymentDueDate"),
        currency=currency,
        buyer_reference=r.text("cbc:BuyerReference"),
        seller=party("cac:AccountingSupplierParty"),
        buyer=party("cac:AccountingCustomerParty"),
        lines=lines,
        vat_breakdown=groups,
        line_total=r.text(money + "LineExtensionAmount"),
        allowance_total=r.text(money + "AllowanceTotalAmount"),
        charge_total=r.text(money + "ChargeTotalAmount"),
        tax_exclusive=r.text(money + "TaxExclusiveAmount"),
        tax_total=tax_total,
        total=r.text(money + "TaxInclusiveAmount"),
        payable=r.text(money + "PayableAmount"),
        iban=r.text("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
        preceding_invoice=r.text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        notes=[str(n.text).strip() for n in r.all("cbc:Note") if n.text and n.text.strip()],
    )


def _read_cii(root: Any) -> ReadInvoice:
    r = _Reader(root, cii.NAMESPACES)
    transaction = "rsm:SupplyChainTradeTransaction/"
    agreement = transaction + "ram:ApplicableHeaderTradeAgreement/"
    settlement = transaction + "ram:ApplicableHeaderTradeSettlement/"

    def party(path: str) -> ReadParty:
        node = root.find(agreement + path, r.ns)
        if node is None:
            return ReadParty(None, None, None, None, None, None, None)
        endpoint = node.find("ram:URIUniversalCommunication/ram:URIID", r.ns)
        vat = [t for t in node.iterfind("ram:SpecifiedTaxRegistration/ram:ID", r.ns) if t.get("schemeID") == "VA"]
        return ReadParty(
            name=r.text("ram:Name", node),
            vat_id=vat[0].text if vat else None,
            street=r.text("ram:PostalTradeAddress/ram:LineOne", node),
            city=r.text("ram:PostalTradeAddress/ram:CityName", node),
            postal_code=r.text("ram:PostalTradeAddress/ram:PostcodeCode", node),
            country=r.text("ram:PostalTradeAddress/ram:CountryID", node),
            electronic_address=f"{endpoint.get('schemeID')}:{endpoint.text}" if endpoint is not None else None,
        )

    lines = []
    for node in r.all(transaction + "ram:IncludedSupplyChainTradeLineItem"):
        quantity = node.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", r.ns)
        tax = "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/"
        lines.append(
            ReadLine(
                id=r.text("ram:AssociatedDocumentLineDocument/ram:LineID", node),
                name=r.text("ram:SpecifiedTradeProduct/ram:Name", node),
                quantity=quantity.text if quantity is not None else None,
                unit_code=quantity.get("unitCode") if quantity is not None else None,
                price=r.text("ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount", node),
                net_amount=r.text(
                    "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
                    "ram:LineTotalAmount",
                    node,
                ),
                vat_category=r.text(tax + "ram:CategoryCode", node),
                vat_rate=r.text(tax + "ram:RateApplicablePercent", node),
            )
        )
    groups = [
        ReadVatGroup(
            category=r.text("ram:CategoryCode", node),
            rate=r.text("ram:RateApplicablePercent", node),
            taxable=r.text("ram:BasisAmount", node),
            tax=r.text("ram:CalculatedAmount", node),
            exemption_reason=r.text("ram:ExemptionReason", node),
        )
        for node in r.all(settlement + "ram:ApplicableTradeTax")
    ]
    currency = r.text(settlement + "ram:InvoiceCurrencyCode")
    summation = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    tax_totals = r.all(summation + "TaxTotalAmount")
    tax_total = next((t.text for t in tax_totals if t.get("currencyID") in (None, currency)), None)
    specification = r.text("rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    type_code = r.text("rsm:ExchangedDocument/ram:TypeCode")
    return ReadInvoice(
        syntax="CII",
        document="credit_note" if type_code in ("381", "396", "81", "83", "532") else "invoice",
        specification=specification,
        format=family_of(specification, "CII"),
        number=r.text("rsm:ExchangedDocument/ram:ID"),
        type_code=type_code,
        issue_date=_cii_day(r.text("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")),
        due_date=_cii_day(r.text(settlement + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString")),
        currency=currency,
        buyer_reference=r.text(agreement + "ram:BuyerReference"),
        seller=party("ram:SellerTradeParty"),
        buyer=party("ram:BuyerTradeParty"),
        lines=lines,
        vat_breakdown=groups,
        line_total=r.text(summation + "LineTotalAmount"),
        allowance_total=r.text(summation + "AllowanceTotalAmount"),
        charge_total=r.text(summation + "ChargeTotalAmount"),
        tax_exclusive=r.text(summation + "TaxBasisTotalAmount"),
        tax_total=tax_total,
        total=r.text(summation + "GrandTotalAmount"),
        payable=r.text(summation + "DuePayableAmount"),
        iban=r.text(
            settlement + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"
        ),
        preceding_invoice=r.text(settlement + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
        notes=[
            str(n.text).strip()
            for n in r.all("rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
            if n.text and n.text.strip()
        ],
    )


def _cii_day(text: str | None) -> str | None:
    if text and len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text

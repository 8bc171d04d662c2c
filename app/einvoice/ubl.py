"""The semantic model written as an OASIS UBL 2.1 Invoice or CreditNote, in the element
order the schema demands: XRechnung 3.0 (UBL) and Peppol BIS Billing 3.0."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from app.einvoice.model import Address, AllowanceCharge, Document, Party
from app.einvoice.xml import Writer, amount, iso_date, plain, rate, serialize

NAMESPACES = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


class _Ubl:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.w = Writer(NAMESPACES)

    def money(self, parent: etree._Element, name: str, value: Decimal, currency: str | None = None) -> None:
        self.w.add(parent, name, amount(value, self.doc.minor_digits), currencyID=currency or self.doc.currency)

    def address(self, element: etree._Element, a: Address) -> None:
        w = self.w
        w.text(element, "cbc:StreetName", a.street)
        w.text(element, "cbc:AdditionalStreetName", a.additional)
        w.text(element, "cbc:CityName", a.city)
        w.text(element, "cbc:PostalZone", a.postal_code)
        w.text(element, "cbc:CountrySubentity", a.region)
        if a.country:
            w.add(w.add(element, "cac:Country"), "cbc:IdentificationCode", a.country)

    def party(self, parent: etree._Element, name: str, p: Party) -> None:
        w = self.w
        party = w.add(w.add(parent, name), "cac:Party")
        if p.endpoint:
            w.add(party, "cbc:EndpointID", p.endpoint[1], schemeID=p.endpoint[0])
        if p.identifier:
            w.add(w.add(party, "cac:PartyIdentification"), "cbc:ID", p.identifier)
        if p.trading_name:
            w.add(w.add(party, "cac:PartyName"), "cbc:Name", p.trading_name)
        self.address(w.add(party, "cac:PostalAddress"), p.address)
        if p.vat_id:
            scheme = w.add(party, "cac:PartyTaxScheme")
            w.add(scheme, "cbc:CompanyID", p.vat_id)
            w.add(w.add(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
        if p.tax_number:
            scheme = w.add(party, "cac:PartyTaxScheme")
            w.add(scheme, "cbc:CompanyID", p.tax_number)
            w.add(w.add(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
        w.add(w.add(party, "cac:PartyLegalEntity"), "cbc:RegistrationName", p.name)
        if p.contact_name or p.contact_phone or p.contact_email:
            contact = w.add(party, "cac:Contact")
            w.text(contact, "cbc:Name", p.contact_name)
            w.text(contact, "cbc:Telephone", p.contact_phone)
            w.text(contact, "cbc:ElectronicMail", p.contact_email)

    def tax_category(self, parent: etree._Element, name: str, category: str, value: Decimal) -> etree._Element:
        w = self.w
        element = w.add(parent, name)
        w.add(element, "cbc:ID", category)
        if category != "O":  # BR-O-05, BR-O-10: not subject to VAT has no rate
            w.add(element, "cbc:Percent", rate(value))
        return element

    def allowance(self, parent: etree._Element, a: AllowanceCharge, with_tax: bool) -> None:
        w = self.w
        element = w.add(parent, "cac:AllowanceCharge")
        w.add(element, "cbc:ChargeIndicator", "true" if a.charge else "false")
        w.text(element, "cbc:AllowanceChargeReasonCode", a.reason_code)
        w.text(element, "cbc:AllowanceChargeReason", a.reason)
        if a.percent is not None:
            w.add(element, "cbc:MultiplierFactorNumeric", plain(a.percent))
        self.money(element, "cbc:Amount", a.amount)
        if a.base is not None:
            self.money(element, "cbc:BaseAmount", a.base)
        if with_tax and a.vat_category:
            category = self.tax_category(element, "cac:TaxCategory", a.vat_category, a.vat_rate or Decimal(0))
            w.add(w.add(category, "cac:TaxScheme"), "cbc:ID", "VAT")

    def build(self, customization: str, process: str) -> bytes:
        doc, w = self.doc, self.w
        credit = doc.is_credit_note
        root = w.root("cn:CreditNote" if credit else "inv:Invoice", "cn" if credit else "inv")
        w.add(root, "cbc:CustomizationID", customization)
        w.add(root, "cbc:ProfileID", process)
        w.add(root, "cbc:ID", doc.number)
        w.add(root, "cbc:IssueDate", iso_date(doc.issue_date))
        if doc.due_date and not credit:
            w.add(root, "cbc:DueDate", iso_date(doc.due_date))
        w.add(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", doc.type_code)
        for note in doc.notes:
            w.add(root, "cbc:Note", note)
        w.add(root, "cbc:DocumentCurrencyCode", doc.currency)
        w.text(root, "cbc:TaxCurrencyCode", doc.tax_currency)
        w.text(root, "cbc:BuyerReference", doc.buyer_reference)
        if doc.period:
            period = w.add(root, "cac:InvoicePeriod")
            w.add(period, "cbc:StartDate", iso_date(doc.period[0]))
            w.add(period, "cbc:EndDate", iso_date(doc.period[1]))
        if doc.preceding:
            reference = w.add(w.add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
            w.add(reference, "cbc:ID", doc.preceding[0])
            w.add(reference, "cbc:IssueDate", iso_date(doc.preceding[1]))
        self.party(root, "cac:AccountingSupplierParty", doc.seller)
        self.party(root, "cac:AccountingCustomerParty", doc.buyer)
        if doc.delivery_date or doc.deliver_to:
            delivery = w.add(root, "cac:Delivery")
            if doc.delivery_date:
                w.add(delivery, "cbc:ActualDeliveryDate", iso_date(doc.delivery_date))
            if doc.deliver_to:
                self.address(w.add(w.add(delivery, "cac:DeliveryLocation"), "cac:Address"), doc.deliver_to)
        if doc.payment:
            p = doc.payment
            means = w.add(root, "cac:PaymentMeans")
            w.add(means, "cbc:PaymentMeansCode", p.means_code)
            w.text(means, "cbc:PaymentID", p.reference)
            if p.iban:
                account = w.add(means, "cac:PayeeFinancialAccount")
                w.add(account, "cbc:ID", p.iban)
                w.text(account, "cbc:Name", p.account_name)
                if p.bic:
                    w.add(w.add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", p.bic)
        if doc.payment_terms:
            w.add(w.add(root, "cac:PaymentTerms"), "cbc:Note", doc.payment_terms)
        for a in doc.allowances:
            self.allowance(root, a, with_tax=True)
        total = w.add(root, "cac:TaxTotal")
        self.money(total, "cbc:TaxAmount", doc.tax_total)
        for g in doc.vat_groups:
            sub = w.add(total, "cac:TaxSubtotal")
            self.money(sub, "cbc:TaxableAmount", g.taxable)
            self.money(sub, "cbc:TaxAmount", g.tax)
            category = self.tax_category(sub, "cac:TaxCategory", g.category, g.rate)
            w.text(category, "cbc:TaxExemptionReasonCode", g.exemption_code)
            w.text(category, "cbc:TaxExemptionReason", g.exemption_reason)
            w.add(w.add(category, "cac:TaxScheme"), "cbc:ID", "VAT")
        if doc.tax_currency and doc.tax_total_accounting is not None:
            # BT-111: the VAT in the accounting currency, a TaxTotal of its own without subtotals.
            self.money(w.add(root, "cac:TaxTotal"), "cbc:TaxAmount", doc.tax_total_accounting, doc.tax_currency)
        monetary = w.add(root, "cac:LegalMonetaryTotal")
        self.money(monetary, "cbc:LineExtensionAmount", doc.line_total)
        self.money(monetary, "cbc:TaxExclusiveAmount", doc.tax_exclusive)
        self.money(monetary, "cbc:TaxInclusiveAmount", doc.tax_inclusive)
        if doc.allowances:
            self.money(monetary, "cbc:AllowanceTotalAmount", doc.allowance_total)
            self.money(monetary, "cbc:ChargeTotalAmount", doc.charge_total)
        self.money(monetary, "cbc:PayableAmount", doc.payable)
        for line in doc.lines:
            element = w.add(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
            w.add(element, "cbc:ID", line.id)
            w.add(
                element,
                "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
                plain(line.quantity),
                unitCode=line.unit_code,
            )
            self.money(element, "cbc:LineExtensionAmount", line.net_amount)
            for a in line.allowances:
                self.allowance(element, a, with_tax=False)
            item = w.add(element, "cac:Item")
            w.add(item, "cbc:Name", line.name)
            category = self.tax_category(item, "cac:ClassifiedTaxCategory", line.vat_category, line.vat_rate)
            w.add(w.add(category, "cac:TaxScheme"), "cbc:ID", "VAT")
            price = w.add(element, "cac:Price")
            w.add(price, "cbc:PriceAmount", plain(line.price), currencyID=doc.currency)
        return serialize(root)


def write(doc: Document, customization: str, process: str) -> bytes:
    return _Ubl(doc).build(customization, process)

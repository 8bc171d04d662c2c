"""The semantic model written as a UN/CEFACT Cross Industry Invoice (D16B), in the element
order the schema demands: XRechnung 3.0 (CII) and Factur-X / ZUGFeRD, EN 16931 profile."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from app.einvoice.model import Address, AllowanceCharge, Document, Party
from app.einvoice.xml import Writer, amount, cii_date, plain, rate, serialize

NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


class _Cii:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.w = Writer(NAMESPACES)

    def money(self, parent: etree._Element, name: str, value: Decimal, currency: str | None = None) -> None:
        if currency:
            self.w.add(parent, name, amount(value, self.doc.minor_digits), currencyID=currency)
        else:
            self.w.add(parent, name, amount(value, self.doc.minor_digits))

    def date(self, parent: etree._Element, name: str, day: object, kind: str = "udt") -> None:
        self.w.add(self.w.add(parent, name), f"{kind}:DateTimeString", cii_date(day), format="102")  # type: ignore[arg-type]

    def address(self, element: etree._Element, a: Address) -> None:
        w = self.w
        w.text(element, "ram:PostcodeCode", a.postal_code)
        w.text(element, "ram:LineOne", a.street)
        w.text(element, "ram:LineTwo", a.additional)
        w.text(element, "ram:CityName", a.city)
        w.text(element, "ram:CountryID", a.country)
        w.text(element, "ram:CountrySubDivisionName", a.region)

    def party(self, parent: etree._Element, name: str, p: Party) -> None:
        w = self.w
        party = w.add(parent, name)
        w.text(party, "ram:ID", p.identifier)
        w.add(party, "ram:Name", p.name)
        if p.trading_name:
            w.add(w.add(party, "ram:SpecifiedLegalOrganization"), "ram:TradingBusinessName", p.trading_name)
        if p.contact_name or p.contact_phone or p.contact_email:
            contact = w.add(party, "ram:DefinedTradeContact")
            w.text(contact, "ram:PersonName", p.contact_name)
            if p.contact_phone:
                w.add(w.add(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", p.contact_phone)
            if p.contact_email:
                w.add(w.add(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", p.contact_email)
        self.address(w.add(party, "ram:PostalTradeAddress"), p.address)
        if p.endpoint:
            w.add(w.add(party, "ram:URIUniversalCommunication"), "ram:URIID", p.endpoint[1], schemeID=p.endpoint[0])
        if p.vat_id:
            w.add(w.add(party, "ram:SpecifiedTaxRegistration"), "ram:ID", p.vat_id, schemeID="VA")
        if p.tax_number:
            w.add(w.add(party, "ram:SpecifiedTaxRegistration"), "ram:ID", p.tax_number, schemeID="FC")

    def allowance(self, parent: etree._Element, a: AllowanceCharge, with_tax: bool) -> None:
        w = self.w
        element = w.add(parent, "ram:SpecifiedTradeAllowanceCharge")
        w.add(w.add(element, "ram:ChargeIndicator"), "udt:Indicator", "true" if a.charge else "false")
        if a.percent is not None:
            w.add(element, "ram:CalculationPercent", plain(a.percent))
        if a.base is not None:
            self.money(element, "ram:BasisAmount", a.base)
        self.money(element, "ram:ActualAmount", a.amount)
        w.text(element, "ram:ReasonCode", a.reason_code)
        w.text(element, "ram:Reason", a.reason)
        if with_tax and a.vat_category:
            tax = w.add(element, "ram:CategoryTradeTax")
            w.add(tax, "ram:TypeCode", "VAT")
            w.add(tax, "ram:CategoryCode", a.vat_category)
            if a.vat_category != "O":
                w.add(tax, "ram:RateApplicablePercent", rate(a.vat_rate or Decimal(0)))

    def build(self, guideline: str, process: str | None) -> bytes:
        doc, w = self.doc, self.w
        root = w.root("rsm:CrossIndustryInvoice")
        context = w.add(root, "rsm:ExchangedDocumentContext")
        if process:
            w.add(w.add(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", process)
        w.add(w.add(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", guideline)
        header = w.add(root, "rsm:ExchangedDocument")
        w.add(header, "ram:ID", doc.number)
        w.add(header, "ram:TypeCode", doc.type_code)
        self.date(header, "ram:IssueDateTime", doc.issue_date)
        for note in doc.notes:
            w.add(w.add(header, "ram:IncludedNote"), "ram:Content", note)
        transaction = w.add(root, "rsm:SupplyChainTradeTransaction")
        for line in doc.lines:
            item = w.add(transaction, "ram:IncludedSupplyChainTradeLineItem")
            w.add(w.add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
            w.add(w.add(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
            agreement = w.add(item, "ram:SpecifiedLineTradeAgreement")
            w.add(w.add(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", plain(line.price))
            delivery = w.add(item, "ram:SpecifiedLineTradeDelivery")
            w.add(delivery, "ram:BilledQuantity", plain(line.quantity), unitCode=line.unit_code)
            settlement = w.add(item, "ram:SpecifiedLineTradeSettlement")
            tax = w.add(settlement, "ram:ApplicableTradeTax")
            w.add(tax, "ram:TypeCode", "VAT")
            w.add(tax, "ram:CategoryCode", line.vat_category)
            if line.vat_category != "O":
                w.add(tax, "ram:RateApplicablePercent", rate(line.vat_rate))
            for a in line.allowances:
                self.allowance(settlement, a, with_tax=False)
            summation = w.add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
            self.money(summation, "ram:LineTotalAmount", line.net_amount)
        agreement = w.add(transaction, "ram:ApplicableHeaderTradeAgreement")
        w.text(agreement, "ram:BuyerReference", doc.buyer_reference)
        self.party(agreement, "ram:SellerTradeParty", doc.seller)
        self.party(agreement, "ram:BuyerTradeParty", doc.buyer)
        delivery = w.add(transaction, "ram:ApplicableHeaderTradeDelivery")
        if doc.deliver_to:
            self.address(w.add(w.add(delivery, "ram:ShipToTradeParty"), "ram:PostalTradeAddress"), doc.deliver_to)
        if doc.delivery_date:
            self.date(
                w.add(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", doc.delivery_date
            )
        settlement = w.add(transaction, "ram:ApplicableHeaderTradeSettlement")
        if doc.payment:
            w.text(settlement, "ram:PaymentReference", doc.payment.reference)
        w.text(settlement, "ram:TaxCurrencyCode", doc.tax_currency)
        w.add(settlement, "ram:InvoiceCurrencyCode", doc.currency)
        if doc.payment:
            p = doc.payment
            means = w.add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
            w.add(means, "ram:TypeCode", p.means_code)
            w.text(means, "ram:Information", p.text)
            if p.iban:
                account = w.add(means, "ram:PayeePartyCreditorFinancialAccount")
                w.add(account, "ram:IBANID", p.iban)
                w.text(account, "ram:AccountName", p.account_name)
                if p.bic:
                    w.add(w.add(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", p.bic)
        for g in doc.vat_groups:
            tax = w.add(settlement, "ram:ApplicableTradeTax")
            self.money(tax, "ram:CalculatedAmount", g.tax)
            w.add(tax, "ram:TypeCode", "VAT")
            w.text(tax, "ram:ExemptionReason", g.exemption_reason)
            self.money(tax, "ram:BasisAmount", g.taxable)
            w.add(tax, "ram:CategoryCode", g.category)
            w.text(tax, "ram:ExemptionReasonCode", g.exemption_code)
            if g.category != "O":
                w.add(tax, "ram:RateApplicablePercent", rate(g.rate))
        if doc.period:
            period = w.add(settlement, "ram:BillingSpecifiedPeriod")
            self.date(period, "ram:StartDateTime", doc.period[0])
            self.date(period, "ram:EndDateTime", doc.period[1])
        for a in doc.allowances:
            self.allowance(settlement, a, with_tax=True)
        if doc.payment_terms or doc.due_date:
            terms = w.add(settlement, "ram:SpecifiedTradePaymentTerms")
            w.text(terms, "ram:Description", doc.payment_terms)
            if doc.due_date:
                self.date(terms, "ram:DueDateDateTime", doc.due_date)
        summation = w.add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
        self.money(summation, "ram:LineTotalAmount", doc.line_total)
        if doc.allowances:
            self.money(summation, "ram:ChargeTotalAmount", doc.charge_total)
            self.money(summation, "ram:AllowanceTotalAmount", doc.allowance_total)
        self.money(summation, "ram:TaxBasisTotalAmount", doc.tax_exclusive)
        self.money(summation, "ram:TaxTotalAmount", doc.tax_total, doc.currency)
        if doc.tax_currency and doc.tax_total_accounting is not None:
            self.money(summation, "ram:TaxTotalAmount", doc.tax_total_accounting, doc.tax_currency)
        self.money(summation, "ram:GrandTotalAmount", doc.tax_inclusive)
        self.money(summation, "ram:DuePayableAmount", doc.payable)
        if doc.preceding:
            reference = w.add(settlement, "ram:InvoiceReferencedDocument")
            w.add(reference, "ram:IssuerAssignedID", doc.preceding[0])
            self.date(reference, "ram:FormattedIssueDateTime", doc.preceding[1], kind="qdt")
        return serialize(root)


def write(doc: Document, guideline: str, process: str | None) -> bytes:
    return _Cii(doc).build(guideline, process)

"""One e-invoice of an invoice or a credit note in a format: its model, then its syntax
(UBL for XRechnung UBL and Peppol, CII for XRechnung CII and Factur-X), with the
specification identifiers each format requires."""

from __future__ import annotations

import asyncio

import msgspec
from msgspec import Struct

from app.domain.einvoice_formats import LABELS, EinvoiceFormat
from app.domain.errors import EinvoiceRejected
from app.domain.outputs import CreditNoteDocument, InvoiceDocument, PdfMaker
from app.einvoice import checker, cii, rules, ubl
from app.einvoice.build import credit_note_model, invoice_model
from app.einvoice.checker import Finding
from app.einvoice.model import Document
from app.einvoice.xml import EN16931, PEPPOL, PEPPOL_PROCESS, XRECHNUNG

SYNTAX = {
    EinvoiceFormat.XRECHNUNG_UBL: "UBL",
    EinvoiceFormat.PEPPOL: "UBL",
    EinvoiceFormat.XRECHNUNG_CII: "CII",
    EinvoiceFormat.FACTURX: "CII",
}


def model_of(document: InvoiceDocument | CreditNoteDocument, fmt: EinvoiceFormat) -> Document:
    if isinstance(document, InvoiceDocument):
        return invoice_model(document, fmt)
    return credit_note_model(document, fmt)


def write(model: Document, fmt: EinvoiceFormat) -> bytes:
    if fmt is EinvoiceFormat.XRECHNUNG_UBL:
        return ubl.write(model, XRECHNUNG, PEPPOL_PROCESS)
    if fmt is EinvoiceFormat.PEPPOL:
        return ubl.write(model, PEPPOL, PEPPOL_PROCESS)
    if fmt is EinvoiceFormat.XRECHNUNG_CII:
        return cii.write(model, XRECHNUNG, PEPPOL_PROCESS)
    return cii.write(model, EN16931, None)


class Checked(Struct):
    """An e-invoice and what its checks found: ``valid`` when nothing fatal."""

    format: EinvoiceFormat
    xml: bytes
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.flag == "fatal"]

    @property
    def valid(self) -> bool:
        return not self.errors


def family(fmt: EinvoiceFormat) -> str:
    if fmt in (EinvoiceFormat.XRECHNUNG_UBL, EinvoiceFormat.XRECHNUNG_CII):
        return "xrechnung"
    return "peppol" if fmt is EinvoiceFormat.PEPPOL else "facturx"


async def check(document: InvoiceDocument | CreditNoteDocument, fmt: EinvoiceFormat) -> Checked:
    """The e-invoice of ``document`` in ``fmt``, with Billcraft's own findings (fields named)
    and the official rules' (in the checker's child process)."""
    model = model_of(document, fmt)
    xml = write(model, fmt)
    findings = rules.own(model, fmt)
    official = await checker.official(xml, SYNTAX[fmt], family(fmt))
    own = {f.rule: i for i, f in enumerate(findings)}
    for finding in official:
        if finding.rule in own and finding.flag == "fatal":
            # Said already, with its field: the official rules confirm it.
            findings[own[finding.rule]] = msgspec.structs.replace(findings[own[finding.rule]], source="both")
            continue
        findings.append(msgspec.structs.replace(finding, field=rules.field_of(finding)))
    return Checked(fmt, xml, findings)


def refusal(checked: Checked, what: str) -> EinvoiceRejected:
    """The problem a finalize answers with: every broken rule once, with its field."""
    errors = [
        {"field": f.field or "invoice", "message": f"[{f.rule}] {f.message}", "rule": f.rule, "source": f.source}
        for f in checked.errors
    ]
    detail = f"the {LABELS[checked.format]} e-invoice of this {what} breaks its rules: " + "; ".join(
        f"{e['rule']} ({e['field']})" for e in errors
    )
    return EinvoiceRejected(errors, detail)


class FindingOut(Struct):
    rule: str
    message: str
    field: str  # the Billcraft field to fix
    flag: str  # fatal, warning or information
    location: str | None  # where in the XML
    source: str = "official"  # official, billcraft (its own checks) or both


class EinvoiceReport(Struct):
    """What the checks of one e-invoice found: ``valid`` when no rule was broken; errors
    (fatal) and warnings each with the rule, its message and the Billcraft field to fix."""

    format: str
    valid: bool
    errors: list[FindingOut]
    warnings: list[FindingOut]


def report(checked: Checked) -> EinvoiceReport:
    def out(f: Finding) -> FindingOut:
        return FindingOut(f.rule, f.message, f.field or rules.field_of(f), f.flag, f.location, f.source)

    return EinvoiceReport(
        format=checked.format.value,
        valid=checked.valid,
        errors=[out(f) for f in checked.errors],
        warnings=[out(f) for f in checked.findings if f.flag != "fatal"],
    )


def filename(number: str, fmt: EinvoiceFormat) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in number) or "einvoice"
    return f"{safe}.pdf" if fmt is EinvoiceFormat.FACTURX else f"{safe}-{fmt.value}.xml"


async def file_of(
    checked: Checked, document: InvoiceDocument | CreditNoteDocument, pdfs: PdfMaker
) -> tuple[bytes, str, str]:
    """The file of a checked e-invoice: its bytes, media type and name. Nothing that breaks
    the rules leaves: an invalid one is refused with its findings. Factur-X is the printed
    PDF with the XML inside, made off the event loop."""
    credit = isinstance(document, CreditNoteDocument)
    number = document.credit_note.number if isinstance(document, CreditNoteDocument) else document.invoice.number
    if not checked.valid:
        raise refusal(checked, "credit note" if credit else "invoice")
    name = filename(number or "draft", checked.format)
    if checked.format is not EinvoiceFormat.FACTURX:
        return checked.xml, "application/xml", name
    from app.einvoice import facturx

    pdf = await pdfs(document)
    seller = document.workspace.legal_name or document.workspace.name
    title = f"{'Credit note' if credit else 'Invoice'} {number}"
    embedded = await asyncio.to_thread(
        facturx.embed, pdf, checked.xml, title=title, author=seller, language=document.language
    )
    return embedded, "application/pdf", name

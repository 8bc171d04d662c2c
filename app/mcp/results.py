"""What each tool answers: the shape of every operation's ``structuredContent``, and from it
the tool's ``outputSchema`` (JSON Schema; an action-style tool answers any of its actions'
shapes). Most shapes are the domain's Structs the operations return; those only MCP answers
with (a dry run of a change that does not rehearse itself, a delete, the PDF's link) are
described by Structs here. A client that validates results (the SDKs' do) finds every
answer conforms; ``tests/mcp/test_output_schemas.py`` calls every tool and action and
validates each answer itself."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct

from app.domain.outputs import (
    ClientOut,
    CreditNoteOut,
    DryRunOut,
    InvoiceOut,
    InvoiceSummary,
    MemberOut,
    NextNumberOut,
    Page,
    WorkspaceOut,
)
from app.domain.received import ReceivedOut, ReceivedSummary
from app.domain.stats_outputs import StatsOut
from app.einvoice.render import EinvoiceReport
from app.mcp import einvoices
from app.mcp import operations as op
from app.mcp.confirm import AwaitingApproval
from app.mcp.einvoices import EinvoiceLink, ReceivedRehearsal
from app.mcp.operations import Operation

Schema = dict[str, Any]


class InvoiceDeleted(Struct):
    dry_run: bool
    deleted: bool
    invoice: InvoiceOut


class MemberRemoved(Struct):
    dry_run: bool
    removed: bool
    user_uuid: str


class ClientRehearsal(Struct):
    dry_run: bool
    client: ClientOut


class WorkspaceRehearsal(Struct):
    dry_run: bool
    workspace: WorkspaceOut


class MemberRehearsal(Struct):
    dry_run: bool
    member: MemberOut


class PdfLink(Struct):
    """``get_invoice_pdf``'s answer: where to download the file, for how long, and what it is."""

    uuid: str
    number: str | None
    status: str
    draft_watermark: bool
    url: str
    expires_at: str
    filename: str
    mime_type: str
    bytes: int


INVOICE_CHANGE = (InvoiceOut, DryRunOut)
# A change the workspace has its person confirm may answer that it waits for them instead.
CONFIRMED_CHANGE = (*INVOICE_CHANGE, AwaitingApproval)
OUTPUTS: dict[Operation, tuple[Any, ...]] = {
    op.invoice_list: (Page[InvoiceSummary],),
    op.invoice_get: (InvoiceOut,),
    op.invoice_create: INVOICE_CHANGE,
    op.invoice_update: INVOICE_CHANGE,
    op.invoice_finalize: CONFIRMED_CHANGE,
    op.invoice_send: CONFIRMED_CHANGE,
    op.invoice_mark_paid: CONFIRMED_CHANGE,
    op.invoice_cancel: CONFIRMED_CHANGE,
    op.invoice_duplicate: INVOICE_CHANGE,
    op.invoice_from_previous: INVOICE_CHANGE,
    op.invoice_delete: (InvoiceDeleted, AwaitingApproval),
    op.invoice_suggest_number: (NextNumberOut,),
    op.invoice_pdf: (PdfLink,),
    einvoices.invoice_einvoice: (EinvoiceLink,),
    einvoices.invoice_validate: (EinvoiceReport,),
    einvoices.credit_note_einvoice: (EinvoiceLink,),
    einvoices.received_import: (ReceivedOut, ReceivedRehearsal),
    einvoices.received_list: (Page[ReceivedSummary],),
    einvoices.received_get: (ReceivedOut,),
    op.credit_note_list: (Page[CreditNoteOut],),
    op.credit_note_get: (CreditNoteOut,),
    op.credit_note_create: CONFIRMED_CHANGE,
    op.credit_note_pdf: (PdfLink,),
    op.credit_note_refund: INVOICE_CHANGE,
    op.credit_note_send: CONFIRMED_CHANGE,
    op.stats: (StatsOut,),
    op.client_list: (Page[ClientOut],),
    op.client_get: (ClientOut,),
    op.client_create: (ClientOut, ClientRehearsal),
    op.client_update: (ClientOut, ClientRehearsal),
    op.client_save: (ClientOut, ClientRehearsal),
    op.workspace_list: (Page[WorkspaceOut],),
    op.workspace_get: (WorkspaceOut,),
    op.settings_update: (WorkspaceOut, WorkspaceRehearsal),
    op.member_list: (Page[MemberOut],),
    op.member_add: (MemberOut, MemberRehearsal),
    op.member_change_role: (MemberOut, MemberRehearsal),
    op.member_remove: (MemberRemoved,),
}


def output_schema(operations: list[Operation]) -> Schema:
    """The ``outputSchema`` of a tool running any of ``operations``: an object, one of
    their shapes. Shapes used twice (the invoice inside a dry run) are written once, under
    ``$defs``, and referred to within the document."""
    shapes: list[Any] = []
    for operation in operations:
        shapes.extend(s for s in OUTPUTS[operation] if s not in shapes)
    schemas, components = msgspec.json.schema_components(shapes, ref_template="#/$defs/{name}")
    definitions = dict(components)
    if len(schemas) == 1:
        # The shape itself at the top, where every protocol version wants "type": "object".
        schema: Schema = dict(definitions[str(schemas[0]["$ref"]).rsplit("/", 1)[1]])
    else:
        schema = {"type": "object", "anyOf": list(schemas)}
    schema["$defs"] = definitions
    return schema

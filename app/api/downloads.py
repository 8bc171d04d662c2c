"""Signed download links, ``GET /api/v1/downloads/<token>``: the document a link names, for
the few minutes it lives, without a bearer token (the link is the key, like a pre-signed
URL). What MCP hands an assistant instead of the file. The person the link was made for
must still be an active member of the workspace: that is checked again here, through the
same domain call as every other read of the invoice."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from app.domain.access import Scope
from app.downloads import LinkInvalid, read_link
from app.faces import BillingDep, einvoice_response, pdf_response


@get(
    "/api/v1/downloads/{token:str}",
    summary="A document by its signed link (no token needed while the link lives)",
    tags=["documents"],
    security=[{}],
    media_type="application/pdf",
    responses={
        200: ResponseSpec(bytes, description="application/pdf", media_type="application/pdf", generate_examples=False)
    },
)
async def download(token: FromPath[str], billing: BillingDep, state: State) -> Response[bytes]:
    link = read_link(state.settings.secret_key, token)
    reader = await billing.accounts.acting_with(link.user_id, Scope.INVOICES_READ)
    if reader is None:
        raise LinkInvalid("this download link is not valid", code="download_link_invalid")
    access = await billing.access(reader, link.company_slug)
    if link.kind.startswith("credit-note-einvoice-"):
        fmt = link.kind.removeprefix("credit-note-einvoice-")
        checked, note = await billing.invoices.credit_note_einvoice(access, link.invoice_uuid, fmt)
        return await einvoice_response(state, checked, note)
    if link.kind.startswith("einvoice-"):
        fmt = link.kind.removeprefix("einvoice-")
        checked, document = await billing.invoices.einvoice(access, link.invoice_uuid, fmt)
        return await einvoice_response(state, checked, document)
    if link.kind == "credit-note-pdf":
        return await pdf_response(state, await billing.invoices.credit_note_document(access, link.invoice_uuid))
    return await pdf_response(state, await billing.invoices.document(access, link.invoice_uuid))

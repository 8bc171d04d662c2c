"""The approval pages: what assistants asked to do and wait for the signed-in person to
confirm (``app.domain.approvals``), each with the summary the person checks, and Approve or
Decline. Approved, the change is made there and then."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template

from app.domain.approvals import approve_on_page
from app.faces import BillingDep
from app.sessions import flash, read_form, text
from app.web.pages import AnyRequest, Segment, ViewerDep, page, parse_uuid

VERDICTS = {
    "approved": "Approved: done.",
    "declined": "Declined: nothing was changed.",
    "failed": "Approved, but it could not be done: nothing was changed.",
}


@get("/approvals", include_in_schema=False)
async def approvals_page(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Template:
    approvals = await billing.approvals.list_for(viewer.principal, billing.base_url)
    pending = [a for a in approvals if a.status == "pending"]
    decided = [a for a in approvals if a.status != "pending"]
    return await page(request, "web/approvals.html", billing=billing, viewer=viewer, pending=pending, decided=decided)


@get("/approvals/{approval_id:str}", include_in_schema=False)
async def approval_page(request: AnyRequest, approval_id: Segment, viewer: ViewerDep, billing: BillingDep) -> Template:
    approval = await billing.approvals.get_out(viewer.principal, parse_uuid(approval_id), billing.base_url)
    return await page(request, "web/approval.html", billing=billing, viewer=viewer, approval=approval)


@post("/approvals/{approval_id:str}", include_in_schema=False)
async def decide(request: AnyRequest, approval_id: Segment, viewer: ViewerDep, billing: BillingDep) -> Redirect:
    form = await read_form(request)
    approve = text(form, "decision") == "approve"
    decided = await approve_on_page(billing, viewer.principal, parse_uuid(approval_id), approve)
    flash(request, VERDICTS[decided.status], "error" if decided.status == "failed" else "success")
    return Redirect(f"/approvals/{decided.uuid}", status_code=303)


ROUTES = [approvals_page, approval_page, decide]

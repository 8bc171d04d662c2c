"""A person confirms what an assistant cannot take back. Which changes need it is each
workspace's choice (``confirm_actions``, over the MCP transports in ``confirm_channels``);
an ``Approval`` is one such change waiting for its person, whichever way they are asked
(a form in their MCP client, or the approval page). Here: the choices, asking (the summary
the person checks is the change's own dry run), deciding once (a decided approval is never
decided again, so a replayed confirmation finds nothing to confirm), and, for the approval
page, doing the change the way the assistant asked for it, under its idempotency key."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import select, update

from app.db.models import Approval, Workspace
from app.domain import tenancy
from app.domain.access import Principal, Scope, WorkspaceAccess
from app.domain.accounts import utcnow
from app.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.idempotency import Replayed, fingerprint
from app.domain.mutations import Perform, operation_name
from app.domain.outputs import ApprovalOut
from app.domain.schemas import CancelInput, ConfirmationSettings, CreditInput, PaymentInput, SendInput
from app.domain.service import DomainService

if TYPE_CHECKING:
    from app.domain.billing import Billing

TTL = dt.timedelta(minutes=15)
ACTIONS = ("send", "finalize", "cancel", "delete", "mark_paid", "bulk")
CHANNELS = ("mcp_http", "mcp_stdio")
# The operation each action names (``app.domain.mutations`` names operations so on every face).
OPERATIONS = {
    "invoice.send": "send",
    "invoice.finalize": "finalize",
    "invoice.cancel": "cancel",
    "invoice.credit": "cancel",
    "invoice.credit_note_send": "send",  # a credit note is confirmed as a cancellation is (DESIGN: cancel/credit)
    "invoice.delete": "delete",
    "invoice.payment": "mark_paid",
    "invoice.refund": "mark_paid",  # money recorded either way: confirmed as a payment is
}
VERBS = {
    "send": "Send",
    "finalize": "Finalize",
    "cancel": "Cancel",
    "delete": "Delete",
    "mark_paid": "Record a payment on",
}


def listed(text: str) -> list[str]:
    """A stored choice (``send,finalize``) as its list."""
    return [part for part in text.split(",") if part]


def needs_confirmation(workspace: Workspace, operation: str, channel: str) -> bool:
    action = OPERATIONS.get(operation)
    return (
        action is not None
        and action in listed(workspace.confirm_actions)
        and channel in listed(workspace.confirm_channels)
    )


def check_choices(field: str, values: list[str], allowed: tuple[str, ...]) -> str:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationFailed.field(field, f"{unknown[0]!r} is not one of {', '.join(allowed)}")
    return ",".join(v for v in allowed if v in values)


@dataclass(frozen=True)
class Request:
    """A change an assistant asks for, as the MCP face describes it to be confirmed."""

    access: WorkspaceAccess
    operation: str
    target: uuid.UUID | None
    payload: Any  # the operation's input Struct (None for finalize and delete)
    key: str | None
    how: str  # elicitation, input_required or link

    @property
    def action(self) -> str:
        return OPERATIONS[self.operation]

    @property
    def fingerprint(self) -> str:
        name = operation_name(self.operation, self.access, self.target)
        return fingerprint(name, msgspec.to_builtins(self.payload))


def summarize(action: str, preview: Any, operation: str = "") -> dict[str, Any]:
    """What the person checks, from the change's dry run: the invoice, its client and total,
    whom it emails and the status it ends in (and for a credit note, what it credits)."""
    data = msgspec.to_builtins(preview)
    invoice = data.get("invoice") or {}
    client = (invoice.get("client") or {}).get("name") or "no client"
    number = invoice.get("number") or "draft"
    recipients = data.get("recipients") or []
    total = f"{invoice.get('total')} {invoice.get('currency')}"
    ends = "deleted" if action == "delete" else invoice.get("status")
    message = f"{VERBS[action]} invoice {number} ({invoice.get('title')}) for {client}, {total}"
    if operation == "invoice.credit":
        notes = invoice.get("credit_notes") or [{}]
        credited = f"{notes[-1].get('total')} {invoice.get('currency')}"
        message = f"Issue a credit note of {credited} on invoice {number} ({invoice.get('title')}) for {client}"
    if operation == "invoice.refund":
        message = f"Record a refund on invoice {number} ({invoice.get('title')}) for {client}"
    if operation == "invoice.credit_note_send":
        data = ((invoice.get("history") or [{}])[-1].get("data")) or {}
        message = f"Email credit note {data.get('credit_note')} of invoice {number} ({invoice.get('title')})"
    if recipients:
        message += f", emailing {', '.join(recipients)}"
    message += f"? It will be {ends}."
    return {
        "message": message,
        "action": action,
        "invoice_uuid": invoice.get("uuid"),
        "number": invoice.get("number"),
        "title": invoice.get("title"),
        "client": client,
        "total": invoice.get("total"),
        "currency": invoice.get("currency"),
        "recipients": recipients,
        "status_after": ends,
    }


def approval_out(approval: Approval, slug: str, base_url: str) -> ApprovalOut:
    return ApprovalOut(
        uuid=approval.id,
        company_slug=slug,
        action=OPERATIONS[approval.operation],
        status="expired" if approval.status == "pending" and approval.expires_at <= utcnow() else approval.status,
        summary=approval.summary,
        how=approval.how,
        url=f"{base_url}/approvals/{approval.id}",
        expires_at=approval.expires_at,
        decided_at=approval.decided_at,
        outcome=approval.outcome,
        created_at=approval.created_at,
    )


class Declined(DomainError):
    status = 409
    code = "confirmation_declined"
    title = "Not confirmed"


class ApprovalService(DomainService):
    async def ask(self, principal: Principal, request: Request, summary: dict[str, Any]) -> Approval:
        """A new approval, pending for ``TTL``. For a link asked again under the same key and
        change, the one already pending, so a retried call does not ask twice; and once the
        person declined it, or let it expire, the key's answer is that (a new key asks again)."""
        await self.enter(request.access, Scope.INVOICES_WRITE)
        if request.how == "link" and request.key is not None:
            earlier = await self._latest_for_key(principal, request)
            if earlier is not None:
                if earlier.status == "declined":
                    raise Declined(
                        f"{principal.name} declined this on the approval page: nothing was changed",
                        approval_uuid=str(earlier.id),
                    )
                if earlier.status == "pending" and earlier.expires_at <= utcnow():
                    raise Conflict(
                        "nobody approved this in time: nothing was changed; use a new idempotency key to ask again",
                        code="confirmation_expired",
                        approval_uuid=str(earlier.id),
                    )
                if earlier.status == "pending":
                    return earlier
        approval = Approval(
            workspace_id=request.access.workspace_id,
            user_id=principal.user_id,
            operation=request.operation,
            target_id=request.target,
            payload=msgspec.to_builtins(request.payload),
            fingerprint=request.fingerprint,
            key=request.key,
            summary=summary,
            how=request.how,
            oauth_client_id=principal.oauth_client_id,
            expires_at=utcnow() + TTL,
        )
        self.session.add(approval)
        await self.session.flush()
        return approval

    async def _latest_for_key(self, principal: Principal, request: Request) -> Approval | None:
        return (
            await self.session.execute(
                select(Approval)
                .where(
                    Approval.user_id == principal.user_id,
                    Approval.workspace_id == request.access.workspace_id,
                    Approval.key == request.key,
                    Approval.fingerprint == request.fingerprint,
                )
                .order_by(Approval.created_at.desc(), Approval.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    async def decide(
        self, principal: Principal, approval_id: uuid.UUID, approve: bool, *, fingerprint: str | None = None
    ) -> Approval:
        """Decide a pending approval once: the row changes only while it is pending and
        unexpired (one UPDATE, so two deciders cannot both win). ``fingerprint``, when
        given, must be the change it was asked for."""
        approval = await self._own(principal, approval_id)
        if fingerprint is not None and approval.fingerprint != fingerprint:
            raise Conflict(
                "this confirmation was given for another change; ask again for this one",
                code="confirmation_mismatch",
            )
        now = utcnow()
        status = "approved" if approve else "declined"
        claimed = await self.session.execute(
            update(Approval)
            .where(Approval.id == approval.id, Approval.status == "pending", Approval.expires_at > now)
            .values(status=status, decided_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            await self.session.refresh(approval)
            if approval.status == "pending":
                raise Conflict("this confirmation expired: nothing was changed; ask again", code="confirmation_expired")
            raise Conflict(
                f"this confirmation was already used ({approval.status}); nothing more was changed",
                code="confirmation_used",
            )
        await self.session.refresh(approval)
        return approval

    async def _own(self, principal: Principal, approval_id: uuid.UUID) -> Approval:
        """The caller's own approval, in any of their workspaces; a stranger's is not there."""
        await tenancy.bind(self.session, None)
        approval = (
            await self.session.execute(
                select(Approval).where(Approval.id == approval_id, Approval.user_id == principal.user_id)
            )
        ).scalar_one_or_none()
        if approval is None:
            raise NotFound("no such approval among yours", code="approval_not_found")
        return approval

    async def record(self, approval: Approval, outcome: dict[str, Any]) -> None:
        approval.outcome = outcome
        await self.session.flush()

    async def list_for(self, principal: Principal, base_url: str, limit: int = 50) -> list[ApprovalOut]:
        """The caller's approvals, newest first: pending ones, then what became of the rest."""
        await tenancy.bind(self.session, None)
        rows = await self.session.execute(
            select(Approval, Workspace.slug)
            .join(Workspace, Workspace.id == Approval.workspace_id)
            .where(Approval.user_id == principal.user_id)
            .order_by(Approval.created_at.desc(), Approval.id.desc())
            .limit(limit)
        )
        return [approval_out(approval, slug, base_url) for approval, slug in rows.all()]

    async def get_out(self, principal: Principal, approval_id: uuid.UUID, base_url: str) -> ApprovalOut:
        approval = await self._own(principal, approval_id)
        return approval_out(approval, await self.slug_of(approval), base_url)

    async def slug_of(self, approval: Approval) -> str:
        query = select(Workspace.slug).where(Workspace.id == approval.workspace_id)
        return (await self.session.execute(query)).scalar_one()


def performer(billing: Billing, access: WorkspaceAccess, approval: Approval) -> tuple[Any, Perform]:
    """The change an approval stands for, as the MCP face would have made it: its input
    Struct (the same idempotency fingerprint) and the work."""
    invoices, target = billing.invoices, approval.target_id
    assert target is not None
    payload = approval.payload or {}
    match approval.operation:
        case "invoice.send":
            send = msgspec.convert(payload, SendInput)
            return send, lambda dry: invoices.send(access, target, send, dry_run=dry)
        case "invoice.finalize":
            return None, lambda dry: invoices.finalize(access, target, dry_run=dry)
        case "invoice.cancel":
            cancel = msgspec.convert(payload, CancelInput)
            return cancel, lambda dry: invoices.cancel(access, target, cancel, dry_run=dry)
        case "invoice.refund":
            refund = msgspec.convert(payload, PaymentInput)
            return refund, lambda dry: invoices.record_refund(access, target, refund, dry_run=dry)
        case "invoice.credit_note_send":
            mail = msgspec.convert(payload, SendInput)
            return mail, lambda dry: invoices.send_credit_note(access, target, mail, dry_run=dry)
        case "invoice.credit":
            credit = msgspec.convert(payload, CreditInput)
            return credit, lambda dry: invoices.credit(access, target, credit, dry_run=dry)
        case "invoice.payment":
            paid = msgspec.convert(payload, PaymentInput)
            return paid, lambda dry: invoices.mark_paid(access, target, paid, dry_run=dry)
        case _:
            return None, lambda dry: invoices.delete_showing(access, target, dry_run=dry)


async def approve_on_page(billing: Billing, principal: Principal, approval_id: uuid.UUID, approve: bool) -> ApprovalOut:
    """The person's decision on the approval page. Approved, the change is made now, under
    the assistant's idempotency key (or one of the approval's own), so the assistant retrying
    its call with that key gets this answer back; refused by the domain (the invoice changed
    meanwhile), the refusal is what the approval records."""
    approvals = billing.approvals
    approval = await approvals.decide(principal, approval_id, approve)
    slug = await approvals.slug_of(approval)
    if approve:
        access = await billing.access(principal, slug)
        data, perform = performer(billing, access, approval)
        try:
            result = await billing.mutate(
                principal,
                approval.operation,
                data,
                perform,
                access=access,
                target=approval.target_id,
                key=approval.key or f"approval:{approval.id}",
            )
        except DomainError as refused:
            approval.status = "failed"
            await approvals.record(approval, {"error": refused.to_dict()})
        else:
            answer = result.response if isinstance(result, Replayed) else msgspec.to_builtins(result)
            await approvals.record(approval, {"result": answer})
    return approval_out(approval, slug, billing.base_url)


async def confirmation_settings(billing: Billing, principal: Principal, slug: str, data: ConfirmationSettings) -> None:
    """Which changes need a person, set by an admin of the workspace in the browser or through
    REST: never by an assistant, which these settings are there to hold back."""
    if principal.channel.value == "mcp":
        raise Forbidden(
            "confirmation settings are changed by a person in the web app, not by an assistant",
            code="confirmation_settings_not_here",
        )
    access = await billing.access(principal, slug)
    await billing.approvals.enter(access, Scope.WORKSPACE_ADMIN)
    access.workspace.confirm_actions = check_choices("confirm_actions", data.confirm_actions, ACTIONS)
    access.workspace.confirm_channels = check_choices("confirm_channels", data.confirm_channels, CHANNELS)
    await billing.session.flush()

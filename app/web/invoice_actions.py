"""The lifecycle actions of the invoice page, one handler each (finalize, send, pay,
cancel, duplicate), posted to ``/w/<slug>/invoices/<uuid>/<action>``, and the bulk send of
drafts. Each goes through the domain's one path (``change``), so a refused one leaves
nothing behind; ``invoice_action`` says the refusal on the page: a form typed into (send,
finalize) is shown again with its errors, anything else as a message that says what
changed since the page was loaded."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import post
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect

from app.domain.access import WorkspaceAccess
from app.domain.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.domain.invoices import InvoiceService, Result
from app.domain.lifecycle import Status
from app.domain.mail_limits import EmailLimitReached
from app.domain.outputs import InvoiceOut
from app.domain.schemas import CancelInput, CreditInput, DuplicateInput, PaymentInput, SendInput
from app.faces import BillingDep
from app.sessions import flash, read_form, text
from app.web.invoices import base_path, detail_page, refusal
from app.web.pages import AnyRequest, Segment, ViewerDep, change, parse_uuid, to_struct


@dataclass(frozen=True)
class Done:
    """An action that went through: the invoice after it, what to tell the person (with
    ``{number}`` filled in), and whether to open the new draft's editor (a copy)."""

    invoice: InvoiceOut
    message: str
    edit: bool = False


# Each action reads its form into ``typed`` (kept to show the form again if refused).
Act = Callable[[InvoiceService, WorkspaceAccess, uuid.UUID, FormMultiDict, dict[str, Any]], Awaitable[Done]]
# The refusals an action's page explains; anything else is an error page, as everywhere.
REFUSALS = (InvalidTransition, ValidationFailed, Conflict, EmailLimitReached)


def _invoice(result: Result) -> InvoiceOut:
    assert isinstance(result, InvoiceOut)  # the web never asks for a dry run
    return result


# The send form's box that records a send without emailing anyone (notify false).
NO_EMAIL = "no_email"
NOBODY_TO_EMAIL = (
    "Nobody to email: the client has no email address. Type an address in To, or tick "
    "“{box}” if the invoice went out another way."
)


def _send_values(form: Any) -> dict[str, Any]:
    return {"to": text(form, "to"), "message": text(form, "message"), NO_EMAIL: text(form, NO_EMAIL) == "yes"}


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _form_errors(error: ValidationFailed | Conflict) -> dict[str, str]:
    """A refused action's errors by the form's field names, as sentences: ``to[1]`` is the
    To field's, a number taken is the number's."""
    if not isinstance(error, ValidationFailed):
        return {str(error.extra.get("field", "form")): _sentence(error.detail)}
    errors: dict[str, str] = {}
    for e in error.errors:
        name = "to" if e["field"].startswith("to") else e["field"]
        label = "" if name in ("to", "message", "number", "items") else f"{e['field']}: "
        errors.setdefault(name, _sentence(label + e["message"]))
    return errors


def _send_errors(error: ValidationFailed, values: dict[str, Any], reminder: bool) -> dict[str, str]:
    errors = _form_errors(error)
    if "to" in errors and not values["to"] and error.errors[0]["field"] == "to":
        box = "Record the reminder without emailing anyone" if reminder else "Mark as sent without emailing anyone"
        errors["to"] = NOBODY_TO_EMAIL.format(box=box)
    return errors


def _sent_message(done: InvoiceOut, reminder: bool) -> str:
    # The send's own history event names whom it emailed.
    emailed = list((done.history[-1].data or {}).get("recipients", []))
    what = "The reminder" if reminder else "The invoice"
    if emailed:
        return f"{what} is sent to {', '.join(emailed)}."
    if reminder:
        return "The reminder is recorded; nobody was emailed."
    return "The invoice is marked sent; nobody was emailed."


async def _finalize(
    invoices: InvoiceService, access: WorkspaceAccess, key: uuid.UUID, form: FormMultiDict, typed: dict[str, Any]
) -> Done:
    typed["number"] = text(form, "number")
    done = _invoice(await invoices.finalize(access, key, number=typed["number"] or None))
    return Done(done, "The invoice is finalized: its number is {number} and its content is locked.")


async def _send(
    invoices: InvoiceService, access: WorkspaceAccess, key: uuid.UUID, form: FormMultiDict, typed: dict[str, Any]
) -> Done:
    typed.update(_send_values(form))
    to = [a.strip() for a in typed["to"].replace(";", ",").replace("\n", ",").split(",") if a.strip()]
    sending = to_struct(
        SendInput, {"to": to or None, "message": typed["message"] or None, "notify": not typed[NO_EMAIL]}
    )
    done = _invoice(await invoices.send(access, key, sending))
    return Done(done, _sent_message(done, reminder=done.history[-1].action == "remind"))


async def _pay(
    invoices: InvoiceService, access: WorkspaceAccess, key: uuid.UUID, form: FormMultiDict, typed: dict[str, Any]
) -> Done:
    values = {k: text(form, k) for k in ("amount", "payment_date", "payment_method")}
    done = _invoice(
        await invoices.mark_paid(access, key, to_struct(PaymentInput, {k: v for k, v in values.items() if v}))
    )
    if done.status == Status.PAID:
        return Done(done, "The payment is recorded: the invoice is paid in full.")
    return Done(done, "The payment is recorded.")


async def _cancel(
    invoices: InvoiceService, access: WorkspaceAccess, key: uuid.UUID, form: FormMultiDict, typed: dict[str, Any]
) -> Done:
    done = _invoice(await invoices.cancel(access, key, CancelInput(reason=text(form, "reason")[:1000] or None)))
    return Done(done, "The invoice is cancelled.")


async def _credit(
    invoices: InvoiceService, access: WorkspaceAccess, key: uuid.UUID, form: FormMultiDict, typed: dict[str, Any]
) -> Done:
    typed.update({name: text(form, name) for name in ("reason", "amount")})
    wanted = {"reason": typed["reason"][:1000], "amount": typed["amount"].replace(",", ".") or None}
    done = _invoice(await invoices.credit(access, key, to_struct(CreditInput, wanted)))
    note = done.credit_notes[-1]
    return Done(done, f"Credit note {note.number} is issued for {note.total} {done.currency}.")


async def _refund(
    invoices: InvoiceService, access: WorkspaceAccess, key: uuid.UUID, form: FormMultiDict, typed: dict[str, Any]
) -> Done:
    values = {k: text(form, k) for k in ("amount", "payment_date", "payment_method")}
    refunded = to_struct(PaymentInput, {k: v for k, v in values.items() if v})
    done = _invoice(await invoices.record_refund(access, key, refunded))
    return Done(done, f"The refund of {done.payments[-1].amount.lstrip('-')} {done.currency} is recorded.")


async def _duplicate(
    invoices: InvoiceService, access: WorkspaceAccess, key: uuid.UUID, form: FormMultiDict, typed: dict[str, Any]
) -> Done:
    copy = _invoice(await invoices.duplicate(access, key, DuplicateInput()))
    return Done(copy, "This is a new draft copied from the invoice, with today's dates.", edit=True)


# The actions posted to /w/<slug>/invoices/<uuid>/<action>; delete has its own page and form.
ACTIONS: dict[str, Act] = {
    "finalize": _finalize,
    "send": _send,
    "pay": _pay,
    "cancel": _cancel,
    "credit": _credit,
    "refund": _refund,
    "duplicate": _duplicate,
}
# The actions whose form is shown again, as typed, when refused.
RESHOWN = {"send", "finalize", "credit"}


@post("/w/{company_slug:str}/invoices/{invoice_uuid:str}/{action:str}", include_in_schema=False)
async def invoice_action(
    request: AnyRequest,
    company_slug: Segment,
    invoice_uuid: Segment,
    action: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
) -> Any:
    act = ACTIONS.get(action)
    if act is None:
        raise NotFound("no such action")
    form = await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(invoice_uuid)
    typed: dict[str, Any] = {}
    try:
        done = await change(
            billing, viewer, f"invoice.{action}", lambda: act(billing.invoices, access, key, form, typed)
        )
    except REFUSALS as error:
        seen = text(form, "seen_status") or None
        reshown = _reshown_form(error, action, typed, seen)
        if reshown is not None:
            return await detail_page(request, access, viewer, billing, key, forms={action: reshown}, status=422)
        flash(request, _refused_message(error, seen), "error")
        return Redirect(base_path(company_slug, key), status_code=303)
    flash(request, done.message.format(number=done.invoice.number))
    if done.edit:
        return Redirect(f"{base_path(company_slug, done.invoice.uuid)}/edit", status_code=303)
    return Redirect(base_path(company_slug, key), status_code=303)


def _reshown_form(error: Exception, action: str, typed: dict[str, Any], seen: str | None) -> dict[str, Any] | None:
    """The form of a send or finalize refused for what was typed in it, with its errors;
    ``None`` for any other refusal."""
    typed_wrong = isinstance(error, ValidationFailed) or (isinstance(error, Conflict) and error.code == "number_taken")
    if action not in RESHOWN or not typed_wrong:
        return None
    if isinstance(error, ValidationFailed) and action == "send":
        errors = _send_errors(error, typed, reminder=seen not in (None, Status.DRAFT.value))
    else:
        assert isinstance(error, (ValidationFailed, Conflict))
        errors = _form_errors(error)
    return {"values": typed, "errors": errors}


def _refused_message(error: Exception, seen: str | None) -> str:
    if isinstance(error, InvalidTransition):
        return refusal(error, seen)
    if isinstance(error, ValidationFailed):
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in error.errors)
    else:
        assert isinstance(error, (Conflict, EmailLimitReached))
        detail = error.detail
    return f"The action was not done: {detail}."


@post("/w/{company_slug:str}/invoices/send-drafts", include_in_schema=False)
async def send_drafts(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Redirect:
    """Send several drafts at once, each to its client's email. Each is sent or refused on
    its own: one without a client email does not hold the others back."""
    form = await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    keys = [parse_uuid(v) for v in form.getall("uuid", []) if isinstance(v, str)][:100]
    if not keys:
        flash(request, "Select the drafts to send first.", "error")
        return Redirect(f"{base_path(company_slug)}?status=draft", status_code=303)
    sent: list[str] = []
    refused: list[str] = []
    for key in keys:
        try:
            document = await billing.invoices.document(access, key)
        except NotFound:
            continue  # deleted meanwhile, or never one of this workspace's
        name = document.invoice.title
        if document.client is None or not document.client.email:
            refused.append(f"{name}: its client has no email address; open it to send it to someone")
            continue
        try:
            # One change each: a refused one leaves nothing, the others stay sent.
            sending = functools.partial(billing.invoices.send, access, key, SendInput())
            done = _invoice(await change(billing, viewer, "invoice.send", sending))
            sent.append(f"{done.number} ({name})")
        except (ValidationFailed, InvalidTransition, EmailLimitReached) as error:
            refused.append(f"{name}: {error.detail}")
    if sent:
        flash(request, f"Sent {len(sent)}: {', '.join(sent)}.")
    if refused:
        flash(request, f"Not sent ({len(refused)}): " + "; ".join(refused) + ".", "error")
    return Redirect(base_path(company_slug), status_code=303)


ROUTES = [send_drafts, invoice_action]

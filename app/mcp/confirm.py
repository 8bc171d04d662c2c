"""Asking the person before an assistant's change that cannot be taken back (which ones: the
workspace's choice, ``app.domain.approvals``). Three ways, by what the client can do:

- ``elicitation``: a handshake-era client with a back-channel (stdio, the SSE transport)
  that declared elicitation gets an ``elicitation/create`` form mid-call;
- ``input_required``: a 2026-07-28 client that declared elicitation gets an
  ``input_required`` result with the same form and a request state this server signs
  (HS256 JWT naming the person, the approval and the change); the client retries with the
  answer and the state, and the approval, decided once, cannot be replayed;
- ``link``: any other client (stateless HTTP on the handshake era has no back-channel)
  gets a result saying that approval is waiting, with the approval page's address; the
  person approves or declines there, and the change is made then.

The form and the page show the same summary: the change's own dry run."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mcp_types as types
import msgspec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from mcp.server import ServerRequestContext

from app.db.models import Approval
from app.domain.approvals import Declined, Request, approval_out, summarize
from app.domain.errors import Conflict
from app.domain.idempotency import check_key
from app.domain.mutations import operation_name
from app.domain.outputs import ApprovalOut

if TYPE_CHECKING:
    from app.domain.mutations import Perform
    from app.mcp.calls import Call

MODERN = "2026-07-28"  # the first revision without the handshake (multi-round-trip requests)
ANSWER = "confirm"  # the key of the one input request, and the form's one field
_AUDIENCE = "billcraft:confirmation"
FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        ANSWER: {
            "type": "boolean",
            "title": "Do it",
            "description": "Tick to let the assistant make this change; leave it or decline to stop it.",
        }
    },
    "required": [ANSWER],
}


class AwaitingApproval(msgspec.Struct):
    """What a tool answers while its change waits for the person on the approval page."""

    status: str  # always "awaiting_approval"
    detail: str
    approval: ApprovalOut


@dataclass
class Confirmer:
    """How one tool call can reach its person, made by the server for each call."""

    channel: str  # mcp_http or mcp_stdio: the workspace's setting names these
    secret: str
    ctx: ServerRequestContext[Any, Any] | None = None
    input_responses: dict[str, Any] | None = None
    request_state: str | None = None
    approval: Approval | None = field(default=None, init=False)

    def how(self) -> str:
        if self.ctx is None:
            return "link"
        session = self.ctx.session
        elicits = session.check_client_capability(types.ClientCapabilities(elicitation=types.ElicitationCapability()))
        if elicits and session.protocol_version >= MODERN:
            return "input_required"
        if elicits and session.can_send_request:
            return "elicitation"
        return "link"

    async def obtain(self, call: Call, request: Request, perform: Perform) -> Any:
        """``None`` once the person confirmed (the caller then makes the change); otherwise
        the tool's answer: the stored answer for a key already used, the form to fill, the
        approval waiting, or the refusal when the person declined."""
        billing, principal = call.billing, call.principal
        name = operation_name(request.operation, request.access, request.target)
        key = check_key(request.key)
        if key is not None:
            done = await billing.idempotency.replay(principal, key, name, request.payload)
            if done is not None:
                return done.response
        if self.request_state is not None:
            return await self._answered(call, request)
        preview = await billing.mutate(
            principal, request.operation, request.payload, perform,
            access=request.access, target=request.target, dry_run=True,
        )  # fmt: skip
        summary = summarize(request.action, preview, request.operation)
        if request.how == "elicitation":
            # Nothing is held while the person reads the form: on SQLite an open write
            # transaction would stop every other writer for as long as they take.
            await billing.session.commit()
            assert self.ctx is not None
            answer = await self.ctx.session.elicit_form(
                message=summary["message"], requested_schema=FORM, related_request_id=self.ctx.request_id
            )
            approval = await billing.approvals.ask(principal, request, summary)
            return await self._decide(call, approval.id, request, _accepted(answer.action, answer.content))
        approval = await billing.approvals.ask(principal, request, summary)
        if request.how == "link":
            out = approval_out(approval, request.access.workspace.slug, billing.base_url)
            detail = (
                f"Waiting for {principal.name} to approve this on {out.url} before it happens "
                f"(until {out.expires_at:%H:%M} UTC): {summary['message']}"
            )
            return AwaitingApproval(status="awaiting_approval", detail=detail, approval=out)
        form = types.ElicitRequest(
            params=types.ElicitRequestFormParams(message=summary["message"], requested_schema=FORM)
        )
        state = seal(self.secret, principal.user_id, approval.id, approval.expires_at)
        return types.InputRequiredResult(input_requests={ANSWER: form}, request_state=state)

    async def _answered(self, call: Call, request: Request) -> Any:
        assert self.request_state is not None
        approval_id = unseal(self.secret, self.request_state, call.principal.user_id)
        answer = (self.input_responses or {}).get(ANSWER)  # typed by the SDK: an ElicitResult or nothing
        accepted = isinstance(answer, types.ElicitResult) and _accepted(answer.action, answer.content)
        return await self._decide(call, approval_id, request, accepted)

    async def _decide(self, call: Call, approval_id: uuid.UUID, request: Request, accepted: bool) -> Any:
        approval = await call.billing.approvals.decide(
            call.principal, approval_id, accepted, fingerprint=request.fingerprint
        )
        if not accepted:
            # Answered, not raised: the decision must be kept (committed) so that the same
            # request state cannot be sent again with another answer.
            return Declined(f"{call.principal.name} did not confirm this change: nothing was changed")
        self.approval = approval
        return None


def _accepted(action: object, content: object) -> bool:
    return action == "accept" and isinstance(content, dict) and content.get(ANSWER) is True


def _key(secret: str) -> OctKey:
    return OctKey.import_key(hmac.new(secret.encode(), b"billcraft confirmations", hashlib.sha256).digest())


def seal(secret: str, user_id: uuid.UUID, approval_id: uuid.UUID, expires: dt.datetime) -> str:
    claims = {"aud": _AUDIENCE, "sub": str(user_id), "apr": str(approval_id), "exp": int(expires.timestamp())}
    return jwt.encode({"alg": "HS256"}, claims, _key(secret))


def unseal(secret: str, state: str, user_id: uuid.UUID) -> uuid.UUID:
    """The approval a request state names, if this server signed it for this person."""
    invalid = Conflict(
        "this confirmation's request state is not one this server gave you; call the tool again without it",
        code="confirmation_state_invalid",
    )
    try:
        claims = jwt.decode(state, _key(secret), algorithms=["HS256"]).claims
        approval_id = uuid.UUID(str(claims["apr"]))
    except (JoseError, KeyError, ValueError, TypeError):
        raise invalid from None
    if claims.get("aud") != _AUDIENCE or claims.get("sub") != str(user_id):
        raise invalid
    return approval_id

"""One tool call: the caller, its unit of work, and its arguments, checked at the boundary.

Arguments become the domain's own msgspec Structs, so MCP and REST validate the same way;
what cannot be converted becomes a ``ToolInputError`` naming the argument and the rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import msgspec

from app.domain.access import Principal, WorkspaceAccess
from app.domain.approvals import Request, needs_confirmation
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.idempotency import Replayed
from app.domain.outputs import PdfMaker
from app.domain.schemas import friendly

if TYPE_CHECKING:
    from app.mcp.confirm import Confirmer

S = TypeVar("S", bound=msgspec.Struct)

_AT = re.compile(r"\s*-\s*at `\$\.?(.*)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")


class ToolInputError(ValidationFailed):
    """Bad arguments for a tool: reported as a tool error naming the argument."""


@dataclass
class Call:
    billing: Billing
    principal: Principal
    tool: str
    args: dict[str, Any]
    action: str | None = None
    pdfs: PdfMaker | None = None
    link_secret: str = ""  # signs download links (app.downloads.sign_link)
    confirmer: Confirmer | None = None  # how to ask the person (None: nobody to ask, e.g. listing)
    _access: WorkspaceAccess | None = field(default=None, init=False)

    # --- arguments --------------------------------------------------------------------------

    def require(self, name: str) -> Any:
        value = self.args.get(name)
        if value is None or value == "":
            where = f" for action {self.action}" if self.action else ""
            raise ToolInputError.field(name, f"{name} is required{where}")
        return value

    def uuid(self, name: str = "uuid") -> uuid.UUID:
        value = self.require(name)
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise ToolInputError.field(name, f"{value!r} is not a UUID; take it from a list result") from None

    def flag(self, name: str) -> bool:
        value = self.args.get(name, False)
        if not isinstance(value, bool):
            raise ToolInputError.field(name, "must be true or false")
        return value

    def struct(self, kind: type[S], names: Iterable[str], rename: dict[str, str] | None = None) -> S:
        """Convert the given arguments into the domain's input Struct ``kind``."""
        rename = rename or {}
        picked = {rename.get(n, n): self.args[n] for n in names if n in self.args and self.args[n] is not None}
        try:
            return msgspec.convert(picked, kind, strict=False)
        except msgspec.ValidationError as exc:
            raise _as_input_error(str(exc), {v: k for k, v in rename.items()}) from None

    # --- workspace and mutations ------------------------------------------------------------

    async def access(self) -> WorkspaceAccess:
        if self._access is None:
            self._access = await self.billing.access(self.principal, str(self.require("company_slug")))
        return self._access

    async def mutate(
        self,
        operation: str,
        payload: Any,
        perform: Callable[[bool], Awaitable[Any]],
        *,
        target: UUID | None = None,
        noun: str | None = None,
    ) -> Any:
        """Run a change through the domain's one path (``Billing.mutate``), with this call's
        ``dry_run`` and ``idempotency_key``; first, where the workspace wants it, the person
        confirms (``app.mcp.confirm``), and until they have, the answer says what waits."""
        access = await self.access() if "company_slug" in self.args else None
        dry_run = self.flag("dry_run")
        confirmer = self.confirmer
        if (
            confirmer is not None
            and access is not None
            and not dry_run
            and needs_confirmation(access.workspace, operation, confirmer.channel)
        ):
            request = Request(access, operation, target, payload, self.args.get("idempotency_key"), confirmer.how())
            answer = await confirmer.obtain(self, request, perform)
            if answer is not None:
                return answer
        result = await self.billing.mutate(
            self.principal,
            operation,
            payload,
            perform,
            access=access,
            target=target,
            key=self.args.get("idempotency_key"),
            dry_run=dry_run,
            noun=noun,
        )
        answer = result.response if isinstance(result, Replayed) else result
        if confirmer is not None and confirmer.approval is not None:
            await self.billing.approvals.record(confirmer.approval, {"result": msgspec.to_builtins(answer)})
        return answer


def _as_input_error(message: str, back: dict[str, str]) -> ToolInputError:
    """Turn msgspec's message (``Expected `str`, got `int` - at `$.items[0].quantity```) into
    an error on the argument it names."""
    field_name = "arguments"
    match = _AT.search(message)
    if match:
        field_name = match.group(1) or field_name
        message = message[: match.start()]
    missing = _MISSING.match(message)
    if missing:
        field_name = f"{field_name}.{missing.group(1)}" if field_name != "arguments" else missing.group(1)
        message = "is required"
    message = friendly(message)
    head = field_name.split(".")[0].split("[")[0]
    if head in back:
        field_name = back[head] + field_name[len(head) :]
    return ToolInputError.field(field_name, message)

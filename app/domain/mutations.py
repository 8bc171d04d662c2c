"""One path for every change a face asks for: REST, MCP and the web each name the
operation, the workspace, the target and the input, and hand over the work; here, once,
the idempotency key is honoured (and checked, by ``Idempotency.run``) (the same key means the same operation from
every face), the change is made all or nothing (a refusal leaves nothing of it in the unit
of work, whether or not the face commits afterwards), a dry run is rehearsed in a
savepoint, and the result is shaped.

Invoice operations rehearse themselves (their dry run says whom it would email) and answer
``DryRunOut``; for the others a dry run answers ``{"dry_run": true, <noun>: <result>}``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.domain.access import Principal, WorkspaceAccess
from app.domain.service import atomic, rehearsal

if TYPE_CHECKING:
    from app.domain.billing import Billing

Perform = Callable[[bool], Awaitable[Any]]


def operation_name(operation: str, access: WorkspaceAccess | None, target: object = None) -> str:
    """What a key is bound to: the operation, its workspace and its target, whichever face
    sent it (``invoice.send:acme:<uuid>``)."""
    slug = access.workspace.slug if access else ""
    return f"{operation}:{slug}:{target if target is not None else ''}"


async def mutate(
    billing: Billing,
    principal: Principal,
    operation: str,
    data: Any,
    perform: Perform,
    *,
    access: WorkspaceAccess | None = None,
    target: uuid.UUID | str | None = None,
    key: object = None,
    dry_run: bool = False,
    noun: str | None = None,
) -> Any:
    """Run ``perform(dry_run)`` once per key: its result, or the first answer ``Replayed``.

    ``noun`` marks an operation whose domain method does not rehearse itself: its dry run
    is rehearsed here and answered as ``{"dry_run": true, noun: result}``."""

    async def attempt() -> Any:
        async with atomic(billing.session):
            if noun is None:
                return await perform(dry_run)
            async with rehearsal(billing.session, dry_run):
                result = await perform(dry_run)
            return {"dry_run": True, noun: result} if dry_run else result

    return await billing.idempotency.run(
        principal,
        key,
        operation_name(operation, access, target),
        data,
        attempt,
        access.workspace_id if access else None,
        dry_run=dry_run,
    )

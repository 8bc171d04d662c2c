"""Turning a domain result into a response: the invoice, a dry run, or a replayed answer."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.openapi.datastructures import ResponseSpec

from app.domain.idempotency import Replayed
from app.domain.outputs import DryRunOut, InvoiceOut

DRY_RUN_RESPONSE = {
    200: ResponseSpec(
        DryRunOut,
        description="With ?dry_run=true: what would happen; nothing is changed",
        # Examples would be made up by Faker: invented data, and 50 MiB at startup (bench/).
        generate_examples=False,
    ),
}
# An update or an action on an invoice answers 200 either way: the invoice after it, or the dry run.
ACTION_RESPONSE = {
    200: ResponseSpec(
        InvoiceOut | DryRunOut,  # type: ignore[arg-type]
        description="The invoice after the action; with ?dry_run=true, what would happen (nothing is changed)",
        generate_examples=False,  # as above
    ),
}


def respond(result: Any, status: int = 200) -> Response[Any]:
    if isinstance(result, Replayed):
        return Response(content=result.response, status_code=status, headers={"Idempotent-Replayed": "true"})
    if isinstance(result, DryRunOut):
        return Response(content=result, status_code=200)
    return Response(content=result, status_code=status)

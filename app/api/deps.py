"""Dependencies every controller shares: the unit of work and the authenticated principal."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Principal
from app.domain.billing import Billing
from app.domain.errors import Unauthenticated


async def provide_billing(db_session: NamedDependency[AsyncSession], state: State) -> Billing:
    return Billing(db_session, base_url=state.settings.base_url)


async def provide_principal(request: Request[Any, Any, Any], billing: NamedDependency[Billing]) -> Principal:
    """The caller behind ``Authorization: Bearer <token>``, resolved by the domain's one verifier."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <token>", code="unauthenticated")
    return await billing.accounts.principal_for_token(token.strip())


# How handlers ask for the two: ``billing: BillingDep, principal: PrincipalDep``.
BillingDep = NamedDependency[Billing]
PrincipalDep = NamedDependency[Principal]

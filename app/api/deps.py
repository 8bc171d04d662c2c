"""Dependencies every controller shares: the unit of work and the authenticated principal."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Principal
from app.domain.billing import Billing


async def provide_billing(db_session: NamedDependency[AsyncSession], state: State) -> Billing:
    return Billing(db_session, base_url=state.settings.base_url)


async def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    """The caller, authenticated by ``app.api.auth`` before the request reached the handler."""
    return request.user


# How handlers ask for the two: ``billing: BillingDep, principal: PrincipalDep``.
BillingDep = NamedDependency[Billing]
PrincipalDep = NamedDependency[Principal]

"""The base of the domain services: advanced-alchemy's service with its inner repository,
plus a typed handle on the unit of work's session."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from advanced_alchemy.base import ModelProtocol
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy.ext.asyncio import AsyncSession

M = TypeVar("M", bound=ModelProtocol)


class DomainService(SQLAlchemyAsyncRepositoryService[M, SQLAlchemyAsyncRepository[M]]):
    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    def __init__(self, session: AsyncSession, **kwargs: Any) -> None:
        super().__init__(session=session, **kwargs)

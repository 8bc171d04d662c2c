"""The query parameters of every REST list, declared once with the bounds of the domain's
``ListQuery`` (a list handler builds its query from them; the domain holds the bounds)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from app.domain.schemas import NO_NUL, PAGE_MAX, PER_PAGE, PER_PAGE_MAX, SEARCH_MAX

Search = Annotated[str | None, QueryParameter(max_length=SEARCH_MAX, pattern=NO_NUL.pattern)]
PageNumber = Annotated[int, QueryParameter(ge=1, le=PAGE_MAX)]
PerPage = Annotated[int, QueryParameter(ge=1, le=PER_PAGE_MAX)]

__all__ = ["PER_PAGE", "PageNumber", "PerPage", "Search"]

"""Text search in lists: "contains, ignoring case", with the text taken as typed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func
from sqlalchemy.sql import ColumnElement


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively. LIKE's wildcards in the text are
    escaped, so a search for "_" or "%" finds that character rather than every row."""
    if "\x00" in text:
        # No stored text holds a NUL (every input refuses it), so nothing matches. Sent on,
        # PostgreSQL would refuse the query and SQLite's LIKE would stop reading at the NUL,
        # finding every name that contains what comes before it.
        return false()
    typed = text.strip().lower()
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")

"""Text search in lists: "contains, ignoring case", with the text taken as typed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql import ColumnElement


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively. LIKE's wildcards in the text are
    escaped, so a search for "_" or "%" finds that character rather than every row."""
    typed = text.strip().lower()
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")

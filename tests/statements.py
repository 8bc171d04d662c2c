"""Counting the SQL statements a piece of work sends: each is a round trip to the database,
and on a small machine round trips are most of a request's cost (issue 23)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")  # SQLite's arrive as statements


@contextmanager
def recorded(engine: Engine, leave_out: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """The statements ``engine`` runs while the block runs, but transaction control and
    those starting with one of ``leave_out``."""
    seen: list[str] = []
    skipped = TRANSACTION_CONTROL + leave_out

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(skipped):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

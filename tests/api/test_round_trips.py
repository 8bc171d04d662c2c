"""How many statements a REST read costs: each is a round trip to the database, and on a
small machine the round trips are most of a request's cost (issue 23's profiles). The
token and the caller's membership of the workspace in the path are read in one statement;
a list page is one more, and so are the stats."""

from __future__ import annotations

from contextlib import AbstractContextManager

from litestar import Litestar

from tests.api.conftest import Caller
from tests.api.support import create_invoice, invoice_body
from tests.statements import recorded


def statements(app: Litestar) -> AbstractContextManager[list[str]]:
    """The SQL statements the app runs while the block runs (transaction control aside)."""
    return recorded(app.state.db_config.get_engine().sync_engine)


async def test_a_list_page_reads_the_token_with_the_membership_then_the_page(app: Litestar, caller: Caller) -> None:
    await create_invoice(caller)  # and the token's last use written (at most once a minute)
    with statements(app) as seen:
        answer = await caller.get("/invoices?per_page=50")
    assert answer.status_code == 200
    assert len(seen) == 2, seen
    for table in ("api_token", "membership", "workspace"):
        assert table in seen[0]
    assert "FROM invoice" in seen[1]


async def test_a_stranger_to_the_workspace_in_the_path_is_still_told_it_is_not_found(
    app: Litestar, caller: Caller, stranger: Caller
) -> None:
    answer = await stranger.client.get(caller.url("/invoices"), headers=stranger.headers)
    assert answer.status_code == 404
    assert answer.json()["code"] == "workspace_not_found"


async def test_a_workspaces_stats_are_one_statement_after_the_token(app: Litestar, caller: Caller) -> None:
    await create_invoice(caller)
    with statements(app) as seen:
        answer = await caller.get("/stats")
    assert answer.status_code == 200
    assert answer.json()["currencies"][0]["invoice_count"] == 1
    assert len(seen) == 2, seen
    assert "FROM payment" in seen[1]
    assert "FROM invoice" in seen[1]


async def test_a_create_with_a_new_idempotency_key_looks_the_key_up_once_and_deletes_nothing(
    app: Litestar, caller: Caller
) -> None:
    await create_invoice(caller)
    body = invoice_body()
    with statements(app) as seen:
        answer = await caller.post("/invoices", json=body, headers={"Idempotency-Key": "round-trips-1"})
    assert answer.status_code == 201
    keyed = [s.split()[0] for s in seen if "idempotency_record" in s]
    assert keyed == ["SELECT", "INSERT", "UPDATE"]  # found free, held, then given its answer
    again = await caller.post("/invoices", json=body, headers={"Idempotency-Key": "round-trips-1"})
    assert again.json()["uuid"] == answer.json()["uuid"]

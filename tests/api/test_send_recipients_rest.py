"""REST refuses a send with nobody to email before anything changes (issue 18), and
``"notify": false`` records a send without email."""

from __future__ import annotations

from tests.api.conftest import Caller
from tests.api.support import assert_field_problem, create_client, create_invoice, get_invoice


async def _refused_and_unchanged(caller: Caller, uuid: str, body: dict[str, object] | None, **kw: object) -> None:
    before = await get_invoice(caller, uuid)
    suggested = (await caller.get("/invoices/next-number")).json()["number"]
    problem = assert_field_problem(
        await caller.post(f"/invoices/{uuid}/send", body, **kw), 422, "to", "validation_error"
    )
    assert "notify" in problem["detail"], problem
    after = await get_invoice(caller, uuid)
    assert after == before, "a refused send changed the invoice"
    assert (after["status"], after["number"], after["finalized_at"]) == (before["status"], None, None)
    assert (after["history"], after["deliveries"]) == (before["history"], before["deliveries"])
    assert (await caller.get("/invoices/next-number")).json()["number"] == suggested


async def test_a_send_with_nobody_to_email_is_refused_and_changes_nothing(caller: Caller) -> None:
    """No body, an empty body, a message only, a dry run, an empty to: each 422 naming
    ``to`` and saying notify false records a send without email; the draft keeps no number,
    no history and no email, and the number is not used up."""
    draft = await create_invoice(caller)
    bodies: list[dict[str, object] | None] = [None, {}, {"message": "Hello"}, {"to": []}]
    for body in bodies:
        await _refused_and_unchanged(caller, draft["uuid"], body)
    await _refused_and_unchanged(caller, draft["uuid"], None, params={"dry_run": "true"})
    no_email = await create_client(caller, email="")
    paper = await create_invoice(caller, client_uuid=no_email["uuid"])
    await _refused_and_unchanged(caller, paper["uuid"], {})


async def test_notify_false_records_the_send_without_emailing(caller: Caller) -> None:
    draft = await create_invoice(caller)
    sent = await caller.post(f"/invoices/{draft['uuid']}/send", {"notify": False})
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert (body["status"], body["deliveries"]) == ("sent", [])
    assert body["number"]
    assert body["history"][-1]["data"] == {"recipients": [], "notify": False}

"""Nobody who signs up can use Billcraft to mail strangers: every recipient is exactly one
address, each is mailed once per send, a workspace and an address have caps, and the names
and addresses that end up in email headers are checked where they are typed.

Through the real services on the real database, with the real counters
(``app.ratelimit.MailLimits``, in memory) in the session as the application puts them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import replace

import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db.models import EmailDelivery
from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.mail_limits import QUOTA, EmailLimitReached
from app.domain.outputs import DryRunOut, InvoiceOut
from app.domain.schemas import SendInput, WorkspaceSettingsUpdate
from app.domain.workspaces import check_timezone
from app.ratelimit import MailLimits
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import create

SMUGGLERS = [
    "victim@example.com>,<postmaster>,<root",
    "victim@example.com, other@example.com",
    "Victim <victim@example.com>",
    '"victim"@example.com',
    "victim@example.com\r\nBcc: other@example.com",
    "victim@[127.0.0.1]",
    "victim@example.com (comment)",
    "victim@localhost",
    "@example.com",
    "victim",
]


async def _emails(billing: Billing, invoice: InvoiceOut) -> list[str]:
    rows = await billing.session.execute(
        select(EmailDelivery.recipient).where(EmailDelivery.invoice_id == invoice.uuid).order_by(EmailDelivery.id)
    )
    return list(rows.scalars())


@pytest.mark.parametrize("address", SMUGGLERS)
async def test_a_recipient_that_is_not_exactly_one_address_is_refused_naming_its_entry(
    billing: Billing, access: WorkspaceAccess, address: str
) -> None:
    """Each ``to`` entry must be one addr-spec: angle brackets, lists, display names,
    quotes, line breaks, comments and IP literals could add envelope recipients the
    delivery record would not show. Nothing is queued."""
    invoice = await create(billing, access)
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.send(access, invoice.uuid, SendInput(to=["ok@example.com", address]))
    assert refused.value.errors[0]["field"] == "to[1]"
    assert "email address" in refused.value.errors[0]["message"]
    assert await _emails(billing, invoice) == []


async def test_each_recipient_is_mailed_once_per_send_whatever_its_case_or_spacing(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """Twenty copies of one address give one email, not twenty."""
    invoice = await create(billing, access)
    copies = ["victim@example.com"] * 17 + [" Victim@Example.com", "VICTIM@EXAMPLE.COM", "other@example.com"]
    sent = await billing.invoices.send(access, invoice.uuid, SendInput(to=copies))
    assert isinstance(sent, InvoiceOut)
    assert [d.to for d in sent.deliveries] == ["victim@example.com", "other@example.com"]
    assert await _emails(billing, invoice) == ["victim@example.com", "other@example.com"]


@pytest.fixture
async def capped(db: object, settings: Settings) -> AsyncIterator[Billing]:
    """A unit of work whose sends meet caps of 3 emails per workspace per hour and 2 per
    recipient per day (in memory, fresh for this test)."""
    limits = MailLimits(replace(settings, mail_limit_workspace="3/hour", mail_limit_recipient="2/day"))
    async with db.create_session_maker()() as session:  # type: ignore[attr-defined]
        session.info[QUOTA] = limits
        yield Billing(session, base_url=settings.base_url)


async def _workspace(billing: Billing) -> WorkspaceAccess:
    owner = await make_principal(billing, "capped")
    return await make_workspace(billing, owner)


async def test_a_workspace_may_queue_only_its_hourly_cap_and_the_refusal_says_which_and_when(
    capped: Billing,
) -> None:
    """Past 3 emails in the hour the send is refused (429, ``email_limit_reached``), naming
    the cap and when it frees up; the refused send changes nothing. A dry run checks
    the cap without using it."""
    access = await _workspace(capped)
    first = await create(capped, access)
    preview = await capped.invoices.send(access, first.uuid, SendInput(to=["a@example.com"]), dry_run=True)
    assert isinstance(preview, DryRunOut)
    sent = await capped.invoices.send(access, first.uuid, SendInput(to=["a@example.com", "b@example.com"]))
    assert isinstance(sent, InvoiceOut)
    await capped.session.commit()

    second = await create(capped, access)
    await capped.session.commit()
    with pytest.raises(EmailLimitReached) as refused:
        await capped.invoices.send(access, second.uuid, SendInput(to=["c@example.com", "d@example.com"]))
    error = refused.value
    assert (error.status, error.code) == (429, "email_limit_reached")
    assert "at most 3 emails per hour" in error.extra["limit"]
    assert 3500 <= error.extra["retry_after"] <= 3600
    resets_at = dt.datetime.fromisoformat(error.extra["resets_at"])
    assert dt.timedelta(minutes=58) < resets_at - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
    slug, principal = access.workspace.slug, access.principal
    await capped.session.rollback()
    access = await capped.access(principal, slug)
    reread = await capped.invoices.get_out(access, second.uuid)
    assert (reread.status, reread.deliveries) == ("draft", [])

    # One email is still within the cap.
    last = await capped.invoices.send(access, second.uuid, SendInput(to=["c@example.com"]))
    assert isinstance(last, InvoiceOut)


async def test_an_address_may_be_mailed_only_its_daily_cap_by_all_workspaces_together(capped: Billing) -> None:
    """The recipient's cap counts every workspace: a second workspace (anyone can make
    one) gets no fresh budget for the same address; reminders count too."""
    one, two = await _workspace(capped), await _workspace(capped)
    invoice = await create(capped, one)
    await capped.invoices.send(access=one, invoice_uuid=invoice.uuid, data=SendInput(to=["victim@example.com"]))
    await capped.invoices.send(one, invoice.uuid, SendInput(to=["victim@example.com"]))  # a reminder
    await capped.session.commit()
    other = await create(capped, two)
    await capped.session.commit()
    with pytest.raises(EmailLimitReached) as refused:
        await capped.invoices.send(two, other.uuid, SendInput(to=["Victim@example.com"]))
    assert "victim@example.com may be sent at most 2 emails per day" in refused.value.extra["limit"]
    slug, principal = two.workspace.slug, two.principal
    await capped.session.rollback()
    two = await capped.access(principal, slug)
    fine = await capped.invoices.send(two, other.uuid, SendInput(to=["someone.else@example.com"]))
    assert isinstance(fine, InvoiceOut)


@pytest.mark.parametrize(
    "email", ["billing@acme.example\r\nBcc: victim@example.com", "not an address", "Acme <billing@acme.example>"]
)
async def test_the_workspace_email_must_be_one_address(billing: Billing, owner: Principal, email: str) -> None:
    """The workspace's email becomes every email's Reply-To: it is checked like a client's."""
    access = await make_workspace(billing, owner)
    with pytest.raises(ValidationFailed) as refused:
        await billing.workspaces.update_settings(owner, access.workspace.slug, WorkspaceSettingsUpdate(email=email))
    assert refused.value.errors[0]["field"] == "email"
    cleared = await billing.workspaces.update_settings(owner, access.workspace.slug, WorkspaceSettingsUpdate(email=""))
    assert cleared.email == ""


@pytest.mark.parametrize("field", ["name", "legal_name", "tax_id"])
@pytest.mark.parametrize("text", ["Acme\r\nBcc: victim@example.com", "Acme\nLtd", "Acme\tLtd", "Acme\x1bLtd"])
async def test_names_that_reach_email_headers_must_be_one_line(field: str, text: str) -> None:
    """A line break in a workspace's name would end a header early (or crash every later
    email): names are one line, refused at the boundary with the field named."""
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert({field: text}, WorkspaceSettingsUpdate)
    assert f"$.{field}" in str(refused.value)


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "posix/Europe/Paris", "right/UTC", "../etc"])
def test_a_time_zone_is_an_iana_name_not_a_file_of_this_host(name: str) -> None:
    """``localtime`` names whatever zone the host is set to: a workspace's "today" must not
    depend on the machine it runs on."""
    with pytest.raises(ValidationFailed) as refused:
        check_timezone(name)
    assert refused.value.errors[0]["field"] == "timezone"
    assert check_timezone("Europe/Paris") == "Europe/Paris"


async def test_a_send_without_a_quota_in_its_session_is_not_capped(session: AsyncSession) -> None:
    """Scripts and the benchmarks run the domain without the application's counters."""
    assert QUOTA not in session.info
    billing = Billing(session)
    access = await make_workspace(billing, await make_principal(billing))
    invoice = await create(billing, access)
    to = [f"r{i}@example.com" for i in range(20)]
    await billing.invoices.send(access, invoice.uuid, SendInput(to=to))
    count = await session.execute(select(func.count()).where(EmailDelivery.invoice_id == invoice.uuid))
    assert count.scalar_one() == 20


async def test_a_send_refused_by_the_cap_leaves_the_draft_unnumbered_even_if_the_caller_commits(
    capped: Billing,
) -> None:
    """Sending a draft finalizes and numbers it before the cap is checked: through the one
    path every face uses (``Billing.mutate``), the refusal takes all of that back, so a
    face that commits after a refusal (a page answering with a redirect) keeps no half-sent
    invoice and no used number."""
    access = await _workspace(capped)
    first = await create(capped, access)
    await capped.invoices.send(access, first.uuid, SendInput(to=["a@example.com", "b@example.com", "c@example.com"]))
    draft = await create(capped, access)
    await capped.session.commit()
    expected = (await capped.invoices.suggest_number(access)).number
    with pytest.raises(EmailLimitReached):
        await capped.mutate(
            access.principal, "invoice.send", None,
            lambda _dry: capped.invoices.send(access, draft.uuid, SendInput(to=["d@example.com"])),
            access=access, target=draft.uuid,
        )  # fmt: skip
    await capped.session.commit()
    access = await capped.access(access.principal, access.workspace.slug)
    reread = await capped.invoices.get_out(access, draft.uuid)
    assert (reread.status, reread.number, reread.finalized_at) == ("draft", None, None)
    assert [event.action for event in reread.history] == ["create"]
    following = await capped.invoices.finalize(access, draft.uuid)
    assert isinstance(following, InvoiceOut)
    assert following.number == expected

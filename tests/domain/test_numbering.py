"""Invoice numbers (DESIGN.md section 2): the workspace pattern gives unique consecutive
numbers at finalize, explicit numbers are checked for uniqueness and stepped over, and
suggest_number continues the workspace's own numbering. Unit tests of app.domain.numbering
first."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain import numbering
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import InvoiceUpdate, SendInput, WorkspaceSettingsUpdate
from app.domain.workspaces import today_in
from tests.domain.helpers import create, fresh_billing

DAY = dt.date(2026, 3, 7)

# --- app.domain.numbering ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "seq", "number"),
    [
        ("INV-{YYYY}-{SEQ:4}", 1, "INV-2026-0001"),
        ("INV-{YYYY}-{SEQ:4}", 12345, "INV-2026-12345"),
        ("{YY}{MM}-{SEQ:3}", 7, "2603-007"),
        ("F{SEQ}", 42, "F42"),
        ("{YYYY}/{SEQ:3}", 17, "2026/017"),
    ],
)
def test_render_fills_dates_and_pads_the_sequence(pattern: str, seq: int, number: str) -> None:
    """Date tokens come from the day; {SEQ:n} pads to n digits and never truncates."""
    assert numbering.render(pattern, DAY, seq) == number


def test_scope_gives_each_period_its_own_counter() -> None:
    """The scope is the pattern with dates filled in: a new year is a new counter."""
    pattern = numbering.DEFAULT_PATTERN
    assert numbering.scope(pattern, DAY) == "INV-2026-{SEQ}"
    assert numbering.scope(pattern, dt.date(2027, 1, 1)) == "INV-2027-{SEQ}"
    assert numbering.scope("{YY}{MM}-{SEQ:3}", DAY) != numbering.scope("{YY}{MM}-{SEQ:3}", dt.date(2026, 4, 1))


@pytest.mark.parametrize("pattern", ["INV-{YYYY}-{SEQ:4}", "{YY}{MM}-{SEQ:3}", "F{SEQ}", "  A/{SEQ:2}  "])
def test_validate_pattern_accepts_known_tokens(pattern: str) -> None:
    """Valid patterns come back trimmed."""
    assert numbering.validate_pattern(pattern) == pattern.strip()


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("INV-{YYYY}", "exactly one {SEQ}"),
        ("{SEQ}-{SEQ:2}", "exactly one {SEQ}"),
        ("INV-{DD}-{SEQ}", "unknown token {DD}"),
        ("inv-{seq}", "exactly one {SEQ}"),
        ("X" * 60 + "{SEQ:4}", "exceed 64 characters"),
    ],
)
def test_validate_pattern_refuses_bad_patterns(pattern: str, fragment: str) -> None:
    """A pattern without exactly one sequence, with an unknown token, or that could make
    numbers over 64 characters is refused on "number_pattern"."""
    with pytest.raises(ValidationFailed) as refused:
        numbering.validate_pattern(pattern)
    assert refused.value.errors[0]["field"] == "number_pattern"
    assert fragment in refused.value.errors[0]["message"]


@pytest.mark.parametrize(
    ("pattern", "number", "expected"),
    [
        ("INV-{YYYY}-{SEQ:4}", "INV-2026-0001", True),
        ("INV-{YYYY}-{SEQ:4}", "INV-1999-123456", True),
        ("INV-{YYYY}-{SEQ:4}", "2026/017", False),
        ("INV-{YYYY}-{SEQ:4}", "INV-2026-0001-B", False),
        ("{YYYY}/{SEQ:3}", "2026/017", True),
        ("A.{SEQ}", "AX1", False),
    ],
)
def test_matches_recognises_numbers_from_a_pattern(pattern: str, number: str, expected: bool) -> None:
    """Whether a number could have come from the pattern (literal parts are not regexes)."""
    assert numbering.matches(pattern, number) is expected


@pytest.mark.parametrize(
    ("number", "following"),
    [
        ("2026/017", "2026/018"),
        ("2026/099", "2026/100"),
        ("INV-9", "INV-10"),
        ("A-0999-draft", "A-1000-draft"),
        ("007", "008"),
    ],
)
def test_continue_number_keeps_width_and_tail(number: str, following: str) -> None:
    """The last digit run is incremented, keeping its zero padding and any text after it."""
    assert numbering.continue_number(number) == following


def test_continue_number_without_digits_has_no_continuation() -> None:
    """A number with no digits cannot be continued."""
    assert numbering.continue_number("DRAFT") is None


@pytest.mark.parametrize("number", ["2026/017", "INV-2026-0001", "A 1", "X#1", "a.b_c"])
def test_check_number_accepts_plain_numbers(number: str) -> None:
    """Letters, digits, spaces and . _ / # -, starting with a letter or digit."""
    assert numbering.check_number(f"  {number} ") == number


@pytest.mark.parametrize("number", ["", "   ", "-1", "INV*1", "N" * 65, "A\n1"])
def test_check_number_refuses_odd_numbers(number: str) -> None:
    """Empty, odd characters or over 64 characters are refused on "number"."""
    with pytest.raises(ValidationFailed) as refused:
        numbering.check_number(number)
    assert refused.value.errors[0]["field"] == "number"


# --- through the invoice service ---------------------------------------------------------------


async def _finalize(billing: Billing, access: WorkspaceAccess, **fields: object) -> InvoiceOut:
    draft = await create(billing, access, **fields)  # type: ignore[arg-type]
    out = await billing.invoices.finalize(access, draft.uuid)
    assert isinstance(out, InvoiceOut)
    return out


async def test_default_pattern_numbers_consecutively(billing: Billing, access: WorkspaceAccess) -> None:
    """INV-{YYYY}-{SEQ:4}: finalizations get INV-<year>-0001, -0002, -0003 in order, and a
    draft has no number until then."""
    draft = await create(billing, access)
    assert draft.number is None
    year = draft.issue_date.year
    numbers = [(await _finalize(billing, access)).number for _ in range(3)]
    assert numbers == [f"INV-{year}-0001", f"INV-{year}-0002", f"INV-{year}-0003"]
    assert (await billing.invoices.get_out(access, draft.uuid)).number is None


async def test_send_assigns_the_next_number(billing: Billing, access: WorkspaceAccess) -> None:
    """Sending a draft finalizes it and takes the next number of the pattern."""
    first = await _finalize(billing, access)
    draft = await create(billing, access)
    sent = await billing.invoices.send(access, draft.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    assert first.number is not None
    assert sent.number is not None
    assert int(sent.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1


async def test_the_year_comes_from_the_issue_date(billing: Billing, access: WorkspaceAccess) -> None:
    """Each issue year has its own sequence: 2024 and 2025 invoices both start at 0001."""
    a = await _finalize(billing, access, issue_date=dt.date(2024, 12, 31), due_date=dt.date(2025, 1, 30))
    b = await _finalize(billing, access, issue_date=dt.date(2025, 1, 1), due_date=dt.date(2025, 1, 31))
    c = await _finalize(billing, access, issue_date=dt.date(2024, 6, 1), due_date=dt.date(2024, 7, 1))
    assert (a.number, b.number, c.number) == ("INV-2024-0001", "INV-2025-0001", "INV-2024-0002")


async def test_explicit_number_is_kept_at_finalize(billing: Billing, access: WorkspaceAccess) -> None:
    """A number set by hand on the draft is kept when it is finalized, and the counter is
    not consumed by it."""
    out = await _finalize(billing, access, number="2026/017")
    assert out.number == "2026/017"
    assert (await _finalize(billing, access)).number == f"INV-{out.issue_date.year}-0001"


async def test_the_counter_steps_over_a_number_taken_by_hand(billing: Billing, access: WorkspaceAccess) -> None:
    """When someone typed the next pattern number by hand, finalize skips it."""
    year = today_in(access.workspace).year
    manual = await create(billing, access, number=f"INV-{year}-0002")
    assert manual.number == f"INV-{year}-0002"
    numbers = [(await _finalize(billing, access)).number for _ in range(2)]
    assert numbers == [f"INV-{year}-0001", f"INV-{year}-0003"]


async def test_a_rolled_back_finalization_gives_its_number_back(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """Numbers are gapless: a finalization that is rolled back does not consume its number."""
    drafts = [await create(billing, access) for _ in range(2)]
    await billing.session.commit()
    slug = access.workspace.slug
    async with fresh_billing(db) as first:
        out = await first.invoices.finalize(await first.access(access.principal, slug), drafts[0].uuid)
        assert isinstance(out, InvoiceOut)
        taken = out.number
        await first.session.rollback()
    async with fresh_billing(db) as second:
        out = await second.invoices.finalize(await second.access(access.principal, slug), drafts[1].uuid)
        assert isinstance(out, InvoiceOut)
        await second.session.commit()
    assert out.number == taken == f"INV-{out.issue_date.year}-0001"


async def test_each_workspace_has_its_own_sequence(billing: Billing, access: WorkspaceAccess) -> None:
    """Two workspaces both start at 0001: counters and uniqueness are per workspace."""
    from tests.conftest import make_workspace

    other = await make_workspace(billing, access.principal)
    a = await _finalize(billing, access)
    b = await _finalize(billing, other)
    assert a.number == b.number == f"INV-{a.issue_date.year}-0001"


async def test_suggest_number_proposes_the_next_pattern_number(billing: Billing, access: WorkspaceAccess) -> None:
    """suggest_number gives the number the next finalization would take, without taking it."""
    year = today_in(access.workspace).year
    first = await billing.invoices.suggest_number(access)
    assert (first.number, first.source) == (f"INV-{year}-0001", "pattern")
    assert (await billing.invoices.suggest_number(access)).number == first.number
    done = await _finalize(billing, access)
    assert done.number == first.number
    assert (await billing.invoices.suggest_number(access)).number == f"INV-{year}-0002"


async def test_suggest_number_steps_over_taken_numbers(billing: Billing, access: WorkspaceAccess) -> None:
    """A hand-typed pattern number is skipped by the suggestion too."""
    year = today_in(access.workspace).year
    await create(billing, access, number=f"INV-{year}-0001")
    suggestion = await billing.invoices.suggest_number(access)
    assert (suggestion.number, suggestion.source) == (f"INV-{year}-0002", "pattern")


async def test_suggest_number_continues_a_foreign_pattern(billing: Billing, access: WorkspaceAccess) -> None:
    """When the workspace's latest number follows another pattern (2026/017), the
    suggestion continues it (2026/018), skipping numbers already used."""
    await _finalize(billing, access, number="2026/017")
    suggestion = await billing.invoices.suggest_number(access)
    assert (suggestion.number, suggestion.source) == ("2026/018", "continues 2026/017")
    await create(billing, access, number="2026/018", title="typed ahead")
    # The newest number is now 2026/018 itself: the suggestion moves on to 2026/019.
    assert (await billing.invoices.suggest_number(access)).number == "2026/019"


async def test_custom_pattern_from_workspace_settings(billing: Billing, access: WorkspaceAccess) -> None:
    """A pattern set through WorkspaceSettingsUpdate numbers the next finalizations."""
    slug = access.workspace.slug
    settings = await billing.workspaces.update_settings(
        access.principal, slug, WorkspaceSettingsUpdate(number_pattern=" {YY}{MM}-{SEQ:3} ")
    )
    assert settings.number_pattern == "{YY}{MM}-{SEQ:3}"
    access = await billing.access(access.principal, slug)
    suggestion = await billing.invoices.suggest_number(access)
    today = today_in(access.workspace)
    assert suggestion.number == today.strftime("%y%m") + "-001"
    april = dt.date(2026, 4, 10)
    outs = [await _finalize(billing, access, issue_date=april, due_date=april) for _ in range(2)]
    assert [o.number for o in outs] == ["2604-001", "2604-002"]


@pytest.mark.parametrize("pattern", ["INV-{YYYY}", "{FOO}-{SEQ}", "{SEQ}{SEQ}", "Y" * 62 + "{SEQ}"])
async def test_invalid_patterns_are_refused_by_settings(
    billing: Billing, access: WorkspaceAccess, pattern: str
) -> None:
    """Settings refuse a bad pattern on number_pattern and keep the old one."""
    with pytest.raises(ValidationFailed) as refused:
        await billing.workspaces.update_settings(
            access.principal, access.workspace.slug, WorkspaceSettingsUpdate(number_pattern=pattern)
        )
    assert refused.value.errors[0]["field"] == "number_pattern"
    out = await billing.workspaces.get_out(access.principal, access.workspace.slug)
    assert out.number_pattern == numbering.DEFAULT_PATTERN


async def test_explicit_number_change_on_a_draft_is_checked(billing: Billing, access: WorkspaceAccess) -> None:
    """An unfinalized draft may take a new explicit number; it is trimmed and validated."""
    draft = await create(billing, access)
    updated = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(number="  Q1/2026-03 "))
    assert isinstance(updated, InvoiceOut)
    assert updated.number == "Q1/2026-03"
    with pytest.raises(ValidationFailed):
        await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(number="bad*number"))


async def test_refused_settings_update_applies_none_of_its_fields(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """A settings update with one bad field (the pattern) changes nothing, even when the
    caller's unit of work is committed afterwards."""
    slug = access.workspace.slug
    before = await billing.workspaces.get_out(access.principal, slug)
    with pytest.raises(ValidationFailed) as refused:
        await billing.workspaces.update_settings(
            access.principal, slug, WorkspaceSettingsUpdate(name="Renamed", payment_terms_days=7, number_pattern="{X}")
        )
    assert refused.value.errors[0]["field"] == "number_pattern"
    await billing.session.commit()
    async with fresh_billing(db) as other:
        after = await other.workspaces.get_out(access.principal, slug)
    assert (after.name, after.payment_terms_days, after.number_pattern) == (
        before.name,
        before.payment_terms_days,
        numbering.DEFAULT_PATTERN,
    )

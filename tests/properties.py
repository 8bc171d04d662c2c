"""What the property-based tests of REST (tests/api/test_properties_rest.py) and MCP
(tests/mcp/test_properties_mcp.py) share: hypothesis strategies for each kind of field, each
as a pair of what a careful caller sends (``valid``) and what a careless or hostile one sends
(``hostile``: wrong types, huge and negative numbers, Decimal strings with many digits,
exponents, NaN and Infinity, over-long strings, odd Unicode, impossible dates); the profile
every property test runs with; a JSON writer that sends exactly the tokens a test means; and
the money rules an answered invoice must keep to.

Profiles (the same for both faces):

- Quick (the default, what CI runs): ``BILLCRAFT_PROPERTY_EXAMPLES`` unset, each property
  test runs its own small number of examples, derandomized: every run sends the same
  requests, so CI does not flip on a lucky draw and a failure reproduces by running again.
- Long: ``BILLCRAFT_PROPERTY_EXAMPLES=500 uv run pytest tests/api/test_properties_rest.py
  tests/mcp/test_properties_mcp.py`` (add ``BILLCRAFT_TEST_DATABASE=postgresql`` for
  PostgreSQL) runs that many examples per property test, randomly, so each long run
  explores new input. A failure prints its shrunk example and a ``@reproduce_failure``
  blob that replays it; ``BILLCRAFT_PROPERTY_SEED=<n>`` fixes the seed, so that a long run
  can be repeated exactly (on the other database, say).

No example database is kept (``.hypothesis/`` holds only hypothesis' own caches): a quick
run needs none, and a long run's failures are replayed by their blob or seed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from iso4217 import Currency

EXAMPLES_ENV = "BILLCRAFT_PROPERTY_EXAMPLES"
SEED_ENV = "BILLCRAFT_PROPERTY_SEED"

F = TypeVar("F", bound=Callable[..., Any])


def long_run() -> bool:
    return bool(os.environ.get(EXAMPLES_ENV) or os.environ.get(SEED_ENV))


def examples(quick: int) -> int:
    """How many examples a property test runs: ``quick`` in CI, the profile's count otherwise."""
    return int(os.environ.get(EXAMPLES_ENV) or quick)


def profile(quick: int) -> settings:
    """The hypothesis settings of a property test that runs ``quick`` examples in CI.

    Each example talks to a real server and database, so there is no deadline; the tests
    share one caller (and its workspace) across their examples on purpose, hence the
    function-scoped-fixture check is off; hostile bodies are large by design."""
    return settings(
        max_examples=examples(quick),
        deadline=None,
        derandomize=not long_run(),
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


def replayable(test: F) -> F:
    """Applies ``BILLCRAFT_PROPERTY_SEED`` when it is set (a long run's seed, to replay it)."""
    value = os.environ.get(SEED_ENV)
    return seed(int(value))(test) if value else test


# --- JSON exactly as meant --------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text sent as it is (a bare ``NaN``, a number with 500 digits)."""

    text: str


def to_json(value: Any) -> str:
    """JSON text of ``value`` with every string escaped to ASCII (so a lone surrogate goes
    out as ``\\ud800``, the way a JavaScript client would send it), a ``Decimal`` written as
    a number token with all its digits, and floats as Python writes them (``NaN`` and
    ``Infinity`` come out bare: not JSON)."""
    if isinstance(value, Raw):
        return value.text
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no JSON for {value!r}")


def from_json(text: str) -> Any:
    """What a JSON text means, numbers as exact ``Decimal`` (the server reads them that way)."""
    return json.loads(text, parse_float=Decimal)


# --- text -------------------------------------------------------------------------------------

NUL = "\x00"
LONE_SURROGATES = ["\ud800", "\udfff", "a\udc00b", "\udbff\u0041"]
# Each of these has broken somebody's server: control characters, marks that turn text
# around, characters that change length when upper-cased, whitespace that str.strip()
# knows and others do not, code points outside the BMP, injection classics.
ODD_PIECES = [
    NUL,
    "a\x00b",
    "\x07\x1b[31m",
    "\r\n",
    "\t",
    "\x7f",
    "\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\u200b",
    "\u200d",
    "\u2028",
    "\u2029",
    "\x85",
    "\x1c",
    "\u3000",
    "\xa0",
    "👩\u200d👩\u200d👧\u200d👦",
    "🇫🇷",
    "👍🏽",
    "e" + "\u0301" * 40,
    "Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307",
    "ß",
    "ﬃ",
    "İ",
    "ǅ",
    "Ω",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",
    "\U0010ffff",
    "\ufffe",
    "\uffff",
    "\ue000",
    "\u0662\u0660\u0662\u0666",
    "\uff11\uff12\uff13",
    "'; DROP TABLE invoices; --",
    "<script>alert(1)</script>",
    "%_\\",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "../../etc/passwd",
    "null",
    "   ",
]


def odd_text(*, surrogates: bool, max_pieces: int = 6) -> st.SearchStrategy[str]:
    """Short strings stitched from odd pieces and arbitrary characters."""
    pieces: list[str] = ODD_PIECES + (LONE_SURROGATES if surrogates else [])
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=6)), min_size=1, max_size=max_pieces).map(
        "".join
    )


def plain_text(max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text a person types (letters in any script, digits, punctuation, spaces, emoji)."""
    alphabet = st.characters(categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\x00")
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def nonblank(text: str) -> bool:
    return bool(text.strip())


def at_limit(limit: int) -> st.SearchStrategy[str]:
    """Exactly ``limit`` characters, in one- and four-byte characters alike."""
    return st.sampled_from(["x" * limit, "😀" * limit, "é" * limit, ("Ab " * limit)[: limit - 1] + "z"])


def over_limit(limit: int) -> st.SearchStrategy[str]:
    """Past the limit by one, by a little, or by a lot; ASCII or emoji."""
    return st.builds(
        lambda extra, char: char * (limit + extra),
        st.sampled_from([1, 2, 17, limit + 1, 10 * limit]),
        st.sampled_from(["x", "😀", " ", "e\u0301"]),
    )


# --- wrong types --------------------------------------------------------------------------


def wrong_types(*, but: Sequence[type] = ()) -> st.SearchStrategy[Any]:
    """JSON values of every type except those in ``but``."""
    options: list[st.SearchStrategy[Any]] = []
    kinds: list[tuple[type, st.SearchStrategy[Any]]] = [
        (type(None), st.none()),
        (bool, st.booleans()),
        (int, st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)])),
        (float, st.floats(allow_nan=False, allow_infinity=False)),
        (str, st.sampled_from(["", "true", "0", "[]"])),
        (list, st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3)),
        (dict, st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)),
    ]
    for kind, strategy in kinds:
        if kind not in but:
            options.append(strategy)
    return st.one_of(*options)


# --- fields ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """What a careful caller sends in a field, and what a hostile one does."""

    valid: st.SearchStrategy[Any]
    hostile: st.SearchStrategy[Any]


def text_field(
    limit: int, *, surrogates: bool, required: bool = False, nullable: bool = False, valid: Any = None
) -> Field:
    """A string of at most ``limit`` characters (not blank when ``required``)."""
    careful = valid if valid is not None else plain_text(min(limit, 40), min_size=1 if required else 0)
    if required and valid is None:
        careful = careful.filter(nonblank)
    good = st.one_of(careful, at_limit(limit)) if valid is None else careful
    bad: list[st.SearchStrategy[Any]] = [
        odd_text(surrogates=surrogates),
        over_limit(limit),
        wrong_types(but=(str, type(None)) if nullable else (str,)),
    ]
    if required:
        bad.append(st.sampled_from(["", " ", "\t\n", "\u3000", "\u200b"]))
    return Field(good, st.one_of(*bad))


DECIMAL_STRINGS = [
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999999999",
    "1E+999999999999999999",
    "1e1000000000000000000",
    "1e-999999999",
    "-1e-999999999",
    "0E-1000",
    "0E+1000",
    "-0",
    "123456789012345678901234567890.123456789012345678901234567890",
    "0." + "0" * 60 + "1",
    "9" * 120,
    "1" + "0" * 40 + "E-40",
    "0.00001",
    "1.23456",
    " 12 ",
    "1_000",
    "\u0661\u0662\u0663",
    "\uff11\uff12",
    "0x1A",
    "1,5",
    "1.5.5",
    "",
    " ",
    "+1",
    ".5",
    "5.",
    "1e",
    "e5",
    "--1",
    "½",
    "Ⅻ",
    "10%",
    "$10",
    "1\x00",
    "-5",
    "-0.01",
]
DECIMAL_TOKENS = [
    Decimal("1E+400"),
    Decimal("-1E+400"),
    Decimal("1E-400"),
    Decimal("123456789012345678901234567890.12345678901234567890"),
    Decimal("-0"),
    Decimal("0.00001"),
    Decimal("1000000000000"),
    Decimal("-1"),
    Raw("1" * 500),
    Raw("0." + "0" * 500 + "1"),
]


def decimal_field(low: Decimal, high: Decimal, *, places: int = 4, json_tokens: bool, low_open: bool = False) -> Field:
    """A number in [low, high] with at most ``places`` decimals, sent as a JSON number or a
    string; hostile: out of range, too precise, not finite, not a number, not a scalar."""
    lowest = low + Decimal(1).scaleb(-places) if low_open else low
    number = st.decimals(min_value=lowest, max_value=high, places=places, allow_nan=False, allow_infinity=False)
    forms: list[Callable[[Decimal], Any]] = [str, lambda d: int(d) if d == d.to_integral_value() else str(d)]
    if json_tokens:
        forms.append(lambda d: d)
    good = st.builds(lambda d, form: form(d), number, st.sampled_from(forms))
    bad: list[st.SearchStrategy[Any]] = [
        st.sampled_from(DECIMAL_STRINGS),
        wrong_types(but=(int, float)),
        st.integers(min_value=-(10**40), max_value=10**40).map(lambda n: n if n < low or n > high else -n - 1),
        st.floats(allow_nan=False, allow_infinity=False),
    ]
    if json_tokens:
        bad.append(st.sampled_from(DECIMAL_TOKENS))
    return Field(good, st.one_of(*bad))


EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
DATE_STRINGS = [
    "2026-02-30",
    "2026-02-29",
    "2026-06-31",
    "2026-00-10",
    "2026-12-32",
    "2026-13-01",
    "0000-01-01",
    "0001-01-01",
    "1999-12-31",
    "2101-01-01",
    "9999-12-31",
    "10000-01-01",
    "+10000-01-01",
    "-2026-01-01",
    "2026-1-1",
    "20260101",
    "2026/01/01",
    "01/02/2026",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01 ",
    " 2026-01-01",
    "2026\u201001\u201001",
    "\uff12\uff10\uff12\uff16-\uff10\uff11-\uff10\uff11",
    "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661",
    "2026-W01-1",
    "2026-069",
    "1700000000",
    "tomorrow",
    "",
    "2026-01-01\x00",
]


def date_field(first: dt.date = EARLIEST, last: dt.date = LATEST, *, nullable: bool = False) -> Field:
    good = st.dates(min_value=first, max_value=last).map(dt.date.isoformat)
    bad: list[st.SearchStrategy[Any]] = [
        st.sampled_from(DATE_STRINGS),
        st.sampled_from([1_700_000_000, 1.7e9, -1, 0]),
        st.dates().map(dt.date.isoformat),
        wrong_types(but=(str, type(None)) if nullable else (str,)),
    ]
    return Field(good, st.one_of(*bad))


def uuid_field(known: Sequence[str], *, nullable: bool = False) -> Field:
    """One of ``known`` (real rows), or a UUID that names nothing, or not a UUID at all."""
    good: st.SearchStrategy[Any] = st.sampled_from(list(known)) if known else st.uuids().map(str)
    odd = [
        "00000000-0000-0000-0000-000000000000",
        "acme",
        "",
        "{" + str(uuid.UUID(int=1)) + "}",
        "urn:uuid:" + str(uuid.UUID(int=2)),
        uuid.UUID(int=3).hex,
        str(uuid.UUID(int=4)).upper(),
        str(uuid.UUID(int=5))[:-1],
        str(uuid.UUID(int=6)) + "\x00",
    ]
    bad = st.one_of(
        st.uuids().map(str), st.sampled_from(odd), wrong_types(but=(str, type(None)) if nullable else (str,))
    )
    return Field(good, bad)


def choice_field(allowed: Sequence[str], *, surrogates: bool) -> Field:
    """One of a few words (a status, a role): hostile, other words and odd spellings."""
    spellings = [w.upper() for w in allowed] + [f" {w}" for w in allowed] + [w + NUL for w in allowed]
    bad = st.one_of(st.sampled_from(spellings), odd_text(surrogates=surrogates), wrong_types(but=(str,)))
    return Field(st.sampled_from(list(allowed)), bad)


def bool_field() -> Field:
    return Field(
        st.booleans(), st.one_of(st.sampled_from(["true", "false", "yes", 0, 1, "", "TRUE"]), wrong_types(but=(bool,)))
    )


def int_field(low: int, high: int) -> Field:
    bad = st.one_of(
        st.sampled_from([low - 1, high + 1, -(2**63) - 1, 2**64, 10**30, 1.5, "1", "1e3", "NaN"]),
        wrong_types(but=(int,)),
    )
    return Field(st.integers(low, high), bad)


CURRENCIES = {"USD": 2, "EUR": 2, "JPY": 0, "KWD": 3, "CLF": 4, "GBP": 2}


def currency_field(*, surrogates: bool) -> Field:
    good = st.sampled_from([*CURRENCIES, "usd", " eur ", "Jpy"])
    bad = st.one_of(
        st.sampled_from(
            ["XAU", "XXX", "XYZ", "US", "USDD", "€", "\uff35\uff33\uff24", "ßus", "usd\x00", "EURO", "", "123"]
        ),
        odd_text(surrogates=surrogates),
        wrong_types(but=(str,)),
    )
    return Field(good, bad)


def email_field(*, surrogates: bool, limit: int = 320) -> Field:
    local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+", min_size=1, max_size=12).filter(
        lambda s: s[0] not in "._+" and s[-1] not in "._+" and ".." not in s
    )
    good = st.builds(lambda name, domain: f"{name}@{domain}", local, st.sampled_from(["client.example", "example.com"]))
    bad = st.one_of(
        st.sampled_from(
            [
                "not-an-email",
                "@example.com",
                "a@",
                "a@@b.example",
                "a b@c.example",
                "a@b",
                "İ@example.com",
                "a\x00@b.example",
            ]
        ),
        st.builds(lambda n: "a" * n + "@example.com", st.sampled_from([limit - 11, limit])),
        odd_text(surrogates=surrogates),
        wrong_types(but=(str,)),
    )
    return Field(good, bad)


def unknown_keys(taken: Sequence[str]) -> st.SearchStrategy[str]:
    """A field name the input does not have: a typo, a total, or odd text."""
    typos = ["titel", "due_dat", "total", "amount_paid", "status", "id", "uuid", "__proto__", "constructor", ""]
    return st.one_of(st.sampled_from(typos), st.text(max_size=8)).filter(lambda k: k not in taken)


@dataclass
class Drawn:
    """A generated body and the fields in it that may be wrong (hostile values, missing
    required fields, unknown names): a refusal that names a field must name one of these."""

    body: dict[str, Any]
    suspects: set[str]


@st.composite
def body_of(draw: st.DrawFn, fields: dict[str, Field], required: Sequence[str] = (), *, min_fields: int = 0) -> Drawn:
    """A JSON object for ``fields``: all careful, exactly one hostile field (so the refusal
    must name it), or a free mix with missing required fields and unknown names."""
    mode = draw(st.sampled_from(["careful", "careful", "one", "one", "mix"]))
    names = list(fields)
    body: dict[str, Any] = {}
    suspects: set[str] = set()
    bad_one = draw(st.sampled_from(names)) if mode == "one" else None
    for name in names:
        if name == bad_one:
            body[name] = draw(fields[name].hostile)
            suspects.add(name)
            continue
        if mode == "mix":
            how = draw(st.sampled_from(["absent", "careful", "hostile"]))
        else:
            present = name in required or draw(st.integers(0, 2)) > 0 or len(body) < min_fields
            how = "careful" if present else "absent"
        if how == "absent":
            if name in required:
                suspects.add(name)
            continue
        body[name] = draw(fields[name].valid if how == "careful" else fields[name].hostile)
        if how == "hostile":
            suspects.add(name)
    if mode == "mix" and draw(st.booleans()):
        key = draw(unknown_keys(names))
        body[key] = draw(st.one_of(st.integers(), st.text(max_size=5)))
        suspects.add(key)
    return Drawn(body, suspects)


# --- money ------------------------------------------------------------------------------------

PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def check_money(invoice: dict[str, Any]) -> None:
    """Every amount is a string with exactly the currency's digits (ISO 4217), and each is
    what the rules make of the items: line = quantity x unit price rounded half-up less its
    discount (a percent of that, rounded half-up), the line's own tax = line x rate / 100
    rounded half-up; a percent allowance or charge = that percent of its VAT group's lines,
    rounded half-up; the invoice's tax = each VAT group's (category and rate) lines less
    allowances plus charges, x rate / 100, rounded half-up once per group (EN 16931);
    balance = total - paid - credit notes, below zero a refund due. Quantities and prices are
    plain decimals (never ``1E+3``)."""
    digits = Currency(invoice["currency"]).exponent
    assert digits is not None
    step = Decimal(1).scaleb(-digits)
    shape = re.compile(rf"^\d+\.\d{{{digits}}}$" if digits else r"^\d+$")

    def money(value: Decimal) -> str:
        return f"{value:.{digits}f}"

    def percent_of(base: Decimal, percent: str) -> Decimal:
        return (base * Decimal(percent) / 100).quantize(step, ROUND_HALF_UP)

    subtotal = Decimal(0)
    lines: dict[tuple[str, Decimal], Decimal] = {}
    for i, item in enumerate(invoice["items"]):
        assert PLAIN_NUMBER.match(item["quantity"]), item
        assert PLAIN_NUMBER.match(item["unit_price"]), item
        gross = (Decimal(item["quantity"]) * Decimal(item["unit_price"])).quantize(step, ROUND_HALF_UP)
        if item["discount_percent"] is not None:
            assert item["discount"] == money(percent_of(gross, item["discount_percent"])), f"items[{i}]: {item}"
        amount = gross - Decimal(item["discount"])
        category = item["tax_category"]
        rate = Decimal(0)
        if category == "S":
            rate = Decimal(item["tax_rate"] if item["tax_rate"] is not None else invoice["tax_rate"])
        line_tax = (amount * rate / 100).quantize(step, ROUND_HALF_UP)
        assert (item["amount"], item["tax_amount"]) == (money(amount), money(line_tax)), f"items[{i}]: {item}"
        subtotal += amount
        lines[category, rate] = lines.get((category, rate), Decimal(0)) + amount
    taxable = dict(lines)
    allowances = charges = Decimal(0)
    for adjustment in invoice["adjustments"]:
        sign = -1 if adjustment["kind"] == "allowance" else 1
        for part in adjustment["parts"]:
            key = (part["tax_category"], Decimal(part["tax_rate"]))
            if adjustment["percent"] is not None:
                assert part["base"] == money(lines[key]), adjustment
                assert part["amount"] == money(percent_of(lines[key], adjustment["percent"])), adjustment
            taxable[key] = taxable.get(key, Decimal(0)) + sign * Decimal(part["amount"])
            if sign < 0:
                allowances += Decimal(part["amount"])
            else:
                charges += Decimal(part["amount"])
    groups = {(g["tax_category"], Decimal(g["tax_rate"])): g for g in invoice["vat_breakdown"]}
    assert set(groups) == set(taxable), (groups, taxable)
    tax = Decimal(0)
    for key, net in taxable.items():
        group_tax = (net * key[1] / 100).quantize(step, ROUND_HALF_UP)
        assert (groups[key]["taxable_amount"], groups[key]["tax_amount"]) == (money(net), money(group_tax)), key
        tax += group_tax
    paid = sum((Decimal(p["amount"]) for p in invoice["payments"]), Decimal(0))
    credited = sum((Decimal(n["total"]) for n in invoice["credit_notes"]), Decimal(0))
    total = subtotal - allowances + charges + tax
    balance = total - paid - credited
    expected = {
        "subtotal": money(subtotal),
        "allowance_total": money(allowances),
        "charge_total": money(charges),
        "net_total": money(subtotal - allowances + charges),
        "tax_amount": money(tax),
        "total": money(total),
        "amount_paid": money(paid),
        "credited": money(credited),
        "balance_due": money(max(balance, Decimal(0))),
        "refund_due": money(max(-balance, Decimal(0))),
    }
    assert {k: invoice[k] for k in expected} == expected
    for name in expected:
        assert shape.match(invoice[name]), (name, invoice[name])

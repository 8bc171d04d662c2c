"""Property-based bad input over MCP: hypothesis generates the arguments of every tool the
served process lists (the action-style ``workspace``, ``client`` and ``invoice`` tools, each
action with the arguments it takes or others, and the 18 granular tools), from each tool's
live input schema: careful values and hostile ones (tests/properties.py: wrong types,
missing and unknown arguments, huge and negative numbers, Decimal strings with many digits,
exponents, NaN and Infinity, more than MAX_ITEMS items, over-long strings, NUL, RTL marks,
emoji, combining characters, year 0 and 10000, Feb 30, timestamps), sent by the SDK's own
client over Streamable HTTP to a real ``billcraft serve``.

The properties, for every generated call:

- it returns a result: no protocol error and no exception in the client session;
- a refusal is a tool error (``isError``) with one readable text that carries the structured
  error's ``code`` and ``detail``; never ``internal_error`` (the server's word for a crash);
  a ``validation_error`` names an argument the call could be wrong about (a hostile, missing
  or unknown one, never one that was sent carefully);
- a refused call that would create an invoice creates none;
- a success carries ``structuredContent`` and the same JSON as text, and an invoice in it
  keeps the money rules (exact Decimal amounts, half-up per line);
- the server is still up afterwards (``/health``, and a tool call that works).

Lone surrogates cannot go through the SDK client (it refuses to encode them), so one test
posts JSON-RPC with escaped surrogates itself.

Each property test keeps one MCP session (one SDK client) for all its examples. The session
is entered and left in the test's own task, so hypothesis runs in a worker thread and hands
each example to the test's event loop (``run_examples``): an anyio cancel scope must be left
in the task that entered it, and pytest-asyncio runs each example of an async @given test as
a task of its own. Each bug found is also kept as a plain test of its own at the end.
Examples per test: ``QUICK``; the profiles (CI's quick derandomized one,
``BILLCRAFT_PROPERTY_EXAMPLES=<n>`` for a long random run, its seed fixed with
``BILLCRAFT_PROPERTY_SEED``) are described in tests/properties.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import mcp_types as types
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client

from app.mcp.catalogue import ACTION_TOOLS as ACTION_SPECS
from tests.api.einvoice_support import KIT
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import (
    ACTION_TOOLS,
    GRANULAR_TOOLS,
    THREE_ITEMS,
    call,
    invoice,
    ok,
    plain,
    refused,
    text_of,
    truly_required,
)
from tests.properties import (
    Drawn,
    Field,
    body_of,
    bool_field,
    check_money,
    choice_field,
    currency_field,
    date_field,
    decimal_field,
    email_field,
    int_field,
    odd_text,
    profile,
    replayable,
    text_field,
    uuid_field,
    wrong_types,
)

T = TypeVar("T")

# Examples per test in the quick (CI) profile.
QUICK = {"actions": 80, "granular": 100}
SURROGATES = False  # the SDK client refuses to encode them; test_escaped_surrogates_... sends them
# The string limits of the domain's input structs (app/domain/schemas.py), by argument name.
LIMITS = {
    "title": 200,
    "name": 200,
    "notes": 5000,
    "message": 5000,
    "reason": 1000,
    "payment_method": 100,
    "search": 200,
    "phone": 64,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "postal_code": 32,
    "region": 100,
    "tax_number": 64,
    "website": 300,
    "legal_name": 200,
    "address": 5000,
    "tax_id": 64,
    "payment_instructions": 5000,
    "exemption_reason": 500,
    "idempotency_key": 255,
    "number": 64,
}
REQUIRED_TEXT = {"title", "name"}
CREATING = {"create_invoice", "duplicate_invoice", "create_invoice_from_previous"}


# --- what the calls aim at --------------------------------------------------------------------


@dataclass
class Targets:
    """Real rows of the account's workspace the generated uuids mostly point at: a client
    with an email, and its invoices: two drafts, a finalized draft, a sent and a paid one
    (the examples move them along)."""

    slug: str
    client_uuid: str
    invoices: list[str]

    @classmethod
    async def make(cls, client: Client, slug: str) -> Targets:
        acme = await call(client, "save_client", company_slug=slug, name="Acme", email="ap@acme.example")
        made = []
        for steps in ([], [], ["finalize_invoice"], ["send_invoice"], ["send_invoice", "mark_invoice_paid"]):
            draft = await invoice(
                client, "create", slug, title="Target", client_uuid=acme["uuid"], items=THREE_ITEMS, tax_rate=10
            )
            for step in steps:
                await call(client, step, company_slug=slug, uuid=draft["uuid"])
            made.append(draft["uuid"])
        return cls(slug, acme["uuid"], made)


# --- arguments from the live schemas --------------------------------------------------------------


def items_field(max_items: int) -> Field:
    item = {
        "description": text_field(500, surrogates=SURROGATES, required=True),
        "quantity": decimal_field(Decimal(0), Decimal(1000), json_tokens=False, low_open=True),
        "unit_price": decimal_field(Decimal(0), Decimal(1_000_000), json_tokens=False),
        "tax_rate": decimal_field(Decimal(0), Decimal(100), json_tokens=False),
    }
    required = ("description", "quantity", "unit_price")
    careful_item = st.fixed_dictionaries(
        {name: item[name].valid for name in required}, optional={"tax_rate": item["tax_rate"].valid}
    )
    hostile_item = body_of(item, required).map(lambda drawn: drawn.body)
    hostile = st.one_of(
        st.lists(st.one_of(careful_item, hostile_item), min_size=1, max_size=3),
        st.builds(lambda n, line: [line] * n, st.integers(max_items + 1, max_items + 3), careful_item),
        st.lists(wrong_types(but=(dict,)), min_size=1, max_size=2),
        wrong_types(but=(list, type(None))),
    )
    return Field(st.lists(careful_item, max_size=3), hostile)


def adjustments_field(max_items: int) -> Field:
    """Allowances and charges: careful, one of each at most, a percent taken from each VAT
    group (never more than its lines); hostile, a kind, reason or figure the rules refuse."""
    percent = decimal_field(Decimal(0), Decimal(100), places=2, json_tokens=False, low_open=True)
    reason = text_field(200, surrogates=SURROGATES, required=True)

    def one(kind: str) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries({"kind": st.just(kind), "reason": reason.valid, "percent": percent.valid})

    careful = st.one_of(
        st.just([]), st.tuples(one("allowance")).map(list), st.tuples(one("charge")).map(list),
        st.tuples(one("allowance"), one("charge")).map(list),
    )  # fmt: skip
    bad_one = st.one_of(
        st.fixed_dictionaries({"kind": st.sampled_from(["discount", "", "ALLOWANCE"]), "reason": reason.valid,
                               "percent": percent.valid}),
        st.fixed_dictionaries({"kind": st.just("allowance"), "percent": percent.valid}),  # no reason
        st.fixed_dictionaries({"kind": st.just("charge"), "reason": reason.valid, "percent": percent.valid,
                               "amount": st.just("1")}),  # both figures
        st.fixed_dictionaries({"kind": st.just("allowance"), "reason": reason.valid, "percent": percent.hostile}),
        st.fixed_dictionaries({"kind": st.just("charge"), "reason": reason.valid, "percent": percent.valid,
                               "tax_category": st.sampled_from(["X", "E", "ZZ"])}),
        wrong_types(but=(dict,)),
    )  # fmt: skip
    hostile = st.one_of(
        st.lists(bad_one, min_size=1, max_size=2),
        st.lists(one("charge"), min_size=max_items + 1, max_size=max_items + 2),
        wrong_types(but=(list, type(None))),
    )
    return Field(careful, hostile)


def field_for(tool: str, name: str, schema: dict[str, Any], targets: Targets) -> Field:
    """Careful and hostile values for one argument, by its name and its schema's type."""
    if name == "tax_category":  # careful: the categories that need no VAT ID and no reason
        return Field(
            st.sampled_from(["S", "Z", "G", "O"]),
            st.one_of(st.sampled_from(["X", "SS", "E1", "", "S\x00"]), wrong_types(but=(str, type(None)))),
        )
    if name == "exemption_code":
        return Field(
            st.sampled_from(["VATEX-EU-132-1I", "VATEX-EU-309", None]),
            st.one_of(st.sampled_from(["VAT-1", "VATEX", "x" * 41, "VATEX EU 1"]), wrong_types(but=(str, type(None)))),
        )
    if name == "adjustments":
        return adjustments_field(int(schema["maxItems"]))
    if "enum" in schema:
        return choice_field(schema["enum"], surrogates=SURROGATES)
    kind = schema.get("type")
    if name == "company_slug":
        return Field(
            st.just(targets.slug),
            st.one_of(st.sampled_from(["no-such-workspace", targets.slug.upper(), f" {targets.slug}", ""]),
                      odd_text(surrogates=SURROGATES), wrong_types(but=(str, type(None)))),
        )  # fmt: skip
    if name == "uuid":
        if tool in ("client", "save_client"):
            return uuid_field([targets.client_uuid])
        if tool == "get_invoice_pdf":  # a real invoice would be printed by Chromium: aim beside it
            return Field(st.uuids().map(str), uuid_field([]).hostile)
        return uuid_field(targets.invoices)
    if name == "client_uuid":
        return uuid_field([targets.client_uuid], nullable=True)
    if name == "invoice_uuid":
        return uuid_field(targets.invoices)
    if name == "lines":
        line = st.fixed_dictionaries({"line": st.integers(1, 3)}, optional={"quantity": st.sampled_from([1, "0.5"])})
        return Field(
            st.lists(line, min_size=1, max_size=2),
            st.one_of(
                st.lists(st.fixed_dictionaries({"line": st.sampled_from([0, -1, 201, "one"])}), min_size=1, max_size=2),
                wrong_types(but=(list, type(None))),
            ),
        )
    if name == "user_uuid":  # nobody's: a generated call never takes the owner out of the workspace
        return uuid_field([])
    if name == "vat_currency":  # none set: another would ask generated invoices for a rate at finalize
        return Field(st.just(""), st.sampled_from(["EURO", "XYZ"]))
    if name == "vat_exchange_rate":
        return decimal_field(Decimal(0), Decimal(100), json_tokens=False, low_open=True)
    if name == "iban":
        return Field(
            st.sampled_from(["DE89 3704 0044 0532 0130 00", ""]), st.sampled_from(["DE89370400440532013001", "XX"])
        )
    if name == "bic":
        return Field(st.sampled_from(["COBADEFFXXX", ""]), st.sampled_from(["COBA", "12345678"]))
    if name == "buyer_reference":
        return Field(
            st.sampled_from(["PO-4711", "04011000-1234512345-06"]), st.sampled_from(["04011000-1234512345-07"])
        )
    if name == "electronic_address":
        return Field(st.sampled_from(["0088:4012345000009", ""]), st.sampled_from(["0088:4012345000008", "88:1"]))
    if name in ("einvoice_format", "format"):
        return Field(
            st.sampled_from(["", "xrechnung-ubl", "facturx", "peppol"]),
            st.one_of(st.sampled_from(["edifact", "UBL-2", "x" * 20]), wrong_types(but=(str, type(None)))),
        )
    if name == "encoding":
        return Field(st.sampled_from(["", "base64"]), st.sampled_from(["rot13", "utf-7"]))
    if name == "content":
        sample = (KIT / "samples" / "valid" / "peppol-ubl-invoice.xml").read_text()
        return Field(st.sampled_from([sample]), st.sampled_from(["<x/>", "not xml", "%PDF-1.4 junk", ""]))
    if name == "language":
        return Field(
            st.sampled_from(["", "en", "de", "pt_BR"]),
            st.one_of(st.sampled_from(["xx", "english", "zh"]), wrong_types(but=(str, type(None)))),
        )
    if name == "role":
        return choice_field(["owner", "admin", "member", "viewer"], surrogates=SURROGATES)
    if name in ("issue_date", "date_from", "date_to", "delivery_date", "service_period_start", "service_period_end"):
        return date_field(nullable=True)
    if name == "due_date":
        return date_field(dt.date(2030, 1, 1), nullable=True)
    if name == "payment_date":
        return date_field(dt.date(2020, 1, 1), dt.datetime.now(dt.UTC).date(), nullable=True)
    if name in ("currency", "default_currency"):
        return currency_field(surrogates=SURROGATES)
    if name == "email":
        return email_field(surrogates=SURROGATES)
    if name == "country" and tool in ("update_business_settings", "workspace"):  # not in the EU: see the REST test
        return Field(st.sampled_from(["US", "JP", "CH"]), st.sampled_from(["USA", "1X", "\u00dfa", "u\x00"]))
    if name == "country":
        letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
        return Field(letters, st.sampled_from(["USA", "1X", "\u00dfa", "\u0130s", "u\x00", "Germany"]))
    if name == "timezone":
        return Field(
            st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata"]),
            st.sampled_from(["Mars/Olympus", "", "America", "iso3166.tab", "utc\x00", "/etc/localtime"]),
        )
    if name == "locale":
        return Field(st.sampled_from(["en_US", "fr_FR"]), st.sampled_from(["xx_YY_ZZ", "en-US", "", "\u0130"]))
    if name == "number_pattern":
        return Field(
            st.sampled_from(["INV-{YYYY}-{SEQ:4}", "F{SEQ}"]),
            st.sampled_from(["INV-{YYYY}", "{SEQ}{SEQ}", "{SEQ:99}", "\x00{SEQ}", ""]),
        )
    if name == "number":
        careful = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9 ._/#-]{0,20}\Z").filter(lambda n: ".." not in n)
        return Field(careful, st.sampled_from(["!!", "", "-A1", "A" * 65, "A\x00", "INV\n1", "A/../1"]))
    if name == "idempotency_key":
        return Field(
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=30),
            st.one_of(st.sampled_from(["", "k" * 255, "k" * 256, "k" * 5000, "a\x00b"]), wrong_types(but=(str,))),
        )
    if name == "items":
        return items_field(int(schema["maxItems"]))
    if name == "to":
        emails = email_field(surrogates=SURROGATES)
        return Field(
            st.lists(emails.valid, max_size=3),
            st.one_of(
                st.lists(emails.hostile, min_size=1, max_size=2),
                st.lists(emails.valid, min_size=21, max_size=22),
                wrong_types(but=(list, type(None))),
            ),
        )
    if name == "tax_rate":
        return decimal_field(Decimal(0), Decimal(100), json_tokens=False)
    if name == "early_payment_discount":  # a percent above 0 and below 100, two decimals at most
        return decimal_field(Decimal(0), Decimal("99.99"), places=2, json_tokens=False, low_open=True)
    if name == "amount":
        return decimal_field(Decimal("0.01"), Decimal(1), places=2, json_tokens=False)
    if kind == "integer":
        return int_field(int(schema.get("minimum", 0)), int(schema.get("maximum", 1000)))
    if kind == "boolean":
        return bool_field()
    if kind == "number":
        return decimal_field(Decimal(0), Decimal(100), json_tokens=False)
    required = name in REQUIRED_TEXT
    return text_field(LIMITS.get(name, 200), surrogates=SURROGATES, required=required, nullable=not required)


@dataclass
class ToolCall:
    tool: str
    arguments: dict[str, Any]
    suspects: set[str]

    def __repr__(self) -> str:
        return f"{self.tool}({self.arguments!r})  # suspects: {sorted(self.suspects)}"


def action_call(tool: types.Tool, targets: Targets) -> st.SearchStrategy[ToolCall]:
    """An action-style call: mostly a listed action with the arguments it takes (its required
    ones named when missing), sometimes an argument of another action, or no valid action."""
    properties: dict[str, Any] = tool.input_schema["properties"]
    fields = {
        name: field_for(tool.name, name, plain(sub), targets) for name, sub in properties.items() if name != "action"
    }
    spec = ACTION_SPECS[tool.name]

    @st.composite
    def draw_call(draw: st.DrawFn) -> ToolCall:
        valid = draw(st.integers(0, 7), label="valid action") > 0  # mostly a listed action
        action = draw(st.sampled_from(list(spec.actions)) if valid else fields_action(properties))
        known = spec.actions.get(action) if isinstance(action, str) else None
        if known is None:
            drawn = draw(body_of(fields))
            return ToolCall(tool.name, {"action": action, **drawn.body}, drawn.suspects | {"action"})
        takes = {"company_slug", *known.required, *known.takes}
        required = [n for n in ("company_slug", *known.required) if n in properties]
        if tool.name == "workspace" and "company_slug" not in known.required:
            required.remove("company_slug")
        drawn = draw(body_of({n: f for n, f in fields.items() if n in takes}, required))
        arguments = {"action": action, **drawn.body}
        suspects = set(drawn.suspects)
        others = sorted(set(fields) - takes)
        if others and draw(st.integers(0, 5)) == 0:
            other = draw(st.sampled_from(others))
            arguments[other] = draw(fields[other].valid)
            suspects.add(other)
        return ToolCall(tool.name, arguments, suspects)

    return draw_call()


def fields_action(properties: dict[str, Any]) -> st.SearchStrategy[Any]:
    """An action that is not one: another word, its spelling changed, or not a string."""
    return choice_field(properties["action"]["enum"], surrogates=SURROGATES).hostile


def granular_call(tool: types.Tool, targets: Targets) -> st.SearchStrategy[ToolCall]:
    properties: dict[str, Any] = tool.input_schema["properties"]
    fields = {name: field_for(tool.name, name, plain(sub), targets) for name, sub in properties.items()}
    required = truly_required(tool.input_schema)
    extra = st.sampled_from(["verbose", "uuid_", "total", "status_", ""]).filter(lambda key: key not in properties)

    @st.composite
    def draw_call(draw: st.DrawFn) -> ToolCall:
        drawn: Drawn = draw(body_of(fields, required))
        arguments, suspects = dict(drawn.body), set(drawn.suspects)
        if draw(st.integers(0, 7)) == 0:
            key = draw(extra)
            arguments[key] = draw(st.one_of(st.booleans(), st.integers()))
            suspects.add(key)
        return ToolCall(tool.name, arguments, suspects)

    return draw_call()


# --- the properties -----------------------------------------------------------------------------


def root(name: str) -> str:
    return re.split(r"[.\[]", name, maxsplit=1)[0]


async def invoice_count(client: Client, slug: str) -> int:
    return int((await invoice(client, "list", slug, per_page=1))["total"])


async def check_call(client: Client, targets: Targets, example: ToolCall) -> None:
    """One generated call: a result, never an exception or a protocol error; a refusal is a
    readable tool error with a code (not internal_error) naming a suspect argument; a refused
    creating call creates nothing; a success has structuredContent equal to its text, with
    money by the rules."""
    creating = example.tool in CREATING or (example.tool == "invoice" and example.arguments.get("action") == "create")
    before = await invoice_count(client, targets.slug) if creating else None
    try:
        await check_answer(client, targets, example, before, await client.call_tool(example.tool, example.arguments))
    except AssertionError as failure:
        failure.add_note(f"the call: {example!r}")  # hypothesis cannot show an example drawn in its thread
        raise


async def check_answer(
    client: Client, targets: Targets, example: ToolCall, before: int | None, result: types.CallToolResult
) -> None:
    if result.is_error:
        text, error = refused(result)
        assert error["code"] != "internal_error", f"the server failed: {text}"
        assert len(text) < 20_000, "a refusal is a message, not a dump"
        named = [str(e["field"]) for e in error.get("errors", []) if e.get("field") is not None]
        if error.get("field") is not None:
            named.append(str(error["field"]))
        if error["code"] == "validation_error":
            assert named, f"a validation error names no argument: {error}"
        # Besides the suspects, what the state of the workspace can make wrong: a number or key
        # already used, a draft without items, a copy's due date past 2100, an empty update, an
        # early-payment discount whose days outlast the invoice's (new or kept) due date, and
        # two dates each fine alone but in the wrong order (date_to before date_from).
        # A delivery date and a service period are one or the other, the period with both ends in order.
        relations = {"body", "number", "idempotency_key", "due_date", "early_payment_days", "date_to"}
        relations |= {"delivery_date", "service_period_start", "service_period_end"}
        # What is left to credit depends on the credit notes earlier examples issued.
        relations |= {"lines", "amount"} if example.tool == "credit_note" else set()
        # An e-invoice follows the settings and the client: a refusal of one names the rules it
        # breaks and their fields (einvoice_invalid), or the format when the client takes none.
        if error["code"] == "einvoice_invalid":
            named = []
        relations |= (
            {"format"} if "einvoice" in example.tool or example.arguments.get("action") == "einvoice" else set()
        )
        allowed = example.suspects | relations
        allowed |= {"items"} if example.tool in ("finalize_invoice", "send_invoice", "invoice") else set()
        for name in named:
            assert {name, root(name)} & allowed, f"the refusal names {name!r}, not one of {sorted(allowed)}: {error}"
        if before is not None:
            assert await invoice_count(client, targets.slug) == before, "a refused call created an invoice"
        return
    value = ok(result)
    for found in invoices_in(value):
        check_money(found)


def invoices_in(value: Any) -> list[dict[str, Any]]:
    """The whole invoices in an answer: itself, a dry run's, a delete's."""
    if not isinstance(value, dict):
        return []
    if {"items", "subtotal", "payments"} <= value.keys():
        return [value]
    return [v for k, v in value.items() if k == "invoice" and isinstance(v, dict) and "subtotal" in v]


async def run_examples(
    strategy: st.SearchStrategy[T], check: Callable[[T], Coroutine[Any, Any, None]], quick: int
) -> None:
    """Run the property ``check`` on ``strategy``'s examples with the quick (or the long)
    profile. Hypothesis runs in a worker thread; each example is checked on this event loop,
    where the MCP session the test opened lives, while this task waits."""
    loop = asyncio.get_running_loop()

    @replayable
    @profile(quick)
    @given(strategy)
    def examples(example: T) -> None:
        asyncio.run_coroutine_threadsafe(check(example), loop).result()

    await asyncio.to_thread(examples)


async def still_up(served: str, client: Client, slug: str) -> None:
    """The server answers /health and a tool call as before."""
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{served}/health")).json() == {"status": "ok"}
    assert (await call(client, "get_business_settings", company_slug=slug))["company_slug"] == slug


async def test_every_action_tool_answers_generated_arguments_with_a_result_or_a_readable_refusal(
    served: str, new_account: NewAccount
) -> None:
    """workspace, client and invoice, each action with generated arguments (careful, hostile,
    missing, unknown, of another action) and unknown actions: every call is answered with a
    result or a readable tool error naming a suspect argument, never a crash; the server is
    still up afterwards."""
    account: Account = await new_account()
    async with http_client(served, account.token) as client:
        tools = [t for t in (await client.list_tools()).tools if t.name in ACTION_TOOLS]
        assert {t.name for t in tools} == ACTION_TOOLS
        targets = await Targets.make(client, account.slug)
        strategy = st.one_of(*(action_call(tool, targets) for tool in tools))
        await run_examples(strategy, lambda example: check_call(client, targets, example), QUICK["actions"])
        await still_up(served, client, account.slug)


async def test_every_granular_tool_answers_generated_arguments_with_a_result_or_a_readable_refusal(
    served: str, new_account: NewAccount
) -> None:
    """The 18 granular tools with generated arguments (careful, hostile, missing, unknown):
    every call is answered with a result or a readable tool error naming a suspect argument,
    never a crash; the server is still up afterwards."""
    account: Account = await new_account()
    async with http_client(served, account.token) as client:
        tools = [t for t in (await client.list_tools()).tools if t.name in GRANULAR_TOOLS]
        assert {t.name for t in tools} == GRANULAR_TOOLS
        targets = await Targets.make(client, account.slug)
        strategy = st.one_of(*(granular_call(tool, targets) for tool in tools))
        await run_examples(strategy, lambda example: check_call(client, targets, example), QUICK["granular"])
        await still_up(served, client, account.slug)


ESCAPED = [r"\ud800", r"\udfff", r"a\udc00b", r"\ud83d", r"\ud83d\ude00", r"\u0000", r"\u202e"]


async def test_escaped_surrogates_and_nul_in_arguments_are_answered_not_crashed_on(served: str, owner: Account) -> None:
    """JSON-RPC posted by hand with lone surrogates, a NUL and an RTL override escaped in the
    arguments of create_invoice and save_client (what a JavaScript client can send, and the
    SDK client cannot): each is answered, by a result, a tool error that is not internal_error
    or a JSON-RPC error, never a 5xx; the server is still up afterwards."""
    headers = {
        "Authorization": f"Bearer {owner.token}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": "2025-11-25",
    }
    async with httpx.AsyncClient(timeout=30, headers=headers) as http:
        for n, escaped in enumerate(ESCAPED):
            for tool, argument in (("create_invoice", "title"), ("save_client", "name")):
                arguments = {"company_slug": owner.slug, argument: "x@@x"}
                message = {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": "tools/call",
                    "params": {"name": tool, "arguments": arguments},
                }
                raw = json.dumps(message).replace("@@", escaped)
                response = await http.post(f"{served}/api/mcp", content=raw.encode())
                assert response.status_code < 500, f"{tool} {escaped}: {response.status_code} {response.text}"
                answer = response.json()
                assert "result" in answer or "error" in answer, answer
                if "result" in answer:
                    result = types.CallToolResult.model_validate(answer["result"])
                    if result.is_error:
                        text, error = refused(result)
                        assert error["code"] != "internal_error", f"{tool} {escaped}: {text}"
                    else:
                        assert text_of(result)
        assert (await http.get(f"{served}/health")).json() == {"status": "ok"}
    async with http_client(served, owner.token) as client:
        await still_up(served, client, owner.slug)


async def test_deeply_nested_or_undecodable_json_rpc_is_answered_not_crashed_on(served: str, owner: Account) -> None:
    """JSON-RPC whose arguments nest 1,000 and 100,000 levels deep, or hold bytes that are
    not UTF-8, is answered below 500 (a JSON-RPC error, or a tool error that is not
    internal_error); the server is still up afterwards."""
    headers = {
        "Authorization": f"Bearer {owner.token}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": "2025-11-25",
    }
    head = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "create_invoice", "arguments": '
    slug = owner.slug.encode()
    bodies = [
        head + b'{"company_slug": "' + slug + b'", "title": "T", "items": ' + b"[" * 1_000 + b"]" * 1_000 + b"}}}",
        head + b'{"company_slug": "' + slug + b'", "title": "T", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}}",
        head + b'{"company_slug": "' + slug + b'", "title": "\xff\xfe"}}}',
        head + b'{"company_slug": "' + slug + b'", "title": "\xed\xa0\x80"}}}',
    ]
    async with httpx.AsyncClient(timeout=30, headers=headers) as http:
        for raw in bodies:
            response = await http.post(f"{served}/api/mcp", content=raw)
            assert response.status_code < 500, f"{raw[:120]!r}: {response.status_code} {response.text[:300]}"
            answer = response.json()
            if "result" in answer and answer["result"].get("isError"):
                assert answer["result"]["structuredContent"]["error"]["code"] != "internal_error", answer
        assert (await http.get(f"{served}/health")).json() == {"status": "ok"}


# (tool, arguments besides company_slug, the argument holding the NUL); "{draft}" and
# "{client}" are filled in with a fresh draft and client of the account.
NUL_ARGUMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("create_invoice", {"title": "a\x00b"}, "title"),
    ("create_invoice", {"title": "T", "items": [{"description": "\x00", "quantity": 1, "unit_price": 1}]}, "items"),
    ("update_invoice", {"uuid": "{draft}", "notes": "\x00"}, "notes"),
    ("cancel_invoice", {"uuid": "{draft}", "reason": "\x00"}, "reason"),
    ("save_client", {"name": "\x00"}, "name"),
    ("save_client", {"uuid": "{client}", "city": "\x00"}, "city"),
    ("update_business_settings", {"legal_name": "\x00"}, "legal_name"),
    ("list_invoices", {"search": "a\x00"}, "search"),
    ("list_clients", {"search": "a\x00"}, "search"),
    ("create_invoice", {"title": "T", "idempotency_key": "k\x00"}, "idempotency_key"),
]


@pytest.mark.parametrize(("tool", "arguments", "field"), NUL_ARGUMENTS, ids=[f"{t}-{f}" for t, _, f in NUL_ARGUMENTS])
async def test_a_nul_character_in_an_argument_is_refused_naming_it_or_stored_never_internal_error(
    served: str, owner: Account, tool: str, arguments: dict[str, Any], field: str
) -> None:
    """A NUL (U+0000) in a text argument is a tool error naming the argument, or is stored
    as sent; never internal_error (PostgreSQL cannot store NUL in text). (Found by the
    escaped-surrogates test above.)"""
    async with http_client(served, owner.token) as client:
        draft = await invoice(client, "create", owner.slug, title="Target", items=THREE_ITEMS)
        acme = await call(client, "save_client", company_slug=owner.slug, name="Acme")
        filled = {
            k: v.format(draft=draft["uuid"], client=acme["uuid"]) if k == "uuid" else v for k, v in arguments.items()
        }
        before = await invoice_count(client, owner.slug)
        result = await client.call_tool(tool, {"company_slug": owner.slug, **filled})
        if result.is_error:
            text, error = refused(result)
            assert error["code"] != "internal_error", text
            assert field in text, text
            assert await invoice_count(client, owner.slug) == before
        elif field not in ("search", "idempotency_key"):  # neither is stored nor echoed
            assert "\\u0000" in text_of(result) or "\x00" in text_of(result), "accepted, but not stored as sent"


@pytest.mark.parametrize("tool", ["duplicate_invoice", "create_invoice_from_previous"])
async def test_a_copy_issued_in_year_9999_is_refused_naming_issue_date(served: str, owner: Account, tool: str) -> None:
    """A copy's due date is its issue date plus the source's terms: 9999-12-31 is refused as
    a validation_error on issue_date, not internal_error. (Found by the REST property.)"""
    async with http_client(served, owner.token) as client:
        acme = await call(client, "save_client", company_slug=owner.slug, name="Acme")
        draft = await invoice(client, "create", owner.slug, title="Source", client_uuid=acme["uuid"], items=THREE_ITEMS)
        target = {"uuid": draft["uuid"]} if tool == "duplicate_invoice" else {"client_uuid": acme["uuid"]}
        before = await invoice_count(client, owner.slug)
        result = await client.call_tool(tool, {"company_slug": owner.slug, "issue_date": "9999-12-31", **target})
        text, error = refused(result)
        assert (error["code"], error["errors"][0]["field"]) == ("validation_error", "issue_date"), text
        assert await invoice_count(client, owner.slug) == before


async def test_a_country_that_is_not_two_ascii_letters_is_refused(served: str, owner: Account) -> None:
    """save_client with country "ßa" (which upper-cases to "SSA") is a validation_error on
    country, not internal_error. (Found by the REST property.)"""
    async with http_client(served, owner.token) as client:
        result = await client.call_tool(
            "save_client", {"company_slug": owner.slug, "name": "Acme", "country": "\u00dfa"}
        )
        text, error = refused(result)
        assert (error["code"], error["errors"][0]["field"]) == ("validation_error", "country"), text


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("workspace", {"action": "get", "company_slug": "\x00"}),
        ("workspace", {"action": "list", "company_slug": "a\x00b"}),
        ("suggest_invoice_number", {"company_slug": "\x00"}),
        ("list_invoices", {"company_slug": "a\x00"}),
    ],
    ids=["workspace-get", "workspace-list", "suggest_invoice_number", "list_invoices"],
)
async def test_a_nul_character_in_company_slug_is_workspace_not_found(
    served: str, owner: Account, tool: str, arguments: dict[str, Any]
) -> None:
    """A company_slug with a NUL names no workspace: workspace_not_found, never
    internal_error. (Found by the long run of the properties above, on PostgreSQL.)"""
    async with http_client(served, owner.token) as client:
        text, error = refused(await client.call_tool(tool, arguments))
        assert error["code"] == "workspace_not_found", text

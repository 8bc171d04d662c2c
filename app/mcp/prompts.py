"""The seed workflows as MCP prompts: a person picks one in their assistant, fills in its
arguments, and the assistant gets a message saying which tools to call and when to stop and
show what it would do. The prompts only guide: every rule is still the server's."""

from __future__ import annotations

from dataclasses import dataclass

import mcp_types as types

from app.domain.errors import ValidationFailed


@dataclass(frozen=True)
class Seed:
    title: str
    description: str
    arguments: tuple[tuple[str, str, bool], ...]  # name, what it is, required
    text: str

    def prompt(self, name: str) -> types.Prompt:
        return types.Prompt(
            name=name,
            title=self.title,
            description=self.description,
            arguments=[
                types.PromptArgument(name=arg, description=about, required=required)
                for arg, about, required in self.arguments
            ],
        )


SEEDS: dict[str, Seed] = {
    "invoice_client_for_hours": Seed(
        title="Invoice a client for hours",
        description="A draft invoice for hours worked at an hourly rate, checked with you before it is sent.",
        arguments=(
            ("company_slug", "The workspace (from the workspace tool's list)", True),
            ("client", "The client's name, as in the client list", True),
            ("hours", "How many hours, e.g. 10", True),
            ("rate", "Price per hour, e.g. 120", True),
            ("description", "What the hours were for, e.g. Consulting", False),
            ("tax_rate", "VAT or sales tax in percent, e.g. 19", False),
        ),
        text=(
            "In the Billcraft workspace {company_slug}, invoice {client} for {hours} hours of {description} at "
            "{rate} per hour{tax}.\n"
            "1. Find the client with the client tool (action list, search by name); if there is none, ask me "
            "before creating one.\n"
            "2. Create a draft with the invoice tool (action create): one item, quantity {hours}, unit_price "
            "{rate}{tax_arg}. Show me the draft's total.\n"
            "3. Only when I say so, send it (action send): first with dry_run true, to show me who would be "
            "emailed, then for real."
        ),
    ),
    "chase_overdue_invoices": Seed(
        title="Chase overdue invoices",
        description="The invoices past their due date, with a reminder for each one you choose.",
        arguments=(("company_slug", "The workspace (from the workspace tool's list)", True),),
        text=(
            "In the Billcraft workspace {company_slug}, list the overdue invoices (invoice tool, action list, "
            "status overdue). Show me each one's client, number, balance due and how many days it is late, "
            "oldest first. For the ones I pick, send a reminder (action send on the overdue invoice): first "
            "with dry_run true to show me the recipients, then for real. Never send without my go-ahead."
        ),
    ),
    "month_end_billing_review": Seed(
        title="Month-end billing review",
        description="What was invoiced, paid and is still open this month, and what is left to do.",
        arguments=(
            ("company_slug", "The workspace (from the workspace tool's list)", True),
            ("month", "The month, YYYY-MM (default: this month)", False),
        ),
        text=(
            "Review billing for {month} in the Billcraft workspace {company_slug}.\n"
            "1. Get the figures (invoice tool, action stats): invoiced, paid, outstanding and overdue per "
            "currency.\n"
            "2. List the drafts not sent yet and the overdue invoices (action list with status draft, then "
            "overdue) issued up to the end of {month}.\n"
            "3. Sum it up for me in a short table and suggest what to do next (send, remind, cancel). Change "
            "nothing until I confirm each step."
        ),
    ),
}


def prompts() -> list[types.Prompt]:
    return [seed.prompt(name) for name, seed in SEEDS.items()]


def render(name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
    """The prompt's message with the person's arguments; a missing required one is named."""
    seed = SEEDS.get(name)
    if seed is None:
        raise ValidationFailed.field("name", f"no prompt {name!r}; prompts: {', '.join(SEEDS)}")
    given = {key: value.strip() for key, value in (arguments or {}).items() if isinstance(value, str)}
    for arg, _, required in seed.arguments:
        if required and not given.get(arg):
            raise ValidationFailed.field(arg, f"{arg} is required for the prompt {name}")
    tax = given.get("tax_rate", "")
    values = {
        "description": "work",
        "month": "this month",
        **{k: v for k, v in given.items() if v},
        "tax": f", plus {tax}% tax" if tax else "",
        "tax_arg": f", tax_rate {tax}" if tax else "",
    }
    text = seed.text.format(**values)
    return types.GetPromptResult(
        description=seed.description,
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )

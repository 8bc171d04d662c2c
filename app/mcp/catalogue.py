"""The tool catalogue: the action-style ``workspace``, ``client`` and ``invoice`` tools and
the 18 granular tools, each a ``ToolSpec`` (``app.mcp.specs``) over the operations of
``app.mcp.operations``, with honest annotations. Input schemas are an object at the top
with ``properties``, no ``$ref`` and no top-level combinators, so that every major MCP
client loads them; each tool's ``outputSchema`` comes from ``app.mcp.results``."""

from __future__ import annotations

from app.mcp import einvoice_tools, einvoices
from app.mcp import operations as op
from app.mcp.arguments import CLIENT_PROPS, MUTATION, SETTINGS_PROPS, text_arg
from app.mcp.specs import Action, ToolSpec, granular_tool, hints


def _action_tools() -> list[ToolSpec]:
    invoice_props = ("company_slug", "uuid", *op.INVOICE_FIELDS)
    return [
        ToolSpec(
            name="workspace",
            title="Workspaces",
            description=(
                "Your workspaces (companies) and their members. list: every workspace you belong to, with its "
                "company_slug; get: one workspace with its business settings; stats: billing totals per currency "
                "across all your workspaces (or one, with company_slug). list_members: who is in the workspace, "
                "with their user_uuid and role; add_member: someone who has an account, by email, with a role; "
                "change_role (user_uuid, role); remove_member (user_uuid; your own to leave). Managing members "
                "needs the admin or owner role (anyone may leave); only an owner grants, changes or removes an "
                "owner, and the last owner stays. Member changes take idempotency_key and dry_run."
            ),
            properties=("company_slug", "email", "role", "user_uuid", *MUTATION),
            required=(),
            annotations=hints("Workspaces", destructive=True, idempotent=True),
            overrides={"email": text_arg("Email of the person to add; they must already have a Billcraft account")},
            actions={
                "list": Action(op.workspace_list),
                "get": Action(op.workspace_get, required=("company_slug",)),
                "stats": Action(op.stats),
                "list_members": Action(op.member_list, required=("company_slug",)),
                "add_member": Action(op.member_add, required=("company_slug", "email"), takes=("role", *MUTATION)),
                "change_role": Action(
                    op.member_change_role, required=("company_slug", "user_uuid", "role"), takes=tuple(MUTATION)
                ),
                "remove_member": Action(
                    op.member_remove, required=("company_slug", "user_uuid"), takes=tuple(MUTATION)
                ),
            },
        ),
        ToolSpec(
            name="client",
            title="Clients",
            description=(
                "Clients of a workspace. list (search, page), get (uuid), create (name, email, address...), "
                "update (uuid and the fields to change)."
            ),
            properties=("company_slug", "uuid", "search", "page", "per_page", *CLIENT_PROPS, *MUTATION),
            required=("company_slug",),
            annotations=hints("Clients"),
            overrides={"uuid": text_arg("Client UUID (from list)")},
            actions={
                "list": Action(op.client_list, takes=("search", "page", "per_page")),
                "get": Action(op.client_get, required=("uuid",)),
                "create": Action(op.client_create, required=("name",), takes=(*CLIENT_PROPS, *MUTATION)),
                "update": Action(op.client_update, required=("uuid",), takes=(*CLIENT_PROPS, *MUTATION)),
            },
        ),
        ToolSpec(
            name="invoice",
            title="Invoices",
            description=(
                "Invoices through their whole lifecycle (draft -> sent -> paid, overdue automatically past the "
                "due date, cancelled). list (status, client_uuid, delivery_status, date_from, date_to, page); "
                "get (uuid); "
                "create a draft (title, client_uuid, currency, due_date, items with optional discounts, notes, "
                "tax_rate, tax_category for VAT such as AE reverse charge, adjustments for invoice discounts and "
                "fees, early_payment_discount and early_payment_days for an early-payment discount); update a "
                "draft; send (finalizes a draft, emails the client; again on a sent or overdue invoice: a "
                "reminder); mark_paid (amount, payment_date, payment_method); cancel (reason); stats. "
                "Mutations take idempotency_key and dry_run and return the whole invoice."
            ),
            properties=(
                *invoice_props,
                "status",
                "delivery_status",
                "date_from",
                "date_to",
                "search",
                "page",
                "per_page",
                *op.SEND_FIELDS,
                *op.PAYMENT_FIELDS,
                "reason",
                *MUTATION,
            ),
            required=("company_slug",),
            annotations=hints("Invoices", destructive=True, open_world=True),
            actions={
                "list": Action(op.invoice_list, takes=op.LIST_FIELDS),
                "get": Action(op.invoice_get, required=("uuid",)),
                "create": Action(op.invoice_create, required=("title",), takes=(*op.INVOICE_FIELDS, *MUTATION)),
                "update": Action(op.invoice_update, required=("uuid",), takes=(*op.INVOICE_FIELDS, *MUTATION)),
                "send": Action(op.invoice_send, required=("uuid",), takes=(*op.SEND_FIELDS, *MUTATION)),
                "mark_paid": Action(op.invoice_mark_paid, required=("uuid",), takes=(*op.PAYMENT_FIELDS, *MUTATION)),
                "cancel": Action(op.invoice_cancel, required=("uuid",), takes=("reason", *MUTATION)),
                "stats": Action(op.stats),
            },
        ),
        ToolSpec(
            name="credit_note",
            title="Credit notes",
            description=(
                "A finalized invoice is corrected by a credit note, never altered. create (invoice_uuid, reason; "
                "and lines [{line, quantity}] for chosen lines, or amount for a net amount, else the whole rest of "
                "the invoice): issues a numbered credit note, lowers the balance (a paid invoice then has a "
                "refund due; an open one credited in full is cancelled) and returns the whole invoice. list "
                "(invoice_uuid, search, page), get (uuid), pdf (uuid: a download link), send (uuid, to, message: "
                "emails it with its PDF, confirmed by the person); einvoice (uuid, format: its e-invoice, checked, "
                "as a download link); refund (invoice_uuid, "
                "amount, payment_date, payment_method): record money paid back to the client, the refund due by "
                "default. create and refund take idempotency_key and dry_run; the person confirms a credit note, "
                "as a cancellation."
            ),
            properties=(
                "company_slug",
                "uuid",
                "invoice_uuid",
                "reason",
                "lines",
                "amount",
                "payment_date",
                "payment_method",
                "to",
                "message",
                "search",
                "page",
                "per_page",
                "embed",
                "format",
                *MUTATION,
            ),
            required=("company_slug",),
            annotations=hints("Credit notes", destructive=True),
            overrides={
                "uuid": text_arg("Credit note UUID (from list, or the invoice's credit_notes)"),
                "reason": text_arg("Why the invoice is credited; printed on the credit note"),
                "amount": {
                    "type": "number",
                    "description": "create: a net amount to credit (an invoice with one VAT rate); "
                    "refund: the amount paid back (default: the whole refund due)",
                },
                "payment_date": text_arg("refund: the day the money went back, YYYY-MM-DD (default: today)"),
            },
            actions={
                "list": Action(op.credit_note_list, takes=("invoice_uuid", "search", "page", "per_page")),
                "get": Action(op.credit_note_get, required=("uuid",)),
                "create": Action(
                    op.credit_note_create, required=("invoice_uuid", "reason"), takes=("lines", "amount", *MUTATION)
                ),
                "pdf": Action(op.credit_note_pdf, required=("uuid",), takes=("embed",)),
                "einvoice": Action(einvoices.credit_note_einvoice, required=("uuid",), takes=("format", "embed")),
                "send": Action(op.credit_note_send, required=("uuid",), takes=("to", "message", *MUTATION)),
                "refund": Action(
                    op.credit_note_refund, required=("invoice_uuid",), takes=(*op.PAYMENT_FIELDS, *MUTATION)
                ),
            },
        ),
        *einvoice_tools.action_tools(),
    ]


def _granular_tools() -> list[ToolSpec]:
    slug = ("company_slug",)
    target = ("company_slug", "uuid")

    tool = granular_tool

    return [
        tool(
            "create_invoice",
            "Create invoice",
            "Create a new draft invoice with line items, tax rates and "
            "currency. Drafts are free and carry a DRAFT watermark; totals are computed by the server.",
            op.invoice_create,
            (*slug, *op.INVOICE_FIELDS),
            (*slug, "title"),
        ),
        tool(
            "update_invoice",
            "Update invoice",
            "Update any field of a draft invoice that is not finalized; items, when given, replace all items.",
            op.invoice_update,
            (*target, *op.INVOICE_FIELDS),
            target,
            idempotent=True,
        ),
        tool(
            "delete_invoice",
            "Delete draft invoice",
            "Permanently delete a draft that was never finalized (finalized invoices are cancelled instead).",
            op.invoice_delete,
            target,
            target,
            destructive=True,
            idempotent=True,
        ),
        tool(
            "duplicate_invoice",
            "Duplicate invoice",
            "Copy an invoice into a new draft with new dates and no number (it gets one when finalized).",
            op.invoice_duplicate,
            (*target, *op.COPY_FIELDS, "title"),
            target,
        ),
        tool(
            "create_invoice_from_previous",
            "Create invoice from previous",
            "Create a new draft pre-filled from the client's latest invoice, with new dates.",
            op.invoice_from_previous,
            (*slug, "client_uuid", *op.COPY_FIELDS),
            (*slug, "client_uuid"),
        ),
        tool(
            "get_invoice",
            "Get invoice",
            "Full details of one invoice: items, amounts, tax, dates, status, payments and history.",
            op.invoice_get,
            target,
            target,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "get_invoice_pdf",
            "Get invoice PDF",
            "The invoice as a PDF (drafts carry a DRAFT watermark): a download link that works for 10 minutes "
            "without a token, with the file's name and size; embed true adds the file itself (base64).",
            op.invoice_pdf,
            (*target, "embed"),
            target,
            read_only=True,
            idempotent=True,
        ),
        *einvoice_tools.granular_tools(),
        tool(
            "list_invoices",
            "List invoices",
            "List invoices with optional filters for status, client, email delivery state and issue date range, "
            "page by page.",
            op.invoice_list,
            (*slug, *op.LIST_FIELDS),
            slug,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "suggest_invoice_number",
            "Suggest invoice number",
            "The next invoice number, from the workspace's pattern or continuing the numbers it already uses.",
            op.invoice_suggest_number,
            slug,
            slug,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "finalize_invoice",
            "Finalize invoice",
            "Lock a draft's content and assign its number; the "
            "DRAFT watermark goes away. Counts as one billable finalization.",
            op.invoice_finalize,
            target,
            target,
            idempotent=True,
        ),
        tool(
            "send_invoice",
            "Send invoice",
            "Send an invoice by email (a draft is finalized first); on a sent or overdue invoice, a reminder.",
            op.invoice_send,
            (*target, *op.SEND_FIELDS),
            target,
            open_world=True,
        ),
        tool(
            "mark_invoice_paid",
            "Record payment",
            "Record a payment on a sent or overdue invoice; it becomes paid when the balance reaches zero.",
            op.invoice_mark_paid,
            (*target, *op.PAYMENT_FIELDS),
            target,
        ),
        tool(
            "cancel_invoice",
            "Cancel invoice",
            "Cancel a draft, sent or overdue invoice, with an optional reason kept in its history.",
            op.invoice_cancel,
            (*target, "reason"),
            target,
            destructive=True,
            idempotent=True,
        ),
        tool(
            "get_billing_analytics",
            "Billing analytics",
            "Invoiced, paid, outstanding and overdue totals "
            "per currency, counts by status, average days to payment and 12 months of history; for one "
            "workspace, or all of yours without company_slug.",
            op.stats,
            slug,
            (),
            read_only=True,
            idempotent=True,
        ),
        tool(
            "list_clients",
            "List clients",
            "Clients of a workspace, optionally searching names and emails.",
            op.client_list,
            (*slug, "search", "page", "per_page"),
            slug,
            read_only=True,
            idempotent=True,
        ),
        ToolSpec(
            "save_client",
            "Save client",
            "Create a client, or update one when uuid is given (only the fields given change).",
            (*slug, "uuid", *CLIENT_PROPS, *MUTATION),
            slug,
            hints("Save client"),
            op.client_save,
            overrides={"uuid": text_arg("Client UUID to update (omit to create)")},
        ),
        tool(
            "get_business_settings",
            "Get business settings",
            "The workspace's business details, default currency, time zone, number pattern and payment terms.",
            op.workspace_get,
            slug,
            slug,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "update_business_settings",
            "Update business settings",
            "Change the workspace's business details, default currency, time zone, number pattern or payment terms.",
            op.settings_update,
            (*slug, *SETTINGS_PROPS),
            slug,
            idempotent=True,
        ),
    ]


ACTION_TOOLS = {spec.name: spec for spec in _action_tools()}
GRANULAR_TOOLS = {spec.name: spec for spec in _granular_tools()}


def tools_for(mode: str) -> dict[str, ToolSpec]:
    """The tools exposed for ``BILLCRAFT_MCP_TOOLS``: ``actions``, ``granular`` or ``all``."""
    if mode == "actions":
        return dict(ACTION_TOOLS)
    if mode == "granular":
        return dict(GRANULAR_TOOLS)
    return {**ACTION_TOOLS, **GRANULAR_TOOLS}

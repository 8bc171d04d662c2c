"""An invoice card inside the chat (MCP Apps, ``io.modelcontextprotocol/ui``): the tools that
answer one invoice name ``ui://billcraft/invoice-card.html`` in ``_meta.ui.resourceUri``; a
host that renders apps shows this page in its sandboxed frame and hands it the tool's input
and result over ``postMessage``. The page shows the invoice (client, lines, totals, status)
with a button for each action its status allows, which asks the host to call the matching
tool; the host, not the page, talks to Billcraft, and a send or a cancel is still confirmed
by the person (``app.mcp.confirm``).

Self-contained: no network at all (``default-src 'none'``), its one script allowed by hash,
no markup built from strings (text is set with ``textContent``). Hosts without MCP Apps see
the same text and structured result as before."""

from __future__ import annotations

import base64
import hashlib

import mcp_types as types

URI = "ui://billcraft/invoice-card.html"
MIME = "text/html;profile=mcp-app"
# The granular tools whose answer is one invoice (the action-style tool also answers lists).
TOOLS = frozenset({
    "get_invoice", "create_invoice", "update_invoice", "duplicate_invoice", "create_invoice_from_previous",
    "finalize_invoice", "send_invoice", "mark_invoice_paid", "cancel_invoice",
})  # fmt: skip

# Which tool each allowed action asks the host to call.
_SCRIPT = """
"use strict";
const TOOLS = {send: "send_invoice", finalize: "finalize_invoice", mark_paid: "mark_invoice_paid",
               cancel: "cancel_invoice", duplicate: "duplicate_invoice"};
const LABELS = {send: "Send", finalize: "Finalize", mark_paid: "Record payment", cancel: "Cancel",
                duplicate: "Duplicate"};
let nextId = 1, slug = null;
function post(message) { window.parent.postMessage(Object.assign({jsonrpc: "2.0"}, message), "*"); }
function text(id, value) { document.getElementById(id).textContent = value == null ? "" : String(value); }
function render(invoice) {
  if (!invoice || !invoice.uuid) return;
  text("title", invoice.title);
  text("number", invoice.number || "Draft");
  text("status", invoice.status);
  document.getElementById("status").className = "badge " + invoice.status;
  text("client", invoice.client ? invoice.client.name : "No client");
  text("dates", "Issued " + invoice.issue_date + " \\u00b7 due " + invoice.due_date);
  const lines = document.getElementById("lines");
  lines.replaceChildren();
  for (const item of invoice.items || []) {
    const row = document.createElement("tr");
    for (const value of [item.description, item.quantity, item.unit_price, item.amount]) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.append(cell);
    }
    lines.append(row);
  }
  text("subtotal", invoice.subtotal + " " + invoice.currency);
  text("tax", invoice.tax_amount + " " + invoice.currency);
  text("total", invoice.total + " " + invoice.currency);
  text("balance", invoice.balance_due + " " + invoice.currency);
  const actions = document.getElementById("actions");
  actions.replaceChildren();
  for (const action of invoice.allowed_actions || []) {
    if (!TOOLS[action] || !slug) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = LABELS[action];
    button.addEventListener("click", () => post({id: nextId++, method: "tools/call",
      params: {name: TOOLS[action], arguments: {company_slug: slug, uuid: invoice.uuid}}}));
    actions.append(button);
  }
  document.getElementById("card").hidden = false;
}
window.addEventListener("message", event => {
  const message = event.data;
  if (!message || message.jsonrpc !== "2.0") return;
  if (message.method === "ui/notifications/tool-input") {
    const args = (message.params && message.params.arguments) || {};
    if (typeof args.company_slug === "string") slug = args.company_slug;
  } else if (message.method === "ui/notifications/tool-result") {
    render(message.params && message.params.structuredContent);
  } else if (message.result && message.result.structuredContent) {
    render(message.result.structuredContent);  // the answer to a tools/call this card asked for
  }
});
post({id: nextId++, method: "ui/initialize", params: {appInfo: {name: "Billcraft invoice card", version: "1"},
  appCapabilities: {}, protocolVersion: "2026-01-26"}});
post({method: "ui/notifications/initialized"});
"""

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 12px; color: #1b1b1b; }
header { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
h1 { font-size: 16px; margin: 0; }
.muted { color: #5c5c5c; }
.badge { border-radius: 8px; padding: 1px 8px; background: #eee; font-size: 12px; }
.badge.paid { background: #d8f0dc; }
.badge.overdue { background: #fbdcdc; }
.badge.sent { background: #dbe8f6; }
table { width: 100%; border-collapse: collapse; margin: 8px 0; }
td, th { text-align: left; padding: 2px 4px; border-bottom: 1px solid #eee; }
td:nth-child(n+2), th:nth-child(n+2) { text-align: right; }
dl { display: grid; grid-template-columns: 1fr auto; margin: 0; }
dt { color: #5c5c5c; }
dd { margin: 0; text-align: right; }
.total { font-weight: 600; }
#actions button { margin: 8px 6px 0 0; padding: 4px 10px; }
"""

_BODY = """
<main id="card" hidden>
  <header><h1 id="title"></h1><span id="status" class="badge"></span></header>
  <p class="muted"><span id="number"></span> &middot; <span id="client"></span><br><span id="dates"></span></p>
  <table><thead><tr><th>Item</th><th>Qty</th><th>Price</th><th>Amount</th></tr></thead>
    <tbody id="lines"></tbody></table>
  <dl><dt>Subtotal</dt><dd id="subtotal"></dd><dt>Tax</dt><dd id="tax"></dd>
      <dt class="total">Total</dt><dd id="total" class="total"></dd><dt>Balance due</dt><dd id="balance"></dd></dl>
  <div id="actions"></div>
</main>
"""


def _hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


CSP = (
    f"default-src 'none'; style-src '{_hash(_STYLE)}'; script-src '{_hash(_SCRIPT)}'; "
    "base-uri 'none'; form-action 'none'"
)
HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    f"<title>Invoice</title><style>{_STYLE}</style></head><body>{_BODY}<script>{_SCRIPT}</script></body></html>"
)

RESOURCE = types.Resource(
    name="invoice-card",
    title="Invoice card",
    uri=URI,
    mime_type=MIME,
    description="The invoice as a card in the chat, with the actions its status allows (MCP Apps)",
)


def tool_meta(tool: str) -> dict[str, object]:
    """The ``_meta.ui`` entry of a tool that answers one invoice (none for the others)."""
    return {"ui": {"resourceUri": URI}} if tool in TOOLS else {}


def read() -> types.ReadResourceResult:
    # The host applies the page's CSP from _meta.ui.csp; no domain is listed, so none is reachable.
    content = types.TextResourceContents(uri=URI, mime_type=MIME, text=HTML, _meta={"ui": {"csp": {}}})
    return types.ReadResourceResult(contents=[content])

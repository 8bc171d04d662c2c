"""The tools' icons (MCP 2025-11-25 ``icons``): small SVGs carried inline as ``data:`` URIs,
so a host shows them without fetching anything. Plain shapes, no script, no external
reference; one per kind of thing a tool works on."""

from __future__ import annotations

import base64

import mcp_types as types

_FRAME = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" '
    'stroke="#1f5f8b" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{}</svg>'
)
_SHAPES = {
    # a page with lines: invoices
    "invoice": '<path d="M6 2h9l5 5v15H6z"/><path d="M15 2v5h5"/><path d="M9 12h8M9 16h8M9 8h3"/>',
    # a person: clients
    "client": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4-6 8-6s7 2 8 6"/>',
    # a building: workspaces and their settings
    "workspace": '<path d="M4 21V5l8-3 8 3v16z"/><path d="M9 21v-5h6v5M8 8h2M14 8h2M8 12h2M14 12h2"/>',
    # bars: analytics
    "stats": '<path d="M4 20h16"/><path d="M7 16v-5M12 16V6M17 16v-8"/>',
}


def _icon(kind: str) -> types.Icon:
    svg = _FRAME.format(_SHAPES[kind]).encode()
    return types.Icon(
        src="data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
        mime_type="image/svg+xml",
        sizes=["any"],
    )


ICONS = {kind: [_icon(kind)] for kind in _SHAPES}


def icons_for(tool: str) -> list[types.Icon]:
    if tool in ("workspace", "get_business_settings", "update_business_settings"):
        return ICONS["workspace"]
    if tool in ("client", "list_clients", "save_client"):
        return ICONS["client"]
    if tool == "get_billing_analytics":
        return ICONS["stats"]
    return ICONS["invoice"]

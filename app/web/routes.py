"""The team's web app as one router: every page, the signed-in viewer they depend on, and
the HTML pages shown for errors (the API's problem JSON is for programs, not people)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from app.web import (
    account,
    approvals,
    clients,
    credit_notes,
    einvoices,
    invoice_actions,
    invoices,
    received,
    workspaces,
)
from app.web.pages import EXCEPTION_HANDLERS, provide_viewer


def web_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            *account.ROUTES,
            *approvals.ROUTES,
            *workspaces.ROUTES,
            *clients.ROUTES,
            *invoices.ROUTES,
            *invoice_actions.ROUTES,
            *credit_notes.ROUTES,
            *einvoices.ROUTES,
            *received.ROUTES,
        ],
        dependencies={"viewer": Provide(provide_viewer)},
        exception_handlers=EXCEPTION_HANDLERS,
        include_in_schema=False,
    )

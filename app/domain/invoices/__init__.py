"""Invoices: creation, edits, the enforced lifecycle, payments, numbering, duplication.

Every method takes a ``WorkspaceAccess``; every query filters by its workspace. Each state
change appends a history event with actor, channel and OAuth client. ``dry_run`` runs the
change for real inside a savepoint, captures the result, then rolls the savepoint back.

``InvoiceService`` is put together from one module per concern:

- ``base``: finding an invoice in the workspace, history events, results, action scopes;
- ``bounds``: what quantities, prices, rates, amounts and dates may be;
- ``pricing``: items priced into lines, totals, ``quote``; ``adjustments``: allowances and charges;
- ``reading``: one invoice, its document, the list;
- ``numbers``: the next number of the pattern, numbers typed by hand;
- ``editing``: create, update (a table of field rules), delete;
- ``transitions``: finalize, send, cancel;
- ``payments``: mark paid;
- ``copies``: duplicate, from a client's previous invoice;
- ``credits``: credit notes, issued on an invoice and read.
"""

from __future__ import annotations

from app.domain.invoices.base import ACTION_SCOPE, Result, permitted_actions
from app.domain.invoices.bounds import check_tax_rate
from app.domain.invoices.copies import Copies
from app.domain.invoices.payments import Payments
from app.domain.invoices.pricing import quote
from app.domain.invoices.reading import Reading
from app.domain.invoices.transitions import Transitions

__all__ = ["ACTION_SCOPE", "InvoiceService", "Result", "check_tax_rate", "permitted_actions", "quote"]


class InvoiceService(Reading, Copies, Transitions, Payments):
    """Every invoice operation of one unit of work (``Billing.invoices``)."""

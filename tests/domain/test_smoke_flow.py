"""The seed's billing workflow through the service layer, start to end."""

from __future__ import annotations

from decimal import Decimal

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, InvoiceCreate, ItemInput, PaymentInput, SendInput


async def test_invoice_walks_from_draft_to_paid_with_server_totals(billing: Billing, access: WorkspaceAccess) -> None:
    client = await billing.clients.create_client(access, ClientInput(name="Acme Corp", email="billing@acme.example"))
    created = await billing.invoices.create_invoice(
        access,
        InvoiceCreate(
            title="Phase 1 delivery",
            client_uuid=client.uuid,
            tax_rate=Decimal(10),
            items=[
                ItemInput(description="Frontend", quantity=Decimal(80), unit_price=Decimal(150)),
                ItemInput(description="Design", quantity=Decimal(20), unit_price=Decimal(120)),
            ],
        ),
    )
    assert isinstance(created, InvoiceOut)
    assert (created.subtotal, created.tax_amount, created.total) == ("14400.00", "1440.00", "15840.00")
    sent = await billing.invoices.send(access, created.uuid, SendInput())
    assert isinstance(sent, InvoiceOut)
    assert sent.status == "sent"
    assert sent.number is not None
    assert sent.number.startswith("INV-")
    paid = await billing.invoices.mark_paid(access, created.uuid, PaymentInput(payment_method="Wire transfer"))
    assert isinstance(paid, InvoiceOut)
    assert paid.status == "paid"
    assert paid.balance_due == "0.00"
    assert [h.action for h in paid.history] == ["create", "finalize", "send", "payment"]
    await billing.session.commit()

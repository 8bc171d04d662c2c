"""Clients of a workspace: the people and companies its invoices are addressed to."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import case, func, or_, select

from app.db.models import Client, Invoice
from app.domain.access import Scope, WorkspaceAccess
from app.domain.accounts import check_email
from app.domain.einvoice_formats import check_format
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.identifiers import check_buyer_reference, check_electronic_address
from app.domain.languages import check_language
from app.domain.money import format_amount
from app.domain.outputs import ClientBalanceOut, ClientOut, Page
from app.domain.schemas import ClientInput, ClientUpdate
from app.domain.search import contains
from app.domain.service import DomainService

_FIELDS = [f for f in ClientInput.__struct_fields__]


def client_out(client: Client) -> ClientOut:
    return ClientOut(
        uuid=client.id,
        created_at=client.created_at,
        updated_at=client.updated_at,
        **{f: getattr(client, f) for f in _FIELDS},
    )


def _clean(field: str, value: str) -> str:
    value = value.strip()
    if field == "name" and not value:
        raise ValidationFailed.field("name", "must not be blank")
    if field == "email" and value:
        value = check_email(value)
    if field == "language":
        return check_language(value)
    if field == "buyer_reference":
        return check_buyer_reference(value)
    if field == "electronic_address":
        return check_electronic_address(value)
    if field == "einvoice_format":
        return check_format(value)
    if field == "country" and value:
        if len(value) != 2 or not (value.isascii() and value.isalpha()):
            raise ValidationFailed.field("country", "an ISO 3166 two-letter country code such as US or FR")
        value = value.upper()
    return value


class ClientService(DomainService):
    async def find(self, access: WorkspaceAccess, client_uuid: uuid.UUID, field: str = "uuid") -> Client:
        client = (
            await self.session.execute(
                select(Client).where(Client.workspace_id == access.workspace_id, Client.id == client_uuid)
            )
        ).scalar_one_or_none()
        if client is None:
            raise NotFound(f"no client {client_uuid} in this workspace", code="client_not_found", field=field)
        return client

    async def get_out(self, access: WorkspaceAccess, client_uuid: uuid.UUID) -> ClientOut:
        await self.enter(access, Scope.CLIENTS_READ)
        return client_out(await self.find(access, client_uuid))

    async def list_page(
        self, access: WorkspaceAccess, search: str | None = None, page: int = 1, per_page: int = 20
    ) -> Page[ClientOut]:
        await self.enter(access, Scope.CLIENTS_READ)
        where = [Client.workspace_id == access.workspace_id]
        if search:
            where.append(or_(contains(Client.name, search), contains(Client.email, search)))
        session = self.session
        total = (await session.execute(select(func.count(Client.id)).where(*where))).scalar_one()
        rows = await session.execute(
            select(Client).where(*where).order_by(Client.name, Client.id).limit(per_page).offset((page - 1) * per_page)
        )
        items = [client_out(c) for c in rows.scalars()]
        return Page(items=items, total=total, page=page, per_page=per_page, has_more=page * per_page < total)

    async def balance(self, access: WorkspaceAccess, client_uuid: uuid.UUID) -> list[ClientBalanceOut]:
        """The client's account per currency, from finalized invoices that are not cancelled."""
        await self.enter(access, Scope.INVOICES_READ)
        await self.find(access, client_uuid)
        billed = Invoice.status.in_(("sent", "paid", "overdue"))
        open_ = Invoice.status.in_(("sent", "overdue"))
        due = Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor
        rows = await self.session.execute(
            select(
                Invoice.currency,
                func.sum(Invoice.total_minor - Invoice.credited_minor),
                func.sum(Invoice.paid_minor),
                func.sum(case((open_, due), else_=0)),
                func.sum(case((Invoice.status == "overdue", due), else_=0)),
                func.sum(case((open_, 1), else_=0)),
            )
            .where(Invoice.workspace_id == access.workspace_id, Invoice.client_id == client_uuid, billed)
            .group_by(Invoice.currency)
            .order_by(Invoice.currency)
        )
        return [
            ClientBalanceOut(
                currency=currency,
                invoiced=format_amount(int(total), currency),
                paid=format_amount(int(paid), currency),
                outstanding=format_amount(int(outstanding), currency),
                overdue=format_amount(int(overdue), currency),
                open_invoices=int(count),
            )
            for currency, total, paid, outstanding, overdue, count in rows.all()
        ]

    async def create_client(self, access: WorkspaceAccess, data: ClientInput) -> ClientOut:
        await self.enter(access, Scope.CLIENTS_WRITE)
        values = {f: _clean(f, getattr(data, f)) for f in _FIELDS}
        client = Client(workspace_id=access.workspace_id, **values)
        self.session.add(client)
        await self.session.flush()
        return client_out(client)

    async def update_client(self, access: WorkspaceAccess, client_uuid: uuid.UUID, data: ClientUpdate) -> ClientOut:
        await self.enter(access, Scope.CLIENTS_WRITE)
        client = await self.find(access, client_uuid)
        for field, value in msgspec.structs.asdict(data).items():
            if value is not msgspec.UNSET:
                setattr(client, field, _clean(field, value))
        await self.session.flush()
        return client_out(client)

    async def delete_client(self, access: WorkspaceAccess, client_uuid: uuid.UUID) -> None:
        await self.enter(access, Scope.CLIENTS_WRITE)
        client = await self.find(access, client_uuid)
        session = self.session
        used = (
            await session.execute(
                select(func.count(Invoice.id)).where(
                    Invoice.workspace_id == access.workspace_id, Invoice.client_id == client.id
                )
            )
        ).scalar_one()
        if used:
            raise Conflict(
                f"{client.name} has {used} invoice(s); invoices are records and keep their client",
                code="client_in_use",
            )
        await session.delete(client)
        await session.flush()

"""Fixtures of the worker tests: the REST fixtures (a served app on the test database),
``billcraft worker`` processes, and a team (user, token, workspace) on a database of the
test's own."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.schemas import WorkspaceCreate, WorkspaceSettingsUpdate
from tests.api.conftest import app, caller, client, stranger
from tests.conftest import REDIS_URL, OwnDatabase, unique
from tests.processes import BIN, ProcessEnv, stop

__all__ = ["REDIS_URL", "app", "caller", "client", "stranger"]


@contextmanager
def worker(env: ProcessEnv, log: Path, **settings: str) -> Iterator[subprocess.Popen[bytes]]:
    """``billcraft worker`` with ``settings`` (``redis_url``, ``redis_prefix``, ...)."""
    with log.open("ab") as out:
        process = subprocess.Popen([str(BIN), "worker"], env=env.env(**settings), stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process)


@dataclass
class Team:
    token: str
    slug: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_team(own: OwnDatabase) -> Team:
    """An owner with a token and a workspace whose invoices say how to pay and reply."""
    async with own.config.get_session() as session:
        billing = Billing(session)
        user = await billing.accounts.create_user(f"{unique('owner')}@example.com", "correct horse battery", "Owner")
        _, token = await billing.accounts.create_token(user, "test", None)
        owner = Principal(user_id=user.id, name="Owner", channel=Channel.API)
        ws = await billing.workspaces.create_workspace(owner, WorkspaceCreate(name=unique("Acme Studio")))
        await billing.workspaces.update_settings(
            owner,
            ws.company_slug,
            WorkspaceSettingsUpdate(
                legal_name="Acme Studio Ltd",
                email="billing@acme.example",
                payment_instructions="IBAN DE02 1203 0000 0000 2020 51",
            ),
        )
        await session.commit()
    return Team(token=token, slug=ws.company_slug)

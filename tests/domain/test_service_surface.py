"""What the domain services offer the faces: only methods that name the workspace they act
in, and an update rule for every field an update takes."""

from __future__ import annotations

import inspect

from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

from app.domain.access import WorkspaceAccess
from app.domain.clients import ClientService
from app.domain.invoices import InvoiceService
from app.domain.invoices.editing import FIELD_RULES
from app.domain.schemas import InvoiceUpdate
from app.domain.workspaces import WorkspaceService
from tests.conftest import ONE_DATABASE

pytestmark = ONE_DATABASE

WORKSPACE_SCOPED = (InvoiceService, ClientService)
# Methods of a workspace-scoped service that touch no database row.
NO_QUERY = {"out"}


def _public(service: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(service, inspect.isfunction) if not name.startswith("_")}


def test_no_service_inherits_the_generic_methods_that_take_no_workspace() -> None:
    """``get``, ``list``, ``update``... of advanced-alchemy's service filter by nothing: on
    PostgreSQL an unbound transaction sees every workspace, so none may be reachable."""
    generic = _public(SQLAlchemyAsyncRepositoryService)
    assert {"get", "list", "update", "delete"} <= generic
    for service in (*WORKSPACE_SCOPED, WorkspaceService):
        assert not generic & _public(service), f"{service.__name__} offers {sorted(generic & _public(service))}"


def test_every_method_of_a_workspace_scoped_service_takes_the_callers_access_first() -> None:
    for service in WORKSPACE_SCOPED:
        for name in sorted(_public(service) - NO_QUERY):
            parameters = list(inspect.signature(getattr(service, name), eval_str=True).parameters.values())
            assert parameters[1].annotation is WorkspaceAccess, f"{service.__name__}.{name} takes no WorkspaceAccess"


def test_every_field_an_update_takes_has_a_rule() -> None:
    """A field added to ``InvoiceUpdate`` without a rule would be accepted and ignored."""
    assert sorted(FIELD_RULES) == sorted(InvoiceUpdate.__struct_fields__)

"""The worker tests use the REST fixtures (a served app on the test database)."""

from tests.api.conftest import app, caller, client, stranger

__all__ = ["app", "caller", "client", "stranger"]

"""API fuzzing: schemathesis generates requests for every operation of the served
``/api/openapi.json`` (a real ``billcraft serve`` on the test database, called with the bearer
token of a user who owns the workspace) and checks each answer against the document with all
its built-in checks: no 5xx; every status code, content type, header and body as documented
(problems are ``application/problem+json``); schema-invalid requests refused; declared
authentication enforced. (Schema-valid requests may still be refused with a 422 naming the
field: currencies, IANA zones, roles and statuses are checked by the domain, not listed in
the document; the property tests hold those refusals.) Path parameters mostly name
the caller's own workspace and real rows in it (a client, an invoice in each lifecycle
state, a member: see conftest.py), and sometimes keep their generated value, so that the
not-found paths are fuzzed too.

Profiles:

- Quick (the default, what CI runs): ``BILLCRAFT_FUZZ_EXAMPLES`` unset. 20 generated cases
  per operation, valid and invalid alike (about 620 requests, under a minute here), on
  PostgreSQL only. Derandomized: every run sends the same cases, so CI does not pass or fail on a
  lucky draw, and a failure reproduces by running the module again.
- Long: ``BILLCRAFT_FUZZ_EXAMPLES=500 uv run pytest tests/fuzz`` (with
  ``BILLCRAFT_TEST_DATABASE=postgresql`` for PostgreSQL). That many generated cases per
  operation, plus schemathesis' coverage phase (each parameter and field at its limits,
  empty, missing, of each wrong type; methods a path does not serve, whose 405 and ``Allow``
  are checked against the document). Random: each long run explores new inputs; its
  seed is printed with a failure (``fuzzing seed: ...``) and ``BILLCRAFT_FUZZ_SEED=<seed>``
  replays it.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis import BaseSchema, Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import TARGET
from tests.fuzz.conftest import FuzzAccount, Targets

# The quick profile runs against PostgreSQL, the production database: its minute of CI
# is spent once. SQLite's answers to bad input are held by the property tests (both).
pytestmark = pytest.mark.skipif(
    TARGET != "postgresql" and "BILLCRAFT_FUZZ_EXAMPLES" not in os.environ,
    reason="the quick fuzzing profile runs on PostgreSQL",
)

QUICK_EXAMPLES = 20
EXAMPLES = int(os.environ.get("BILLCRAFT_FUZZ_EXAMPLES") or QUICK_EXAMPLES)
LONG = "BILLCRAFT_FUZZ_EXAMPLES" in os.environ
SEED = os.environ.get("BILLCRAFT_FUZZ_SEED")


@pytest.fixture(scope="session")
def fuzz_schema(fuzz_server: str, fuzz_targets: Targets) -> BaseSchema:
    """The served OpenAPI document, with the profile's settings and the hooks that aim path
    parameters at the workspace's real rows and keep those rows in supply."""
    settings: dict[str, object] = {
        "base-url": fuzz_server,
        "request-timeout": 30,
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": not LONG and SEED is None,
            # No example database: a quick run is derandomized anyway, and a long run's
            # failures are replayed by their seed, not by cases saved from another server.
            "database": "none",
        },
    }
    if not LONG:
        # The coverage phase sends some 1,500 cases here and costs three times as much per
        # case as the generated ones: the long profile runs it, the quick one does not.
        settings["phases"] = {"coverage": {"enabled": False}}
    if SEED is not None:
        settings["seed"] = int(SEED)
    schema = schemathesis.openapi.from_url(
        f"{fuzz_server}/api/openapi.json", config=schemathesis.Config.from_dict(settings)
    )
    schema.hooks.register_hook_with_name(fuzz_targets.aim, "map_case")
    schema.hooks.register_hook_with_name(fuzz_targets.after_call, "after_call")
    if LONG or SEED is not None:
        print(f"fuzzing seed: BILLCRAFT_FUZZ_SEED={schema.config.seed}")
    return schema


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
def test_every_operation_answers_as_its_openapi_document_says(case: Case, fuzz_account: FuzzAccount) -> None:
    """Whatever the request, the server answers without a 5xx and as documented: a
    documented status, content type, headers and body; schema-invalid data refused; the
    declared bearer authentication enforced."""
    # Schema-valid data refused by a domain rule the document does not state (known
    # currencies, IANA zones, roles, statuses, emails, dates within 2000-2100) is a 422 that
    # names the field; the property tests hold those refusals. Every other check runs.
    case.call_and_validate(headers=fuzz_account.headers, excluded_checks=[positive_data_acceptance])

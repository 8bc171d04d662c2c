"""The finishing pass over the generated OpenAPI document, for what Litestar cannot infer
from a handler: the RFC 9457 problems each operation may answer (by what it takes: a token,
a path, a body), bodies that may be left out, amounts that travel as strings or numbers,
and the bounce webhook's signature header. A new route gets its problems documented
without a line of its own; the fuzzing suite (tests/fuzz) holds every answer to this."""

from __future__ import annotations

import inspect
import re
import typing
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Litestar
from litestar.enums import ParamType
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

from app.api.problems import PROBLEM_JSON
from app.domain import schemas

PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    title="Problem",
    description="RFC 9457 problem details; `code` says what went wrong, `field` or `errors` where",
    required=["type", "title", "status", "detail", "code"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "code": Schema(type=OpenAPIType.STRING),
        "field": Schema(type=OpenAPIType.STRING),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(
                type=OpenAPIType.OBJECT,
                properties={"field": Schema(type=OpenAPIType.STRING), "message": Schema(type=OpenAPIType.STRING)},
            ),
        ),
    },
)
WHY = {
    400: "Malformed request: JSON that does not parse, or a parameter of the wrong type",
    401: "No valid token (the answer carries WWW-Authenticate)",
    403: "The token lacks the scope, or the role in the workspace is too low",
    404: "Not found, or not yours to see (a workspace you are not a member of is never confirmed)",
    409: "Refused by the invoice's state, or a conflict such as a number or slug already taken",
    413: "The body is larger than the limit",
    422: "Invalid input: the problem names each field and what is allowed",
    429: "More than the per-user rate limit, or on a send the email caps (Retry-After says when to try again)",
    503: "Not available now (a dependency is down, or the feature is not configured)",
}
WEBHOOK_OFF = "The webhook is off: this server has no BILLCRAFT_BOUNCE_SECRET (answered as for an unknown route)"
_TYPED_PARAM = re.compile(r"\{(\w+):\w+\}")
SIGNATURE_HEADER = "Billcraft-Signature"


def finish_document(app: Litestar) -> None:
    document = app.openapi_schema
    components = document.components if isinstance(document.components, Components) else Components()
    found: dict[str, Schema | Reference] = {**(components.schemas or {}), "Problem": PROBLEM}
    components.schemas = found  # type: ignore[assignment]
    _inputs(found)
    optional_bodies = _optional_bodies(app)
    for path, item in (document.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if not isinstance(operation, Operation):
                continue
            if (method.upper(), path) in optional_bodies and operation.request_body is not None:
                operation.request_body.required = False  # type: ignore[union-attr]
            if path == "/webhooks/bounces":
                _signature_header(operation)
            _problems(document, path, method, operation)


def _problems(document: OpenAPI, path: str, method: str, operation: Operation) -> None:
    public = operation.security == [{}] or (operation.security is None and not document.security)
    statuses: set[int] = set()
    if path.startswith("/api/"):
        statuses |= {400, 422}
        if not public:
            statuses |= {401, 403, 429}
        if "{" in path:
            statuses.add(404)
        if method != "get":
            statuses |= {409, 413}
        elif path.endswith("/einvoice"):
            statuses.add(409)  # a draft has none yet
    elif path == "/ready":
        statuses.add(503)
    elif path.startswith("/webhooks/"):
        statuses |= {400, 401, 404, 413, 422}
    responses = operation.responses if operation.responses is not None else {}
    for status in sorted(statuses):
        responses[str(status)] = OpenAPIResponse(
            description=WEBHOOK_OFF if status == 404 and path.startswith("/webhooks/") else WHY[status],
            content={PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
            headers={"Retry-After": OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER))}
            if status in (429, 503)
            else None,
        )
    operation.responses = responses


def _optional_bodies(app: Litestar) -> set[tuple[str, str]]:
    """The operations whose JSON body may be left out (``data: X | None = None``): Litestar
    documents every body as required."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = inspect.signature(handler.fn).parameters.get("data")
            if data is not None and data.default is None:
                for method in handler.http_methods:
                    found.add((str(method), _TYPED_PARAM.sub(r"{\1}", route.path)))
    return found


# Partial updates: an empty one is refused ("nothing to update").
_AT_LEAST_ONE_FIELD = {"InvoiceUpdate", "ClientUpdate", "WorkspaceSettingsUpdate"}


def _inputs(components: dict[str, Schema | Reference]) -> None:
    """Input bodies refuse unknown fields (``forbid_unknown_fields``) and partial updates an
    empty body. Amounts, quantities and rates are decimals: documented as a decimal string
    (as the API answers them) or a JSON number (which it also takes)."""
    for name, struct in vars(schemas).items():
        if not (isinstance(struct, type) and issubclass(struct, schemas.Input)):
            continue
        target = components.get(name)
        if not isinstance(target, Schema) or not target.properties:
            continue
        target.additional_properties = False
        if name in _AT_LEAST_ONE_FIELD:
            target.min_properties = 1
        for field in msgspec.structs.fields(struct):
            if _holds_decimal(field.type) and field.encode_name in target.properties:
                amount = Schema(
                    one_of=[Schema(type=OpenAPIType.STRING, format="decimal"), Schema(type=OpenAPIType.NUMBER)]  # type: ignore[arg-type]
                )
                nullable = typing.get_origin(field.type) is not None and type(None) in typing.get_args(field.type)
                target.properties[field.encode_name] = (
                    Schema(one_of=[amount, Schema(type=OpenAPIType.NULL)]) if nullable else amount
                )


def _holds_decimal(annotation: Any) -> bool:
    return annotation is Decimal or any(_holds_decimal(arg) for arg in typing.get_args(annotation))


def _signature_header(operation: Operation) -> None:
    header = Parameter(
        name=SIGNATURE_HEADER,
        param_in=ParamType.HEADER,
        required=True,
        description="t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>' with BILLCRAFT_BOUNCE_SECRET>",
        schema=Schema(type=OpenAPIType.STRING),
    )
    operation.parameters = [*(operation.parameters or []), header]

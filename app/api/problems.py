"""RFC 9457 problem details for every error the API returns, each with a ``code``.

Domain errors carry their own code and fields; framework errors (bad JSON, a query
parameter of the wrong type, an oversized body, an unknown route) are given one here.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from app.domain.errors import DomainError, Unauthenticated, holds_nul
from app.domain.schemas import friendly

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("billcraft.api")

_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("body_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}
_AT_PATH = re.compile(r"\s*-\s*at `\$\.?(.*)`$")
# To the last backtick: a name sent may itself hold one.
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(.+)`$")


def problem(
    status: int, code: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    body = {"type": f"about:blank#{code}", "title": title, "status": status, "detail": detail, "code": code, **extra}
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    headers = None
    if isinstance(exc, Unauthenticated):
        # RFC 6750: no error attribute when the request carried no credentials at all;
        # RFC 9728: where to find how to get a token for this resource.
        error = "" if exc.code == "unauthenticated" else f', error="{exc.code}"'
        base = request.app.state.settings.base_url
        resource = "api/mcp" if request.url.path.startswith("/api/mcp") else "api/v1"
        metadata = f"{base}/.well-known/oauth-protected-resource/{resource}"
        headers = {"WWW-Authenticate": f'Bearer realm="billcraft"{error}, resource_metadata="{metadata}"'}
    elif exc.code == "insufficient_scope":
        scope = exc.extra.get("required_scope", "")
        headers = {"WWW-Authenticate": f'Bearer realm="billcraft", error="insufficient_scope", scope="{scope}"'}
    elif "retry_after" in exc.extra:
        headers = {"Retry-After": str(exc.extra["retry_after"])}
    return problem(exc.status, exc.code, exc.title, exc.detail, headers, **exc.extra)


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        field = item.get("key")
        match = _AT_PATH.search(message)
        if match:
            message = message[: match.start()]
            path = match.group(1)
            field = f"{field}.{path}" if field and path and item.get("source") != "body" else path or field
        if item.get("source") == "body":
            # Name the body's own field, never the handler's parameter ("data").
            parent = "" if field == "data" else str(field or "")
            named = _NAMED_FIELD.match(message)
            if named:
                field = f"{parent}.{named.group(1)}" if parent else named.group(1)
            elif not parent:
                field = "body"
                if message == "'data'":  # Litestar's KeyError when there is no body at all
                    message = "a JSON object body is required"
        source = item.get("source", "body")
        source = getattr(source, "value", source)  # Litestar's ParamType enum: "query", not "ParamType.QUERY"
        errors.append({"field": str(field or "body"), "message": friendly(message), "source": str(source)})
    return errors


def validation_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = _field_errors(exc)
    if not errors:
        text = exc.detail or "the request body is not valid"
        if "malformed" in text.lower() or "json" in text.lower():
            return problem(400, "malformed_json", "Malformed JSON", "the request body is not valid JSON")
        return problem(422, "validation_error", "Invalid input", text)
    first = errors[0]
    return problem(422, "validation_error", "Invalid input", f"{first['field']}: {first['message']}", errors=errors)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if exc.status_code == 400 and isinstance(exc.__cause__, SerializationException):
        # Litestar wraps a body that does not decode in a plain 400 ClientException.
        return problem(400, "malformed_json", "Malformed JSON", f"the request body is not valid JSON: {exc.detail}")
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    if exc.status_code >= 500:
        return problem(exc.status_code, "internal_error", "Internal error", "something went wrong on our side")
    return problem(exc.status_code, code, title, exc.detail or title, exc.headers)


def undecodable_body_handler(_: Request[Any, Any, Any], exc: UnicodeDecodeError | RecursionError) -> Response[Any]:
    """Bytes that are not UTF-8, or nesting too deep to decode: msgspec raises these past
    Litestar's own JSON error."""
    reason = "it is not UTF-8" if isinstance(exc, UnicodeDecodeError) else "it is nested too deeply"
    return problem(400, "malformed_json", "Malformed JSON", f"the request body is not valid JSON: {reason}")


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    if holds_nul(exc):
        return problem(422, "validation_error", "Invalid input", "text must not contain the NUL character (U+0000)")
    return internal_error_handler(request, exc)


def store_unavailable_handler(request: Request[Any, Any, Any], exc: RedisError) -> Response[dict[str, Any]]:
    """Redis is down where a request needs it (a browser session on the OAuth pages)."""
    log.warning("redis unreachable", path=request.url.path, error=str(exc))
    return problem(503, "unavailable", "Unavailable", "try again in a few seconds", {"Retry-After": "10"})


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", path=request.url.path, method=request.method)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "Internal error", "something went wrong on our side"
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    RedisError: store_unavailable_handler,
    UnicodeDecodeError: undecodable_body_handler,
    RecursionError: undecodable_body_handler,
    DBAPIError: database_error_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem"]

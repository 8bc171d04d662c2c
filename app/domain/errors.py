"""Domain errors: each has a machine-readable ``code`` and the HTTP status a face should use.

Faces translate them: REST into RFC 9457 problem details, MCP into tool errors.
"""

from __future__ import annotations

from typing import Any, Self

from sqlalchemy.exc import DBAPIError


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class ValidationFailed(DomainError):
    """Bad input. ``errors`` lists each offending field with the rule it broke."""

    status = 422
    code = "validation_error"
    title = "Invalid input"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        first = errors[0]
        super().__init__(detail or f"{first['field']}: {first['message']}", errors=errors)
        self.errors = errors

    @classmethod
    def field(cls, field: str, message: str) -> Self:
        return cls([{"field": field, "message": message}])


class NotFound(DomainError):
    """Also what a stranger to a workspace gets: never learning that it exists."""

    status = 404
    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    """A member whose role or token scopes do not allow the action."""

    status = 403
    code = "forbidden"
    title = "Forbidden"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Unavailable(DomainError):
    """A capability this server does not offer (yet); nothing was changed."""

    status = 501
    code = "not_available"
    title = "Not available"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Action not allowed in this status"

    def __init__(self, action: str, status: str, allowed: list[str], reason: str | None = None) -> None:
        why = reason or f"cannot {action.replace('_', ' ')} an invoice that is {status}"
        self.why = why  # the refusal alone, for a face that words the allowed actions itself
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"{why}; actions allowed now: {allowed_text}",
            action=action,
            current_status=status,
            allowed_actions=allowed,
        )


def holds_nul(exc: BaseException) -> bool:
    """Whether PostgreSQL refused text holding U+0000 (inputs refuse it first and searches
    holding one match nothing; this is the net for text that reaches a query another way)."""
    return isinstance(exc, DBAPIError) and "0x00" in str(exc.orig)


class EinvoiceRejected(ValidationFailed):
    """The e-invoice of a document breaks the official rules of its format (EN 16931, XRechnung,
    Peppol, Factur-X): each entry of ``errors`` names the rule (``rule``), its message and the
    Billcraft field to fix."""

    code = "einvoice_invalid"
    title = "The e-invoice breaks the rules of its format"

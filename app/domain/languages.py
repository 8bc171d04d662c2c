"""The languages Billcraft writes documents in (their catalogues are ``app/documents/locale``),
and which one a client's documents take: the client's own, else the workspace's."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from app.domain.errors import ValidationFailed

# English is the source text itself.
LANGUAGES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt_BR": "Português (Brasil)",
}


def supported(language: str) -> str | None:
    """``language`` as Billcraft writes it (``de``, ``pt_BR``; ``pt-br`` too), or None."""
    wanted = language.strip().lower().replace("-", "_")
    return next((code for code in LANGUAGES if code.lower() == wanted), None)


def check_language(value: str, field: str = "language") -> str:
    """A client's language: empty (the workspace's) or one Billcraft writes."""
    if not value.strip():
        return ""
    code = supported(value)
    if code is None:
        raise ValidationFailed.field(
            field, f"{value!r} is not a language Billcraft writes; use one of {', '.join(LANGUAGES)}"
        )
    return code


def document_language(client_language: str | None, workspace_locale: str) -> str:
    """The client's language when set, else the workspace locale's when Billcraft writes it,
    else English."""
    if client_language and supported(client_language):
        return str(supported(client_language))
    try:
        locale = Locale.parse(workspace_locale)
    except (ValueError, UnknownLocaleError):
        return "en"
    if locale.language == "pt" and locale.territory == "BR":
        return "pt_BR"
    return supported(str(locale.language)) or "en"

"""The words of documents in the client's language (``app.domain.languages`` says which):
the invoice and credit note (PDF and public page), the email and the legal notes. Words come
from gettext catalogues, ``locale/<language>/LC_MESSAGES/billcraft.po`` (the English source
in ``locale/billcraft.pot``), read with babel: a translator adds or corrects a language
there without touching code; ``tests/documents/test_catalogues.py`` says what one lacks."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "billcraft"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=16)
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language`` (read once per process); English needs none."""
    path = catalogue_path(language)
    if language == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(language: str, message: str) -> str:
    return str(translations(language).gettext(message))


def formatting_locale(language: str, workspace_locale: str) -> Locale:
    """How dates, numbers and amounts are written: the workspace's own locale when it is of
    that language (de_AT keeps Austria's ways), else the language's usual one."""
    try:
        workspace = Locale.parse(workspace_locale)
    except (ValueError, UnknownLocaleError):
        workspace = Locale("en", "US")
    if str(workspace.language) == language.split("_")[0] and ("_" not in language or str(workspace) == language):
        return workspace
    return Locale.parse(language)

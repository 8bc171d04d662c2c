"""The translation catalogues (issue 21): every text the documents, the public page and the
email say is in the English source (``billcraft.pot``), and each of the seven languages'
catalogues translates all of it, keeping every ``{placeholder}`` of the source. When a new
text is added, this test names it and the languages that lack it."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from app.documents.html import CATEGORY_LABELS, LABELS
from app.documents.i18n import LOCALE_DIR, catalogue_path, gettext
from app.domain import vat
from app.domain.languages import LANGUAGES
from app.web.public import STATUS_WORDS

PLACEHOLDER = re.compile(r"\{\w+\}")


def source() -> set[str]:
    with (LOCALE_DIR / "billcraft.pot").open("rb") as pot:
        return {str(m.id) for m in read_po(pot) if m.id}


def test_every_text_the_documents_say_is_in_the_source_catalogue() -> None:
    said = {*LABELS.values(), *CATEGORY_LABELS.values(), *vat.LEGAL_NOTES.values(), *STATUS_WORDS.values(),
            "Exempt from VAT: {reason}."}  # fmt: skip
    assert said <= source(), sorted(said - source())


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_each_language_translates_every_text_with_its_placeholders(language: str) -> None:
    with catalogue_path(language).open("rb") as po:
        catalogue = {str(m.id): str(m.string) for m in read_po(po) if m.id}
    missing = sorted(msgid for msgid in source() if not catalogue.get(msgid))
    assert not missing, f"{language} lacks: {missing}"
    for msgid, text in catalogue.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), (language, msgid, text)
    assert gettext(language, "Invoice") != "Invoice", "the catalogue is read"

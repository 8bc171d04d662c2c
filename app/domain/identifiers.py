"""Business identifiers checked by their own rules, not just stored (python-stdnum): VAT IDs
by their country's check digits (the EU's prefixes and any other country stdnum knows),
IBAN and BIC, the client's Peppol participant id and buyer reference (a German Leitweg-ID)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import stdnum
from stdnum import bic, ean, iban
from stdnum.de import leitweg
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from app.domain.errors import ValidationFailed as DomainValidation

_SEPARATORS = re.compile(r"[\s.\-/]")


def vat_id_problem(value: str) -> str | None:
    """Why ``value`` is not a VAT ID, or None when it is one (``DE136695976``,
    ``FR 40 303 265 045``, ``CHE-116.281.710 MWST``)."""
    compact = _SEPARATORS.sub("", value).upper()
    if len(compact) < 4 or not compact[:2].isalpha():
        return f"{value!r} is not a VAT ID: it starts with its country's two letters, e.g. DE136695976"
    country = compact[:2].lower()
    module: Any = None
    if country in eu_vat.MEMBER_STATES or country == "el":
        module = eu_vat
    else:
        with contextlib.suppress(ImportError):
            module = stdnum.get_cc_module(country, "vat")
        if module is None:
            return None  # a country whose numbers stdnum cannot check: kept as given
    try:
        module.validate(compact)
    except ValidationError as error:
        return f"{value!r} is not a valid VAT ID: {str(error).rstrip('.').lower()}"
    return None


def _problem(module: Any, value: str, what: str, example: str) -> str | None:
    try:
        module.validate(value)
    except ValidationError as error:
        return f"{value!r} is not a valid {what} ({str(error).rstrip('.').lower()}), e.g. {example}"
    return None


def check_iban(value: str, field: str = "iban") -> str:
    """An IBAN, written in groups of four (``DE89 3704 0044 0532 0130 00``); empty for none."""
    if not value.strip():
        return ""
    problem = _problem(iban, value, "IBAN", "DE89 3704 0044 0532 0130 00")
    if problem:
        raise DomainValidation.field(field, problem)
    return str(iban.format(value))


def check_bic(value: str, field: str = "bic") -> str:
    if not value.strip():
        return ""
    problem = _problem(bic, value, "BIC", "COBADEFFXXX")
    if problem:
        raise DomainValidation.field(field, problem)
    return str(bic.compact(value))


# A Peppol participant: its scheme (ISO 6523 ICD / EAS, four digits) and its identifier.
_PARTICIPANT = re.compile(r"^(\d{4}):(\S{1,100})$")


def check_electronic_address(value: str, field: str = "electronic_address") -> str:
    """Where the client receives e-invoices: a Peppol participant id ``scheme:identifier``
    (``0088:4012345000009`` a GLN, ``9930:DE136695976`` a German VAT ID, ``0204:`` a
    Leitweg-ID); the identifier is checked where its scheme has check digits."""
    text = value.strip()
    if not text:
        return ""
    match = _PARTICIPANT.match(text)
    if match is None:
        raise DomainValidation.field(
            field, f"{value!r} is not a Peppol participant id: scheme:identifier, e.g. 0088:4012345000009"
        )
    scheme, identifier = match.groups()
    problem = None
    if scheme == "0088":
        problem = _problem(ean, identifier, "GLN", "4012345000009")
    elif scheme == "0204":
        problem = _problem(leitweg, identifier, "Leitweg-ID", "04011000-1234512345-06")
    elif scheme.startswith("99") and identifier[:2].isalpha():
        problem = vat_id_problem(identifier)
    if problem:
        raise DomainValidation.field(field, problem)
    return f"{scheme}:{identifier}"


def check_buyer_reference(value: str, field: str = "buyer_reference") -> str:
    """The reference the client asks invoices to carry (EN 16931 BT-10): free text, except
    that a German Leitweg-ID (``04011000-1234512345-06``) must have its check digits right."""
    text = value.strip()
    if _LEITWEG.match(text) and (problem := _problem(leitweg, text, "Leitweg-ID", "04011000-1234512345-06")):
        raise DomainValidation.field(field, problem)
    return text


_LEITWEG = re.compile(r"^\d{2,12}(-[0-9A-Za-z]{1,30})?-\d{2}$")

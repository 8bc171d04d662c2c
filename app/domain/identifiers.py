"""Business identifiers checked by their own rules, not just stored: VAT IDs by their
country's check digits (python-stdnum), with the EU's prefixes and any other country
stdnum knows."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import stdnum
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

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

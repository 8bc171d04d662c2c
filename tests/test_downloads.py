"""app.downloads: the one file name of an invoice PDF and its Content-Disposition, for any
number at all (hypothesis draws arbitrary text, control and bidi characters included)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.downloads import MAX_NUMBER, content_disposition, pdf_filename
from tests.conftest import ONE_DATABASE
from tests.hostile_numbers import HOSTILE_NUMBERS

pytestmark = ONE_DATABASE

ASCII_NAME = re.compile(r"[A-Za-z0-9._-]+")
HEADER = re.compile(r"inline; filename=\"([A-Za-z0-9._-]+)\"(?:; filename\*=UTF-8''([A-Za-z0-9%._~-]+))?")


@pytest.mark.parametrize(("number", "filename", "header"), HOSTILE_NUMBERS)
def test_hostile_numbers_give_a_plain_name_and_header(number: str, filename: str, header: str) -> None:
    assert pdf_filename(number) == filename
    assert content_disposition(filename) == header


@pytest.mark.parametrize(
    ("number", "filename"),
    [
        ("INV-2026-0001", "invoice-INV-2026-0001.pdf"),
        ("2026/017", "invoice-2026-017.pdf"),
        ("A 1 #2", "invoice-A-1-2.pdf"),
        (None, "invoice-draft.pdf"),
        ("", "invoice-draft.pdf"),
        ("../..", "invoice-draft.pdf"),
        (".hidden", "invoice-hidden.pdf"),
    ],
)
def test_ordinary_and_empty_numbers(number: str | None, filename: str) -> None:
    assert pdf_filename(number) == filename


def test_a_long_number_is_cut_to_a_bounded_name() -> None:
    assert pdf_filename("A" * 500) == f"invoice-{'A' * MAX_NUMBER}.pdf"


@given(st.text(max_size=300))
def test_any_number_gives_a_safe_name_and_header(number: str) -> None:
    """No separator, no "..", no control or format character, nothing but letters, digits
    and . _ - in the name; the header is ASCII with a quoted ASCII name."""
    name = pdf_filename(number)
    assert name.startswith("invoice-")
    assert name.endswith(".pdf")
    assert ".." not in name
    assert len(name) <= len("invoice-.pdf") + MAX_NUMBER
    assert all(c.isalnum() or c in "._-" for c in name), name
    header = content_disposition(name)
    assert header.isascii()
    assert header.isprintable()
    assert HEADER.fullmatch(header), header
    assert ASCII_NAME.fullmatch(header.split('"')[1])

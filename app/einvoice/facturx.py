"""Factur-X / ZUGFeRD: the printed PDF with its CII XML embedded as ``factur-x.xml`` (an
associated file, ``/AFRelationship /Data``) and the XMP metadata that says so (the
``factur-x`` package does both), made a PDF/A-3b candidate here: an sRGB output intent, the
document's title and language. What of PDF/A-3b is checked, and how, is in
``tests/einvoice/test_facturx_pdf.py``."""

from __future__ import annotations

import hashlib
import io

from facturx import generate_from_binary
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


_PROFILE: bytes | None = None


def _pdfa_finish(pdf: bytes) -> bytes:
    """What PDF/A asks and the ``factur-x`` package leaves out: an output intent naming the
    colour space the pages were made for, and the file identifier in the trailer."""
    global _PROFILE
    if _PROFILE is None:
        _PROFILE = _srgb_profile()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    profile = StreamObject()
    profile.set_data(_PROFILE)
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): writer._add_object(profile),
        }
    )
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    identifier = ByteStringObject(hashlib.md5(pdf, usedforsecurity=False).digest())
    writer._ID = ArrayObject([identifier, identifier])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def embed(pdf: bytes, xml: bytes, *, title: str, author: str, language: str) -> bytes:
    """The Factur-X PDF of ``pdf`` and its CII ``xml`` (EN 16931 profile)."""
    return _pdfa_finish(
        generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=False,  # checked already, with the rules, by app.einvoice.checker
            pdf_metadata={"author": author, "keywords": "Factur-X, Invoice", "title": title, "subject": title},
            lang=language.replace("_", "-"),
        )
    )

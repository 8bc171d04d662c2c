"""What the two syntax writers share: building elements in order with lxml, and writing
amounts, rates and dates the way EN 16931 reads them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

# The specification identifiers (BT-24) and the business process (BT-23) of each format.
EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


class Writer:
    """Appends elements by prefixed name (``cbc:ID``) under the namespaces given; never
    writes an empty element (PEPPOL-EN16931-R008): a ``None`` or blank text is skipped."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.namespaces = namespaces

    def qname(self, name: str) -> str:
        prefix, local = name.split(":")
        return f"{{{self.namespaces[prefix]}}}{local}"

    def root(self, name: str, default: str | None = None) -> etree._Element:
        nsmap: dict[str | None, str] = {k: v for k, v in self.namespaces.items() if k != default}
        if default:
            nsmap[None] = self.namespaces[default]
        return etree.Element(self.qname(name), nsmap=nsmap)  # type: ignore[arg-type]  # None: the default namespace

    def add(self, parent: etree._Element, name: str, text: object = None, **attributes: str) -> etree._Element:
        element = etree.SubElement(parent, self.qname(name))
        if text is not None:
            element.text = str(text)
        for key, value in attributes.items():
            element.set(key, value)
        return element

    def text(self, parent: etree._Element, name: str, text: object, **attributes: str) -> None:
        """Only when there is something to say."""
        if text is None or (isinstance(text, str) and not text.strip()):
            return
        self.add(parent, name, text, **attributes)


def amount(value: Decimal, digits: int) -> str:
    """An amount in its currency's digits, but never more than the two EN 16931 allows
    (BR-DEC-*) when the third is a zero: KWD 12.500 is written 12.50. A KWD amount with fils
    in its third digit is written as it is, and the official rules refuse it."""
    quantized = value.quantize(Decimal(1).scaleb(-digits)) if digits else value.quantize(Decimal(1))
    if digits > 2 and quantized == quantized.quantize(Decimal("0.01")):
        quantized = quantized.quantize(Decimal("0.01"))
    return format(quantized, "f")


def plain(value: Decimal) -> str:
    """A quantity, a price or a rate: as few digits as it needs, never an exponent."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"


def rate(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def iso_date(day: dt.date) -> str:
    return day.isoformat()


def cii_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def serialize(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))

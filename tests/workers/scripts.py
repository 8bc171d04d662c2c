"""Names, addresses and item descriptions in the scripts a client may write in, and how the
tests read a printed PDF back: its text (pdftotext), where each word sits (pdftotext
-bbox) and which glyphs it draws (pypdf), to tell a real glyph from a missing one."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from dataclasses import dataclass
from html import unescape
from io import BytesIO
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, NameObject


@dataclass(frozen=True)
class Sample:
    script: str
    name: str
    address: str
    description: str
    rtl: bool = False


SAMPLES = [
    Sample("cyrillic", "Иванов и партнёры", "ул. Большая Садовая, д. 10", "Разработка фирменного стиля"),
    # Greek capitals that look like Latin ones (ruff's RUF001): they are Greek on purpose.
    Sample("greek", "Παπαδόπουλος & Υιοί Α.Ε.", "Λεωφόρος Βασιλίσσης Σοφίας 12", "Σχεδιασμός λογότυπου"),  # noqa: RUF001
    # The Latin word ending each right-to-left description stands left of it only when the
    # line is laid out right to left (dir="auto"): in a left-to-right line it stands right.
    # No lam-alef in the Arabic: that pair prints as one ligature glyph, which the visual
    # reading (``visual_words``, one glyph per letter) does not take apart.
    Sample("arabic", "شركة النور للتجارة", "شارع الملك فهد ١٢", "تصميم متجر Shopify", rtl=True),
    Sample("hebrew", "חברת אור", "רחוב הרצל 12", "עיצוב אתר WordPress", rtl=True),
    Sample("chinese", "北京星辰科技有限公司", "北京市朝阳区建国路88号", "网站设计与开发"),
    Sample("japanese", "株式会社さくらデザイン", "東京都渋谷区神南1-2-3", "ウェブサイト制作費"),
    Sample("korean", "주식회사 한빛소프트", "서울특별시 강남구 테헤란로 123", "웹사이트 디자인 및 개발"),
]


def pdf_text(path: str) -> str:
    return subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout


@dataclass(frozen=True)
class Word:
    """One word as pdftotext -bbox gives it: its glyphs in the order they stand on the page,
    left to right (so a right-to-left word comes reversed), and its box in points."""

    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', re.DOTALL)


def pdf_words(path: str) -> list[Word]:
    """The words of page 1, each with its box."""
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", path, "-"], capture_output=True, text=True, check=True
    )
    return [
        Word(unescape(m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4])) for m in _WORD.finditer(done.stdout)
    ]


def _strong(token: str) -> str:
    """R for a word with right-to-left letters, L for one with left-to-right letters, N else."""
    classes = {unicodedata.bidirectional(c) for c in token}
    return "R" if classes & {"R", "AL"} else "L" if "L" in classes else "N"


def visual_words(logical: str) -> list[str]:
    """How a right-to-left line stands on the page, word by word from left to right: the
    runs of words in reverse order; in a right-to-left run the words reversed and each
    word's letters reversed; a left-to-right run (Latin words, with the numbers after them)
    and a number standing alone keep their order. This is the Unicode bidirectional
    algorithm for a right-to-left line of such words separated by spaces, not in general."""
    runs: list[tuple[str, list[str]]] = []
    for token in logical.split():
        kind = _strong(token)
        if runs and (runs[-1][0] == kind != "N" or (kind == "N" and runs[-1][0] == "L")):
            runs[-1][1].append(token)
        else:
            runs.append((kind, [token]))
    return [
        word
        for kind, tokens in reversed(runs)
        for word in ([t[::-1] for t in reversed(tokens)] if kind == "R" else tokens)
    ]


def on_one_line(words: list[Word], expected: list[str]) -> bool:
    """Whether ``expected`` stands, word after word from left to right, on one line (words
    in different fonts have different boxes: one line is where their middles meet)."""

    def middle(word: Word) -> float:
        return (word.y_min + word.y_max) / 2

    for first in words:
        if first.text != expected[0]:
            continue
        reach = (first.y_max - first.y_min) / 2
        line = sorted((w for w in words if abs(middle(w) - middle(first)) < reach), key=lambda w: w.x_min)
        start = line.index(first)
        if [w.text for w in line[start : start + len(expected)]] == expected:
            return True
    return False


# --- missing glyphs -----------------------------------------------------------------------
#
# A character that no font has is drawn with glyph 0, ".notdef" (the empty box). Chromium
# still writes the character into the PDF's text layer (an /ActualText span), so pdftotext
# reads it back as if all were well: only the glyphs drawn tell. Chromium's PDFs (Skia) hold
# two kinds of fonts: TrueType fonts embedded as Type0 with Identity-H, where each 2-byte
# code is the glyph id (CIDToGIDMap /Identity), so code 0 is .notdef; and fonts it cannot
# embed as such (the CFF-based Noto CJK collections), drawn as Type3 fonts whose glyph
# procedures are named "g<glyph id in hex>", so /g0 is .notdef.


def notdef_glyphs(pdf: bytes) -> list[str]:
    """Every .notdef glyph that the PDF draws, as "page N, font F"; empty when every
    character was drawn with a real glyph."""
    reader = PdfReader(BytesIO(pdf))
    found: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        _scan(page.get_contents(), page["/Resources"], reader, f"page {number}", found)
    return found


def _scan(contents: Any, resources: Any, reader: PdfReader, where: str, found: list[str]) -> None:
    if contents is None:
        return
    resources = resources.get_object() if resources is not None else DictionaryObject()
    fonts = resources.get("/Font", DictionaryObject()).get_object()
    font: Any = None
    name = ""
    for operands, operator in ContentStream(contents, reader).operations:
        if operator == b"Tf":
            name = str(operands[0])
            font = fonts[name].get_object()
        elif operator in (b"Tj", b"'", b'"', b"TJ"):
            strings = operands[0] if operator == b"TJ" else operands[-1:]
            for string in strings if isinstance(strings, (list, ArrayObject)) else [strings]:
                if isinstance(string, (int, float)) or font is None:
                    continue
                raw = string.get_original_bytes() if hasattr(string, "get_original_bytes") else bytes(string)
                if _draws_notdef(font, raw):
                    found.append(f"{where}, font {name} ({font.get('/BaseFont', font.get('/Subtype'))})")
        elif operator == b"Do":
            xobject = resources["/XObject"][operands[0]].get_object()
            if xobject.get("/Subtype") == "/Form":
                _scan(xobject, xobject.get("/Resources", resources), reader, where, found)


def _draws_notdef(font: Any, raw: bytes) -> bool:
    if str(font["/Subtype"]) == "/Type0":
        assert str(font["/Encoding"]) == "/Identity-H", font["/Encoding"]
        descendant = font["/DescendantFonts"][0].get_object()
        assert str(descendant.get("/CIDToGIDMap", "/Identity")) == "/Identity", "only identity CID maps"
        return any(raw[i : i + 2] == b"\0\0" for i in range(0, len(raw), 2))
    encoding = font.get("/Encoding")
    names: dict[int, str] = {}
    if encoding is not None and not isinstance(encoding, NameObject):
        code = 0
        for item in encoding.get_object().get("/Differences", []):
            if isinstance(item, int):
                code = item
            else:
                names[code] = str(item)
                code += 1
    return any(names.get(code) in ("/g0", "/.notdef") for code in raw)

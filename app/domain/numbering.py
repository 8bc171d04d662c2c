"""Invoice number patterns: ``INV-{YYYY}-{SEQ:4}`` and friends, and continuing a
workspace's own numbering (``2026/017`` is followed by ``2026/018``)."""

from __future__ import annotations

import datetime as dt
import re

from app.domain.errors import ValidationFailed

DEFAULT_PATTERN = "INV-{YYYY}-{SEQ:4}"
SEQ_MARK = "{SEQ}"
_TOKEN = re.compile(r"\{([A-Z]+)(?::(\d{1,2}))?\}")
_DATE_TOKENS = {"YYYY": "%Y", "YY": "%y", "MM": "%m"}
_TRAILING_DIGITS = re.compile(r"(\d+)(\D*)$")
NUMBER_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/#-]{0,63}$")
# Numbers name downloaded files: never a backslash (refused by NUMBER_RULE) nor "..", so
# that no number reads as a path out of a folder. "/" stays: "2026/017" is a common style.
ALLOWED = 'letters, digits, spaces and . _ / # - (never ".."), starting with a letter or digit'


def _number_problem(number: str) -> str | None:
    if not NUMBER_RULE.match(number) or ".." in number:
        return f"numbers may hold {ALLOWED}"
    return None


def validate_pattern(pattern: str) -> str:
    pattern = pattern.strip()
    tokens = _TOKEN.findall(pattern)
    unknown = sorted({name for name, _ in tokens if name not in _DATE_TOKENS and name != "SEQ"})
    if unknown:
        raise ValidationFailed.field(
            "number_pattern", f"unknown token {{{unknown[0]}}}; allowed: {{YYYY}}, {{YY}}, {{MM}}, {{SEQ}}, {{SEQ:n}}"
        )
    if sum(1 for name, _ in tokens if name == "SEQ") != 1:
        raise ValidationFailed.field("number_pattern", "the pattern needs exactly one {SEQ} or {SEQ:n} token")
    if len(render(pattern, dt.date(2099, 12, 31), 10**9)) > 64:
        raise ValidationFailed.field("number_pattern", "numbers from this pattern would exceed 64 characters")
    problem = _number_problem(render(pattern, dt.date(2026, 1, 1), 1))
    if problem:
        raise ValidationFailed.field("number_pattern", problem)
    return pattern


def scope(pattern: str, day: dt.date) -> str:
    """The pattern with its dates filled in: each scope has its own counter."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return SEQ_MARK if name == "SEQ" else day.strftime(_DATE_TOKENS[name])

    return _TOKEN.sub(fill, pattern)


def render(pattern: str, day: dt.date, seq: int) -> str:
    width = 1
    for name, digits in _TOKEN.findall(pattern):
        if name == "SEQ" and digits:
            width = int(digits)
    return scope(pattern, day).replace(SEQ_MARK, str(seq).zfill(width))


def matches(pattern: str, number: str) -> bool:
    """Whether ``number`` could have come from ``pattern`` (any date)."""
    parts: list[str] = []
    last = 0
    for match in _TOKEN.finditer(pattern):
        parts.append(re.escape(pattern[last : match.start()]))
        parts.append(r"\d+")
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.fullmatch("".join(parts), number) is not None


def continue_number(number: str) -> str | None:
    """The next number after ``number``, keeping its width: ``2026/017`` -> ``2026/018``."""
    match = _TRAILING_DIGITS.search(number)
    if match is None:
        return None
    digits, tail = match.group(1), match.group(2)
    following = str(int(digits) + 1).zfill(len(digits))
    return number[: match.start(1)] + following + tail


def check_number(number: str) -> str:
    number = number.strip()
    if _number_problem(number):
        raise ValidationFailed.field("number", f"1 to 64 characters: {ALLOWED}")
    return number

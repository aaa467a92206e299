"""Ages and durations written in digits or words ("I'm 72", "for six weeks").

Works on triage-normalised text (lower case, no apostrophes, hyphens as
spaces), so "seventy-two" arrives as "seventy two" and "I'm" as "im".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Quantity", "find_ages", "find_durations", "parse_number"]

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
# Vague amounts count low, so a vague phrase never crosses a threshold on its own.
_VAGUE = {"a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "several": 3}

_DIGIT_UNITS = "|".join(sorted(_UNITS, key=len, reverse=True))
_WORD_NUMBER = (
    rf"(?:(?:{'|'.join(_TENS)})(?: (?:one|two|three|four|five|six|seven|eight|nine)\b)?"
    rf"|{_DIGIT_UNITS})"
)
_NUMBER = rf"(?:\d{{1,3}}|{_WORD_NUMBER})"

_NOT_AN_AGE = (
    r"(?! ?(?:weeks?|wks?|days?|months?|hours?|hrs?|minutes?|mins?|kg|kgs|kilos?|stone|st|lbs?"
    r"|pounds|percent|%|cm|ft|foot|feet|inch|inches|miles|km|times|x\b|[.,/]\d|th\b|nd\b|rd\b"
    r"|weeks pregnant))"
)
_RELATIVE = (
    r"(?:mum|mom|mother|dad|father|son|daughter|wife|husband|partner|friend|brother|sister"
    r"|gran|grandma|nan|grandad|grandfather|grandmother|neighbour|neighbor|boy|girl|child|kid"
    r"|patient|relative|aunt|uncle)"
)
_AGE_PATTERNS = (
    re.compile(
        rf"\b(?:im|i am|aged|age|age is|i turned|just turned|turning|turned|im now|i am now)"
        rf" (?P<n>{_NUMBER})\b{_NOT_AN_AGE}"
    ),
    re.compile(rf"\b(?P<n>{_NUMBER}) ?(?:years?|yrs?|yr|y) ?old\b(?! {_RELATIVE})"),
    re.compile(r"\b(?P<n>\d{2}) ?(?:yo|y o|y/o)\b"),
    # a message that opens with a bare age: "72, no fall, sore after gardening"
    re.compile(rf"(?:^|[.!?] )(?P<n>\d{{2}}|{_WORD_NUMBER})(?=,| and\b| here\b){_NOT_AN_AGE}"),
    re.compile(
        rf"\b(?:male|female|man|woman|guy|lady|bloke|gent),? (?:aged )?(?P<n>\d{{2}})\b"
        rf"{_NOT_AN_AGE}"
    ),
    re.compile(
        r"\b(?:im |i am )?in my (?:(?P<part>early|mid|late) )?"
        r"(?P<decade>teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties"
        r"|[2-9]0s)\b"
    ),
)
_DECADES = {
    "teens": 10,
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}
_DECADE_PART = {"early": 2, "mid": 5, "late": 8, None: 5}

_DAYS_PER_UNIT = {"day": 1, "week": 7, "wk": 7, "fortnight": 14, "month": 30}
_DURATION_PATTERNS = (
    # "for six weeks", "5 weeks now", "a month", "a couple of weeks ago"; not
    # frequencies ("every 2 weeks"), limits ("less than a month") or pregnancy.
    re.compile(
        r"(?<!every )(?<!each )(?<!once a )(?<!twice a )(?<!per )(?<!less than )(?<!under )"
        r"(?<!fewer than )(?<!within )(?<!im )(?<!i am )(?<!at )"
        rf"\b(?P<n>a couple of|couple of|a few|few|several|an?|{_NUMBER})"
        r" (?P<unit>days?|weeks?|wks?|months?|fortnights?)\b"
        r"(?! (?:pregnant|gone|along|gestation|postpartum|post partum|old|in a row|time|away)\b)"
    ),
    # bare plurals: "for weeks" (about two), "for months" (about two)
    re.compile(
        r"\b(?:for|past|last|over|many|several|some) (?:the )?(?:last |past )?"
        r"(?P<unit>weeks|months)\b(?! (?:pregnant|ago)\b)"
    ),
)
_BARE_PLURAL_DAYS = {"weeks": 14, "months": 60}


@dataclass(frozen=True)
class Quantity:
    """A number found in text: its value and where it was written."""

    value: int
    start: int
    end: int


def parse_number(words: str) -> int | None:
    """The value of ``words`` ("72", "seventy two", "a few"), or None."""
    if words.isdigit():
        return int(words)
    if words in _VAGUE:
        return _VAGUE[words]
    parts = words.split()
    if len(parts) == 1:
        return _UNITS.get(parts[0], _TENS.get(parts[0]))
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS and _UNITS[parts[1]] < 10:
        return _TENS[parts[0]] + _UNITS[parts[1]]
    return None


def find_ages(text: str) -> list[Quantity]:
    """Ages the writer gives in ``text``, in order of appearance (10 to 115 only)."""
    found = []
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(text):
            if match.groupdict().get("decade"):
                decade = match.group("decade")
                base = _DECADES.get(decade) or int(decade[0]) * 10
                value: int | None = base + _DECADE_PART[match.group("part")]
                if decade == "teens":
                    value = 16
            else:
                value = parse_number(match.group("n"))
            if value is not None and 10 <= value <= 115:
                found.append(Quantity(value, match.start(), match.end()))
    return sorted(found, key=lambda quantity: quantity.start)


# Round 10: weeks just after a word for pregnancy are its age, not the pain's:
# "pregnant 20 weeks", "pregnancy, at 20 weeks", "expecting, about 30 weeks".
_GESTATION_BEFORE = re.compile(
    r"\b(?:pregnan\w*|expecting|gestation|gestational|trimester|my bump|the bump)"
    r",? (?:(?:at|about|around|nearly|almost|just over|over|with|and|now|currently|of) )*$"
)
_GESTATION_REACH = 40


def find_durations(text: str) -> list[Quantity]:
    """Durations in ``text``, in days, in order of appearance (years are left out)."""
    found = []
    for pattern in _DURATION_PATTERNS:
        for match in pattern.finditer(text):
            if _GESTATION_BEFORE.search(
                text[max(0, match.start() - _GESTATION_REACH) : match.start()]
            ):
                continue
            unit = match.group("unit")
            amount = match.groupdict().get("n")
            if amount is None:
                days = _BARE_PLURAL_DAYS[unit]
            else:
                count = parse_number(amount)
                if count is None:
                    continue
                days = count * _DAYS_PER_UNIT[unit.rstrip("s")]
            found.append(Quantity(days, match.start(), match.end()))
    return sorted(found, key=lambda quantity: quantity.start)

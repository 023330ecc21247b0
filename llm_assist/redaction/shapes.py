"""The shapes of personal data and what must never be mistaken for it.

Patterns run on an NFKC view of the text (:class:`View`); the digit patterns start a match only
where a run of their characters starts, and the address prefix is atomic, so every pattern is
linear in the text's length (tests/llm_assist/test_redaction.py times adversarial inputs).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from engine.claim import id_number_checksum_valid, luhn_valid
from llm_assist.redaction.romanized import pinyin_literals

KINDS = ("ID", "PHONE", "CARD", "EMAIL", "NAME", "ADDRESS")

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
LATIN = "0-9A-Za-z\u00c0-\u024f"
DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))

PLACEHOLDER = re.compile(r"\[(?:ID|PHONE|CARD|EMAIL|NAME|ADDRESS)_[0-9]+\]")

# Shapes the grounding guard needs verbatim; a candidate overlapping one is not personal data.
PROTECTED = re.compile(
    "|".join(
        [
            PLACEHOLDER.pattern,
            # content hashes and git revisions (long hex with at least one letter), UUIDs
            r"(?<![0-9A-Za-z])(?:sha(?:1|256|384|512):)?(?=[0-9]*[a-fA-F])[0-9a-fA-F]{32,}"
            r"(?![0-9A-Za-z])",
            r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![0-9A-Za-z])",
            # ISO dates and date-times, Chinese dates
            r"(?<![0-9])[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
            r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
            r"(?![0-9])",
            r"(?<![0-9])[0-9]{4}年[0-9]{1,2}月(?:[0-9]{1,2}日)?",
            # decimals such as amounts (23000.00); an 11+ digit integer part is not money
            r"(?<![0-9A-Za-z.@])[0-9]{1,10}\.[0-9]+(?![0-9A-Za-z@]|\.[0-9])",
        ]
    )
)

_STOP = "在于住是的了和与及或为到从往向请我你您他她它其将把被因由并且但址年月日时分秒"
_AC = rf"(?:(?![{_STOP}])[{CJK}])"  # a CJK character that can be part of an address
_NUM = r"(?:[0-9]+|[一二三四五六七八九十百零〇两]+)"
_ADMIN = rf"(?:{_AC}{{1,8}}?(?:省|自治区|特别行政区|市|自治州|地区|盟|州|区|县|旗|镇|乡|街道))"
_STREET = (
    rf"(?:(?:{_AC}|[0-9]){{1,10}}?(?:(?:路|街|巷|弄|胡同)[0-9]+号?"
    rf"|(?:大道|道|里|村|组|屯){_NUM}(?:号|弄|组)))"
)
_ESTATE = rf"(?:{_AC}{{1,10}}?(?:小区|花园|公寓|大厦|家园|新村|苑|园|广场))"
_UNIT = (
    r"(?:(?<![0-9A-Za-z一二三四五六七八九十])(?:[0-9]+[A-Za-z]?|[A-Za-z][0-9]*|[一二三四五六七八九十]+)"
    r"(?:号楼|栋|幢|座|单元|楼|层|室|号|户))"
)
_ADDRESS_CN = (
    rf"(?>{_ADMIN}{{0,4}})(?:{_STREET}{_ESTATE}?{_UNIT}*|{_ESTATE}{_UNIT}+)|{_UNIT}{{2,}}"
    r"|(?<![0-9])[0-9]{3,5}室"
)
_ADDRESS_EN = (
    r"(?<![0-9A-Za-z])[0-9]{1,6}[A-Za-z]?(?:\s+[A-Za-z][A-Za-z.'\-]*){1,4}?\s+"
    r"(?:(?i:Street|Road|Avenue|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Highway|Parkway"
    r"|Square|Circle)|St|Rd|Ave|Blvd|Ln|Dr|Ct|Pl|Hwy|Pkwy|Sq)(?![A-Za-z])\.?"
    r"(?:,?\s*(?i:Apt|Apartment|Suite|Ste|Unit|Room|Rm|Flat|Floor|Fl)\.?\s*#?\s*[0-9A-Za-z\-]+)?"
    r"|(?<![A-Za-z])(?i:Apt|Apartment|Suite|Ste|Unit|Room|Rm|Flat)\.?\s*#?\s*[0-9]+[A-Za-z]?"
    r"(?![0-9A-Za-z])"
)

# (pattern, kind or None when the digits decide, priority: lower wins a tie on the same span)
SHAPES: tuple[tuple[re.Pattern[str], str | None, int], ...] = (
    # e-mail (the lookbehind starts a match only where a run starts: linear time)
    (
        re.compile(
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
        ),
        "EMAIL",
        1,
    ),
    # display masks: 1****************X, 138****5678, 622202******0128, ****0128
    (
        re.compile(
            r"(?<![0-9A-Za-z*])(?:[0-9]{1,6}\*{2,}[0-9]{0,4}[Xx]?|\*{3,}[0-9]{4})(?![0-9A-Za-z*])"
        ),
        None,
        2,
    ),
    # CN mobile, optionally +86 / 0086 and grouped 3-4-4
    (
        re.compile(r"(?<![0-9])(?:(?:\+|00)86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}(?![0-9])"),
        "PHONE",
        3,
    ),
    # international: +44 20 7946 0958
    (
        re.compile(
            r"(?<![0-9A-Za-z+])(?:\+|00)[1-9][0-9]{0,2}(?:[ \-]?\(?[0-9]{1,5}\)?){2,6}(?![0-9])"
        ),
        "PHONE",
        4,
    ),
    # CN landline: 010-12345678, 0571 8888 1234, (0571)88881234
    (
        re.compile(
            r"(?<![0-9])(?:\(0[0-9]{2,3}\)|0[0-9]{2,3})[ \-]?[0-9]{3,4}[ \-]?[0-9]{4}(?![0-9])"
        ),
        "PHONE",
        5,
    ),
    # US: (555) 123-4567, 555-123-4567
    (
        re.compile(
            r"(?<![0-9])(?:\+?1[ \-.]?)?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[\-. ])"
            r"[0-9]{3}[\-. ][0-9]{4}(?![0-9])"
        ),
        "PHONE",
        6,
    ),
    # grouped cards and IDs (12+ digits); not after "INV-": invoice and claim ids
    (
        re.compile(
            r"(?<![0-9])(?<![A-Za-z]-)[0-9]{3,8}(?:[ \-][0-9]{3,8}){1,5}(?:[Xx](?![A-Za-z]))?"
            r"(?![0-9])"
        ),
        None,
        7,
    ),
    # any other digit run: 18/15-character IDs, and every run of 9+ digits
    (re.compile(r"(?<![0-9])(?:[0-9]{17}[Xx]|[0-9]{14}[Xx]|[0-9]{9,})(?![0-9])"), None, 8),
    (re.compile(_ADDRESS_CN), "ADDRESS", 9),
    (re.compile(_ADDRESS_EN), "ADDRESS", 9),
    # a surname-masked Chinese name: 张*, 张**
    (re.compile(rf"[{CJK}]\*{{1,3}}(?![0-9*])"), "NAME", 10),
)
MIN_DIGITS = {2: 7, 4: 8, 7: 12}  # priority -> fewest digits (masks count stars) to count
COMPOUND_SURNAMES = frozenset(
    re.findall(
        "..",
        "欧阳司马上官诸葛东方皇甫尉迟公孙慕容长孙宇文司徒夏侯轩辕令狐钟离端木"
        "独孤南宫西门澹台公羊闻人赫连申屠呼延万俟百里东郭太史",
    )
)
ADDRESS_KEY = re.compile(r"addr|地址", re.IGNORECASE)


class View:
    """The NFKC view of a text, each character mapped back to its original index."""

    def __init__(self, text: str) -> None:
        chars: list[str] = []
        self.origin: list[int] = []
        for index, char in enumerate(text):
            folded = unicodedata.normalize("NFKC", char).translate(DASHES)
            chars.append(folded)
            self.origin.extend([index] * len(folded))
        self.text = "".join(chars)
        self.size = len(text)

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


def digit_chars(text: str) -> str:
    return re.sub(r"[^0-9Xx*]", "", text).upper()


def digit_kind(digits: str) -> str:
    """Label an unexplained digit run; the checksums only break ties between shapes."""
    size = len(digits)
    if "*" in digits:
        if size == 11 and digits.startswith("1"):
            return "PHONE"
        if size in (15, 18) or digits.endswith("X"):
            return "ID"
        return "CARD" if digits.startswith("*") or digits.endswith("*") or size >= 12 else "ID"
    if digits.endswith("X"):
        return "ID"
    if size == 11 and re.fullmatch(r"1[3-9][0-9]{9}", digits):
        return "PHONE"
    if size == 18:
        if id_number_checksum_valid(digits):
            return "ID"
        return "CARD" if luhn_valid(digits) else "ID"
    if size == 15:
        return "CARD" if luhn_valid(digits) else "ID"
    return "CARD" if 12 <= size <= 19 else "ID"


def value_key(kind: str, text: str) -> str:
    """The normalized value: one placeholder per value however it is spaced or cased."""
    folded = unicodedata.normalize("NFKC", text).translate(DASHES)
    if kind in ("ID", "CARD"):
        return digit_chars(folded)
    if kind == "PHONE":
        digits = re.sub(r"[^0-9*]", "", folded)
        return re.sub(r"^(?:0086|86)(?=1[3-9][0-9]{9}$)", "", digits)
    return re.sub(r"\s+", "", folded).casefold()


def flexible(value: str) -> str:
    """Regex for a digit value written with any spaces or dashes between its characters."""
    return r"[ \-]?".join(re.escape(char) for char in value)


def name_literals(name: str) -> list[tuple[str, int]]:
    """(pattern, flags) for a member name, its given name and surname-masked forms."""
    name = unicodedata.normalize("NFKC", name).strip()
    if not name:
        return []
    if re.search(f"[{CJK}]", name):
        parts = [p for p in re.split(r"[·•.\s]+", name) if p]
        patterns = [r"\s*".join(map(re.escape, "".join(parts)))] if len("".join(parts)) >= 2 else []
        if len(parts) > 1:
            patterns += [re.escape(p) for p in parts if len(p) >= 2]
            return [(p, 0) for p in patterns]
        surname_len = 2 if name[:2] in COMPOUND_SURNAMES and len(name) >= 3 else 1
        surname, given = name[:surname_len], name[surname_len:]
        if len(given) >= 2:
            patterns.append(re.escape(given))
        patterns.append(re.escape(surname) + r"(?:\*{1,3}|×{1,3}|某{1,2}|先生|女士|小姐)")
        return [(p, 0) for p in patterns] + pinyin_literals(surname, given)
    tokens = name.split()
    edge = (rf"(?<![{LATIN}])", rf"(?![{LATIN}])")
    patterns = [r"\s+".join(map(re.escape, tokens))]
    patterns += [re.escape(t) for t in re.findall(r"[^\W\d_]{3,}", name)]
    return [(edge[0] + p + edge[1], re.IGNORECASE) for p in dict.fromkeys(patterns)]


def address_values(value: Any, under_address: bool = False) -> Iterator[str]:
    """Every string under an address-like key (``address``, ``addr``, ``地址``), recursively."""
    if isinstance(value, str):
        if under_address and value.strip():
            yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            nested = under_address or bool(ADDRESS_KEY.search(str(key)))
            yield from address_values(item, nested)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from address_values(item, under_address)

"""Number-like text in a drafter's own words: any of it is a violation (recall first).

Figures reach a note only through slots, so this does not ask whether a number is right; it
asks whether there is one: a character Unicode gives a numeric value (digits of every script,
full-width digits, circled and superscript digits, fractions, Roman numeral characters, Chinese
numerals small and financial), ``%`` and its kin, Chinese number characters Unicode does not
list (两, 半, 双, 俩), English number words, fractions and multipliers (``half``, ``twice``,
``dozen``, ``fortnight``), ordinals, and Roman numerals written in letters (``II``, ``IV``).

The few everyday words that contain a numeral without stating a quantity (一致, 一并, 统一,
"one of", "first" before anything that is not counted) are masked first; the list is short on
purpose, since a missed quantity is worse than a rephrasing the model is asked to redo.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

__all__ = ["number_like"]

_CJK_EXTRA = frozenset("两半双俩%％‰‱")
# Words with a numeral character that state no quantity. Why these and no more: each is a
# function word or fixed adverb/adjective ("consistent", "together", "unified", "one-off").
_CJK_IDIOMS = re.compile(
    "一致|一并|一次性|一起|一些|一般|一直|一定|一旦|一切|统一|唯一|进一步|之一|一下|一律"
    "|一样|同一|逐一|一同|一经|十分|万一|一方面|一再|一概|一贯|双方"
)
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "million",
    "billion",
    "trillion",
]
_ORDINALS = [
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
    "hundredth",
    "thousandth",
    "millionth",
]
_OTHER = [
    "half",
    "halves",
    "twice",
    "thrice",
    "double",
    "doubled",
    "triple",
    "tripled",
    "quadruple",
    "dozen",
    "dozens",
    "fortnight",
    "fortnights",
    "quarter",
    "quarters",
    "hundreds",
    "thousands",
    "millions",
    "billions",
    "percent",
    "per-cent",
    "percentage",
    "tenfold",
    "twofold",
    "threefold",
]
_WORDS = frozenset(_ONES + [w + "s" for w in _ONES[10:]] + _ORDINALS + _OTHER)
# "first" counts when a counted thing follows: "the first item", "first two days".
_COUNTED = frozenset(
    [
        "item",
        "items",
        "line",
        "lines",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "instalment",
        "instalments",
        "installment",
        "installments",
        "invoice",
        "invoices",
        "document",
        "documents",
        "bill",
        "bills",
        "payment",
        "payments",
        "claim",
        "claims",
        "notice",
        "notices",
        "time",
        "times",
        "visit",
        "visits",
    ]
)
_ONE_NOT_A_NUMBER_BEFORE = frozenset({"of", "another"})
_ONE_NOT_A_NUMBER_AFTER = frozenset({"no", "the", "this", "that", "each", "every", "any", "which"})
_JOINERS = frozenset(".,' \u00a0\u202f_:/-")
_TOKEN = re.compile(r"[A-Za-z]+")
_ROMAN = re.compile(r"(?<![A-Za-z])(?=[IVX]{2,}(?![A-Za-z]))X{0,3}(?:IX|IV|V?I{0,3})(?![A-Za-z])")


def number_like(words: str) -> list[str]:
    """The number-like pieces of ``words`` (a drafter's own text), in order."""
    text = unicodedata.normalize("NFKC", words)
    masked = _CJK_IDIOMS.sub(lambda m: "\u3000" * len(m.group()), text)
    found: list[tuple[int, str]] = list(_numeral_runs(masked))
    found += list(_number_words(text))
    found += [(m.start(), m.group()) for m in _ROMAN.finditer(text) if m.group()]
    return [piece for _, piece in sorted(found)]


def _numeral_runs(text: str) -> Iterator[tuple[int, str]]:
    """Runs of numeral characters, with the separators that join digits ("3 648,40")."""
    start = -1
    for index, char in enumerate(text + "\0"):
        joiner = start >= 0 and char in _JOINERS and index + 1 < len(text)
        if _is_numeral(char) or (joiner and _is_numeral(text[index + 1])):
            if start < 0:
                start = index
        elif start >= 0:
            yield start, text[start:index]
            start = -1


def _is_numeral(char: str) -> bool:
    return char in _CJK_EXTRA or unicodedata.numeric(char, None) is not None


def _number_words(text: str) -> Iterator[tuple[int, str]]:
    tokens = [(m.start(), m.group().lower()) for m in _TOKEN.finditer(text)]
    for index, (start, word) in enumerate(tokens):
        before = tokens[index - 1][1] if index else ""
        after = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if word == "one":
            if after in _ONE_NOT_A_NUMBER_BEFORE or before in _ONE_NOT_A_NUMBER_AFTER:
                continue
        elif word == "first":
            if after not in _COUNTED and after not in _WORDS:
                continue
        elif word not in _WORDS:
            continue
        yield start, text[start : start + len(word)]

"""A Chinese name written in Latin letters: the pinyin forms of a claim's member name.

A claimant (or a model) may write 张三 as "Zhang San", "zhangsan", "San Zhang", "ZHANG San",
"Zhang-San" or "Zhāng Sān". Every reading of every character counts (``pypinyin`` with
heteronyms, tone marks optional). The full name in either order is searched for in any case;
the given name alone only capitalised as a name is (``San``), and the surname alone only after
a title (``Mr. Zhang``) or in capitals (``ZHANG``), and neither when it is a common English
word ("He", "An"), which would otherwise redact half of every English text.
"""

from __future__ import annotations

import itertools
import re

from pypinyin import Style, pinyin

__all__ = ["pinyin_literals"]

_EDGE = ("(?<![A-Za-z\u00c0-\u024f])", "(?![A-Za-z\u00c0-\u024f])")
_SEP = r"[\s\-·.'_]*"
_TITLE = r"(?:mr|mrs|ms|miss|mx|dr|madam|mister|sir)\.?\s+"
# Pinyin syllables (or pairs) that are everyday English words: never searched for alone.
_ENGLISH = frozenset(
    [
        "a",
        "an",
        "ba",
        "bi",
        "bo",
        "da",
        "de",
        "di",
        "e",
        "er",
        "ha",
        "he",
        "hu",
        "in",
        "la",
        "le",
        "ma",
        "me",
        "mi",
        "mo",
        "na",
        "ne",
        "no",
        "o",
        "pa",
        "pi",
        "po",
        "ran",
        "ru",
        "she",
        "shi",
        "ta",
        "tan",
        "ti",
        "wan",
        "we",
        "ye",
        "yi",
        "yo",
        "you",
        "yu",
        "ban",
        "bang",
        "bin",
        "can",
        "chin",
        "dang",
        "den",
        "ding",
        "dong",
        "fan",
        "gang",
        "hang",
        "hen",
        "long",
        "man",
        "men",
        "pan",
        "pang",
        "ping",
        "sun",
        "tang",
        "ten",
        "tin",
        "tong",
        "wang",
        "when",
    ]
)
_MAX_READINGS = 16


def pinyin_literals(surname: str, given: str) -> list[tuple[str, int]]:
    """(pattern, flags) for the romanised forms of a name split into surname and given name."""
    if not surname and not given:
        return []
    sur = _syllables(surname)
    giv = _syllables(given)
    out: list[tuple[str, int]] = []
    if sur and giv:
        for first, second in ((sur, giv), (giv, sur)):
            out.append((_EDGE[0] + first + _SEP + second + _EDGE[1], re.IGNORECASE))
    for part, text in ((giv, given), (sur, surname)):
        if not part or _common(text):
            continue
        if part is giv:
            out.append((_EDGE[0] + _capitalised(given) + _EDGE[1], 0))
        else:
            out.append((rf"(?i:{_TITLE}){part}{_EDGE[1]}", re.IGNORECASE))
            out.append((_EDGE[0] + _capitals(surname) + _EDGE[1], 0))
    return out


def _readings(text: str, style: Style) -> list[list[str]]:
    return [list(dict.fromkeys(r)) for r in pinyin(text, style=style, heteronym=True)]


def _syllables(text: str) -> str:
    """A regex for ``text`` read in pinyin: each character one of its readings, with or
    without tone marks, syllables optionally separated."""
    if not text:
        return ""
    plain = _readings(text, Style.NORMAL)
    toned = _readings(text, Style.TONE)
    parts = []
    for a, b in zip(plain, toned, strict=True):
        forms = sorted({*a, *b}, key=lambda f: (-len(f), f))
        parts.append("(?:" + "|".join(re.escape(f) for f in forms) + ")")
    return _SEP.join(parts)


def _common(text: str) -> bool:
    """True when some reading of ``text`` is an everyday English word (or too short)."""
    return any(len(reading) < 3 or reading in _ENGLISH for reading in _combinations(text))


def _combinations(text: str) -> list[str]:
    combos = itertools.islice(itertools.product(*_readings(text, Style.NORMAL)), _MAX_READINGS)
    return ["".join(c) for c in combos]


def _capitalised(text: str) -> str:
    forms = [f(r) for r in _combinations(text) for f in (str.capitalize, str.upper)]
    return "(?:" + "|".join(re.escape(f) for f in dict.fromkeys(forms)) + ")"


def _capitals(text: str) -> str:
    return "(?:" + "|".join(re.escape(r.upper()) for r in _combinations(text)) + ")"

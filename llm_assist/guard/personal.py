"""Personal data in a drafter's words, recall first, whatever it is disguised as.

Three passes, each reporting kinds (``PHONE``, ``ID``, ``CARD``, ``EMAIL``, ``NAME``...), never
values:

1. the claim's own redactor on the text (its names, their pinyin and masked forms, its ID,
   phone and card with any spacing, and every ID-, card-, phone- and e-mail shape);
2. the same on a *digit view*: Chinese digits (一, 〇, 幺, 壹...), English digit words ("one
   three eight") and full-width digits become ASCII digits and the separators between digits
   go ("138.1234.5678", "一三八一二三四五六七八" -> "13812345678");
3. e-mail addresses written out: "at"/"dot", "(at)", "[dot]", "艾特", "点", full-width ＠.
"""

from __future__ import annotations

import re
import unicodedata

from llm_assist.redaction import Redactor

__all__ = ["personal_data"]

_CJK_DIGITS = {
    **dict.fromkeys("〇零", "0"),
    **dict.fromkeys("一壹幺", "1"),
    **dict.fromkeys("二贰两", "2"),
    **dict.fromkeys("三叁", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
_WORD_DIGITS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "double": "",
    "triple": "",
}
_DIGIT_WORDS = re.compile(
    r"\b(?:" + "|".join(_WORD_DIGITS) + r")(?:[\s,\-]+(?:" + "|".join(_WORD_DIGITS) + r"))+\b",
    re.IGNORECASE,
)
_SEPARATED = re.compile(r"(?<=[0-9])[\s.\-_/·,()]+(?=[0-9])")
_AT = r"(?:@|＠|\(at\)|\[at\]|\{at\}|<at>|\s+at\s+|艾特|圈a|\bat\b)"
_DOT = r"(?:\.|．|。|\(dot\)|\[dot\]|\{dot\}|<dot>|\s+dot\s+|点|\bdot\b)"
_EMAIL = re.compile(
    rf"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s*{_AT}\s*[A-Za-z0-9\-]+(?:\s*{_DOT}\s*[A-Za-z0-9\-]+)*"
    rf"\s*{_DOT}\s*(?:com|cn|net|org|edu|gov|io|co|info|biz|me|hk|tw|uk|us|top|xyz)\b",
    re.IGNORECASE,
)


def personal_data(words: str, redactor: Redactor) -> list[str]:
    """The kinds of personal data in ``words``, sorted, each once."""
    kinds = {hit.kind for hit in redactor.find(words)}
    view = _digit_view(words)
    if view != words:
        kinds |= {hit.kind for hit in redactor.find(view)}
    if _EMAIL.search(unicodedata.normalize("NFKC", words)):
        kinds.add("EMAIL")
    return sorted(kinds)


def _digit_view(words: str) -> str:
    text = unicodedata.normalize("NFKC", words)
    text = "".join(_CJK_DIGITS.get(char, char) for char in text)
    text = _DIGIT_WORDS.sub(lambda m: _spelled(m.group()), text)
    return _SEPARATED.sub("", text)


def _spelled(run: str) -> str:
    """ "double eight" is 88; "one three eight" is 138."""
    out: list[str] = []
    repeat = 1
    for word in re.split(r"[\s,\-]+", run.lower()):
        if word in ("double", "triple"):
            repeat = 2 if word == "double" else 3
            continue
        out.append(_WORD_DIGITS[word] * repeat)
        repeat = 1
    return "".join(out)

"""Personal data -> stable placeholders (``[ID_1]``) before any text reaches a language model.

Why recall first (domain README section 3, PIPL 28/51): a model provider is a third party, so
anything ID-, card- or phone-shaped is redacted whether or not its checksum is valid; the GB
11643 and Luhn checks only pick the label of an ambiguous digit run. What must survive are the
facts the grounding guard compares (amounts, dates, claim/policy/invoice ids, ICD-10 codes, rule
ids, hashes): those shapes are protected before any personal-data pattern is tried.

Why no NER model: Presidio and friends download one at run time, which this service must not
need. The claim's own names and addresses are known exactly, so :meth:`Redactor.for_claim`
searches for them (and their masked and given-name forms) instead of guessing names.

Detection runs on an NFKC view of the text (full-width digits, ``＠``, ``－``), and every span
is mapped back to the original characters, so the redacted text keeps the rest untouched.

Modules::

    __init__.py  Redactor (placeholders, claim values, JSON), find_personal_data
    shapes.py    the patterns, what is protected, labels and normalized values
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.claim import Claim
from llm_assist.redaction.shapes import (
    ADDRESS_KEY,
    KINDS,
    MIN_DIGITS,
    PLACEHOLDER,
    PROTECTED,
    SHAPES,
    View,
    address_values,
    digit_chars,
    digit_kind,
    flexible,
    name_literals,
    value_key,
)

__all__ = ["KINDS", "PLACEHOLDER", "PersonalData", "Redactor", "find_personal_data"]


@dataclass(frozen=True)
class PersonalData:
    """One span of personal data in a text: ``kind`` is one of :data:`KINDS`."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class _Literal:
    """A value the claim itself holds, searched for exactly (flexible separators)."""

    pattern: re.Pattern[str]
    kind: str
    key: str


@dataclass(frozen=True)
class _Hit:
    start: int  # in the normalized view
    end: int
    kind: str
    priority: int
    key: str = ""  # set for claim literals: all forms of one value share a placeholder


class Redactor:
    """Replaces personal data by placeholders, the same value always by the same one.

    One redactor per prompt (or per claim): the numbering is by first appearance and stable
    across :meth:`redact` calls, so a decision, its trace and the free text can be redacted
    separately and still refer to ``[NAME_1]`` consistently. :attr:`placeholders` tells which
    kind each placeholder stands for; the values themselves are never exposed.
    """

    def __init__(
        self, literals: Iterable[_Literal] = (), known: Mapping[str, str] | None = None
    ) -> None:
        self._literals = tuple(literals)
        self._known: dict[str, str] = dict(known or {})  # unmasked value key -> kind
        self._assigned: dict[tuple[str, str], str] = {}
        self._kinds: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def generic(cls) -> Redactor:
        """Shapes only: for text not tied to one claim (and for model output checks)."""
        return cls()

    @classmethod
    def for_claim(cls, claim: Claim) -> Redactor:
        """Also knows the claim's own name, ID, phone, card and event-detail addresses."""
        member = claim.member
        literals: list[_Literal] = []
        name_key = value_key("NAME", member.name)
        for regex, flags in name_literals(member.name):
            literals.append(_Literal(re.compile(regex, flags), "NAME", name_key))
        known: dict[str, str] = {}
        for kind, raw in (
            ("ID", member.id_number),
            ("PHONE", member.phone),
            ("CARD", member.bank_card),
        ):
            key = value_key(kind, raw or "")
            if len(key.replace("*", "")) >= 6:
                regex = rf"(?<![0-9])(?:(?:\+|00)86[ \-]?)?{flexible(key)}(?![0-9])"
                literals.append(_Literal(re.compile(regex), kind, key))
                known[key] = kind
        details = [event.detail for event in claim.events]
        for address in dict.fromkeys(address_values(details)):
            folded = unicodedata.normalize("NFKC", address).strip()
            if len(folded) >= 4:
                regex = r"\s*".join(map(re.escape, re.sub(r"\s+", "", folded)))
                literals.append(
                    _Literal(re.compile(regex), "ADDRESS", value_key("ADDRESS", folded))
                )
        return cls(literals, known)

    @property
    def placeholders(self) -> Mapping[str, str]:
        """Placeholder -> kind (``{"[ID_1]": "ID"}``); never the redacted values."""
        with self._lock:
            return MappingProxyType(dict(self._kinds))

    def find(self, text: str) -> list[PersonalData]:
        """The personal-data spans of ``text`` (original indices), in order, not overlapping."""
        view = View(text)
        return [PersonalData(h.kind, *view.span(h.start, h.end)) for h in self._hits(view)]

    def redact(self, text: str) -> str:
        view = View(text)
        out: list[str] = []
        done = 0
        for hit in self._hits(view):
            start, end = view.span(hit.start, hit.end)
            out += [text[done:start], self._placeholder(hit, view.text[hit.start : hit.end])]
            done = end
        out.append(text[done:])
        return "".join(out)

    def redact_json(self, value: Any) -> Any:
        """Every string inside ``value`` redacted; keys, numbers, booleans and None kept.

        A string under an address-like key is an address as a whole, whatever it looks like.
        """
        return self._redact_json(value, under_address=False)

    def _redact_json(self, value: Any, *, under_address: bool) -> Any:
        if isinstance(value, str):
            if under_address and value.strip() and not PLACEHOLDER.fullmatch(value.strip()):
                return self._assign("ADDRESS", value_key("ADDRESS", value))
            return self.redact(value)
        if isinstance(value, Mapping):
            return {
                key: self._redact_json(
                    item, under_address=under_address or bool(ADDRESS_KEY.search(str(key)))
                )
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._redact_json(item, under_address=under_address) for item in value]
        return value

    def _hits(self, view: View) -> list[_Hit]:
        text = view.text
        protected = [m.span() for m in PROTECTED.finditer(text)]
        found = [_Hit(*m.span(), lit.kind, 0, lit.key) for lit in self._literals
                 for m in lit.pattern.finditer(text) if m.end() > m.start()]  # fmt: skip
        for pattern, kind, priority in SHAPES:
            for match in pattern.finditer(text):
                digits = digit_chars(match.group())
                if len(digits) < MIN_DIGITS.get(priority, 0):
                    continue
                found.append(_Hit(*match.span(), kind or digit_kind(digits), priority))
        found = [h for h in found if not any(s < h.end and h.start < e for s, e in protected)]
        return _merge(found)

    def _placeholder(self, hit: _Hit, value: str) -> str:
        if hit.key:
            return self._assign(hit.kind, hit.key)
        key = value_key(hit.kind, value)
        kind = hit.kind
        if "*" in key and kind in (
            "ID",
            "PHONE",
            "CARD",
        ):  # a masked form of a value we know keeps that value's placeholder
            matches = [(k, v) for v, k in self._known.items() if _unmasks(key, v)]
            if len(matches) == 1:
                kind, key = matches[0]
        return self._assign(kind, key)

    def _assign(self, kind: str, key: str) -> str:
        with self._lock:
            placeholder = self._assigned.get((kind, key))
            if placeholder is None:
                count = sum(1 for k in self._kinds.values() if k == kind) + 1
                placeholder = f"[{kind}_{count}]"
                self._assigned[(kind, key)] = placeholder
                self._kinds[placeholder] = kind
                if kind in ("ID", "PHONE", "CARD") and "*" not in key:
                    self._known.setdefault(key, kind)
            return placeholder


def _unmasks(masked: str, value: str) -> bool:
    """True when ``value`` fits the mask (``138****5678``, ``****0128``)."""
    if len(masked) == len(value):
        return all(m in ("*", v) for m, v in zip(masked, value, strict=True))
    tail = masked.lstrip("*")
    return masked.startswith("*") and len(tail) >= 4 and "*" not in tail and value.endswith(tail)


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """Overlapping candidates become one span (recall: never leave a tail unredacted).

    The merged span takes the kind of its strongest part: the longest, then the lowest
    priority; a claim literal keeps its key only when it covers the whole span.
    """
    merged: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, h.start - h.end, h.priority)):
        if merged and hit.start < merged[-1].end:
            last = merged[-1]
            if hit.end > last.end:
                stronger = hit if hit.end - hit.start > last.end - last.start else last
                merged[-1] = _Hit(last.start, hit.end, stronger.kind, stronger.priority)
            continue
        merged.append(hit)
    return merged


_GENERIC = Redactor.generic()


def find_personal_data(text: str, *, redactor: Redactor | None = None) -> list[PersonalData]:
    """Personal data in ``text`` (a model's output, say); placeholders are not reported.

    With a claim's ``redactor`` the claim's own names and values are found as well.
    """
    return (redactor or _GENERIC).find(text)

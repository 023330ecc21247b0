"""The checks of one text of a draft: its slots, and the drafter's own words between them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from llm_assist.context import DraftContext
from llm_assist.guard.lexicon import DISPUTE, INSTRUCTION, NEGATION, OUTCOME, STATUS, hits
from llm_assist.guard.numbers import number_like
from llm_assist.guard.personal import personal_data
from llm_assist.guard.topics import topics
from llm_assist.guard.violation import Violation
from llm_assist.slots import Slot, SlotError, Words, parse, render_slot

__all__ = ["Scope", "check_text"]

_TERMINATORS = re.compile(r"[。！？!?；;\n]|\.(?:\s|$)")
_MARKUP = frozenset("<>{}＜＞｛｝\u2039\u203a\u3008\u3009\u27e8\u27e9")


@dataclass(frozen=True)
class Scope:
    """What a text may talk about: the system's text it rests on (``support``), whether
    documents count as topics there, and the ids a finding's slots may name (None: any)."""

    support: str
    documents: bool = False
    ids: frozenset[str] | None = None
    line_id: int | None = None
    line_bound: bool = False


def check_text(text: str, path: str, scope: Scope, context: DraftContext) -> Iterator[Violation]:
    """Every violation of one text: bad slots, then the drafter's own words."""
    parts = parse(text)
    for slot in (p for p in parts if isinstance(p, Slot)):
        yield from _slot(slot, path, scope, context)
    words = " ".join(p.text for p in parts if isinstance(p, Words))
    yield from _words(words, path, scope, context)
    for sentence in _slot_sentences(parts):
        for phrase in dict.fromkeys(hits(NEGATION, sentence)):
            yield Violation(
                "NEGATED-SLOT",
                path,
                f"'{phrase}' in a sentence that holds a slot: a slot's "
                "figure or outcome is stated as it is, never negated or qualified",
            )


def _slot(slot: Slot, path: str, scope: Scope, context: DraftContext) -> Iterator[Violation]:
    try:
        render_slot(slot, context.decision, context.language, context.outstanding_documents)
    except SlotError as exc:
        message = str(exc) if _safe(slot.text) == slot.text else "a slot names nothing here"
        yield Violation("SLOT-INVALID", path, message)
        return
    named = slot.kind in ("reason", "clock", "status", "due_date")
    if scope.ids is not None and named and slot.arg not in scope.ids:
        yield Violation(
            "CITE-MISMATCH",
            path,
            f"{_safe(slot.text)} is about another rule or clock "
            "than the one this finding cites: a finding speaks only of what it cites",
        )
    if scope.line_bound and slot.line_id is not None and slot.line_id != scope.line_id:
        yield Violation(
            "CITE-LINE",
            path,
            f"{_safe(slot.text)} names item {slot.line_id}, but the finding "
            f"is about item {scope.line_id}: name only the item the cited rule applied to",
        )


def _words(words: str, path: str, scope: Scope, context: DraftContext) -> Iterator[Violation]:
    for kind in personal_data(words, context.redactor):
        yield Violation(
            "PII",
            path,
            f"personal data ({kind}) in the note: never write a name, ID number, "
            "phone, card or e-mail, in any form",
        )
    pieces = number_like(words)
    if pieces:
        shown = _quote_numbers(list(dict.fromkeys(pieces)))
        yield Violation(
            "NUMBER",
            path,
            f"number-like text in your own words ({shown}): amounts, dates, "
            "durations, counts and item numbers come only from slots such as {payable}, "
            "{line:N}, {due_date:CLOCK}",
        )
    for code, family, advice in _FAMILIES:
        found = list(dict.fromkeys(hits(family, words)))
        if found:
            shown = ", ".join(f"'{p}'" for p in found[:4])
            yield Violation(code, path, f"{shown}: {advice}")
    if any(c in _MARKUP or _invisible(c) for c in words):
        yield Violation(
            "INSTRUCTION",
            path,
            "markup, braces outside a slot or invisible characters: a note "
            "is plain text with slots written exactly as {kind} or {kind:argument}",
        )
    raised = topics(words, documents=scope.documents)
    supported = topics(scope.support, documents=scope.documents)
    for topic in sorted(raised - supported):
        yield Violation(
            "UNSUPPORTED-TOPIC",
            path,
            f"this text speaks of '{topic}', which the decision's "
            "statements here do not: say only what the cited rules, clocks and reasons say",
        )


_FAMILIES = (
    (
        "OUTCOME-WORDS",
        OUTCOME,
        "words of paying, covering, approving or refusing are the system's alone: use "
        "{outcome}, {action}, {line:N.outcome} and the amount slots, and nothing else about them",
    ),
    ("STATUS-WORDS", STATUS, "a deadline's status comes only from {status:CLOCK}"),
    ("DISPUTE", DISPUTE, "a note never calls the decision's figures or results wrong"),
    ("INSTRUCTION", INSTRUCTION, "a note echoes the decision; it never gives or follows orders"),
)


def _slot_sentences(parts: list[Slot | Words]) -> Iterator[str]:
    """The drafter's words of every sentence that holds a slot (a sentence slot closes its
    sentence: it renders one)."""
    words: list[str] = []
    has_slot = False
    for part in parts:
        if isinstance(part, Slot):
            has_slot = True
            if part.sentence:
                if words:
                    yield " ".join(words)
                words, has_slot = [], False
            continue
        pieces = _TERMINATORS.split(part.text)
        for index, piece in enumerate(pieces):
            if index:
                if has_slot and words:
                    yield " ".join(words)
                words, has_slot = [], False
            if piece.strip():
                words.append(piece)
    if has_slot and words:
        yield " ".join(words)


def _invisible(char: str) -> bool:
    return char not in "\n\t" and unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs")


def _quote_numbers(pieces: list[str]) -> str:
    """Numbers in a message only when, all together, they are too short to be personal data
    (a phone spelled out word by word is many short pieces)."""
    numerals = sum(unicodedata.numeric(c, None) is not None for p in pieces for c in p)
    if len(pieces) <= 3 and numerals <= 4 and sum(map(len, pieces)) <= 30:
        return ", ".join(f"'{p}'" for p in pieces)
    return f"{len(pieces)} number-like piece(s), not repeated here"


def _safe(text: str) -> str:
    """A slot's text in a message only when it cannot hold personal data (short ASCII, at
    most four digits)."""
    digits = sum(c.isdigit() for c in text)
    return text if len(text) <= 80 and text.isascii() and digits <= 4 else "a slot"

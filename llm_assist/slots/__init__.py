"""Typed slots: the only way an outcome, an amount, a date, a status or a count reaches a note.

A drafter (a model, or the template) writes text such as ``"{outcome} {payable}."``; the system
renders every slot from the (redacted) decision, so a figure in a note is always the
decision's own, with its name beside it. The vocabulary:

================================  ==================================================================
``{outcome}``                     the outcome sentence ("Outcome: approved.")
``{decided_by}``                  who decided ("Decided automatically by the rules.")
``{action}``                      what the outcome asks the adjuster to do next
``{submitted}`` ... ``{payable}`` a claim total with its name (also ``eligible``, ``deductible``,
                                  ``copay``): "payable CNY 3,648.40"
``{line:N}``                      the item's name ("item 2")
``{line:N.outcome}``              the item's outcome sentence
``{line:N.payable}``              an item's amount with its name (``.submitted`` ... ``.copay`` too)
``{due_date:CLOCK}``              an SLA clock's due date with its name
``{status:CLOCK}``                an SLA clock's status with its name
``{clock:CLOCK}``                 an SLA clock's explanation
``{reason:RULE}``                 the decision's statement(s) for an applied rule
``{notice:ID}``                   a notice's text
``{outstanding}``                 the documents requested and not yet received
================================  ==================================================================

Sentence slots (:data:`SENTENCE_KINDS`) render whole sentences; the others render phrases.
A slot that names nothing in this decision (a line, a clock without a due date, a rule that
did not apply) is an error (:class:`SlotError`), never an empty rendering.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from engine.decision import Decision
from engine.money import format_date
from llm_assist.slots.phrases import (
    OUTCOME_WORDS,
    STATUS_WORDS,
    actions,
    amount_phrase,
    due_day,
    finding_statement,
    line_amount,
    pick,
    text_of,
)

__all__ = [
    "AMOUNTS",
    "KINDS",
    "SENTENCE_KINDS",
    "Slot",
    "SlotError",
    "Words",
    "available_slots",
    "finding_statement",
    "parse",
    "render",
    "render_slot",
]

AMOUNTS = ("submitted", "eligible", "deductible", "copay", "payable")
KINDS = (
    "outcome",
    "decided_by",
    "action",
    *AMOUNTS,
    "line",
    "due_date",
    "status",
    "clock",
    "reason",
    "notice",
    "outstanding",
)
SENTENCE_KINDS = frozenset({"outcome", "decided_by", "action", "clock", "reason", "notice"})
_BARE = frozenset({"outcome", "decided_by", "action", "outstanding", *AMOUNTS})

_SLOT = re.compile(r"\{([a-z_]+)(?::([A-Za-z0-9_.\-]+))?\}")
_LINE_ARG = re.compile(r"([0-9]+)(?:\.([a-z_]+))?")
_SENTENCE_START = re.compile(r"(?:\A|[.!?]\s+|\n)\s*\Z")


class SlotError(ValueError):
    """A slot that cannot be rendered for this decision: ``slot`` is its text, ``reason`` why."""

    def __init__(self, slot: str, reason: str) -> None:
        self.slot = slot
        self.reason = reason
        super().__init__(f"{slot}: {reason}")


@dataclass(frozen=True)
class Slot:
    """One ``{kind:arg}`` in a drafter's text, at ``start:end``."""

    kind: str
    arg: str | None
    text: str
    start: int
    end: int

    @property
    def sentence(self) -> bool:
        """Renders a whole sentence (``{outcome}``, ``{line:2.outcome}``, ``{reason:...}``)."""
        if self.kind == "line":
            return self.arg is not None and self.arg.endswith(".outcome")
        return self.kind in SENTENCE_KINDS

    @property
    def line_id(self) -> int | None:
        """The item a ``{line:N...}`` slot names."""
        if self.kind != "line" or self.arg is None:
            return None
        match = _LINE_ARG.fullmatch(self.arg)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Words:
    """The drafter's own words between slots, at ``start:end``."""

    text: str
    start: int
    end: int


def parse(text: str) -> list[Slot | Words]:
    """``text`` as the drafter's words and slots, in order (the syntax only; see render_slot)."""
    out: list[Slot | Words] = []
    done = 0
    for match in _SLOT.finditer(text):
        if match.start() > done:
            out.append(Words(text[done : match.start()], done, match.start()))
        out.append(Slot(match.group(1), match.group(2), match.group(), *match.span()))
        done = match.end()
    if done < len(text):
        out.append(Words(text[done:], done, len(text)))
    return out


def render(text: str, decision: Decision, language: str, outstanding: tuple[str, ...]) -> str:
    """``text`` with every slot rendered; raises SlotError for the first bad one. An English
    phrase that opens a sentence is capitalised ("item 2 is" -> "Item 2 is")."""
    out = ""
    for part in parse(text):
        if isinstance(part, Words):
            out += part.text
            continue
        piece = render_slot(part, decision, language, outstanding)
        if language == "en" and _SENTENCE_START.search(out):
            piece = piece[:1].upper() + piece[1:]
        out += piece
    return out


def render_slot(slot: Slot, decision: Decision, language: str, outstanding: tuple[str, ...]) -> str:
    """One slot's text in ``language`` (``zh``/``en``), from ``decision``."""
    zh = language == "zh"
    kind, arg = slot.kind, slot.arg
    if kind not in KINDS:
        raise SlotError(slot.text, f"there is no slot '{kind}'; the slots are: {', '.join(KINDS)}")
    if kind in _BARE and arg is not None:
        raise SlotError(slot.text, f"'{kind}' takes no argument: write {{{kind}}}")
    if kind not in _BARE and arg is None:
        raise SlotError(slot.text, f"'{kind}' needs an argument, e.g. {_EXAMPLES[kind]}")
    if kind == "outcome":
        head = pick(OUTCOME_WORDS[decision.outcome], zh)
        return f"核定结果：{head}。" if zh else f"Outcome: {head}."
    if kind == "decided_by":
        if decision.automated:
            return "结果由规则自动作出。" if zh else "Decided automatically by the rules."
        return "结果由理赔人员作出。" if zh else "Decided by a claims handler."
    if kind == "action":
        return ("" if zh else " ").join(actions(decision, zh))
    if kind in AMOUNTS:
        return amount_phrase(kind, getattr(decision.amounts, kind), decision.currency, zh)
    if kind == "outstanding":
        if not outstanding:
            raise SlotError(slot.text, "no document is outstanding on this claim")
        return ("、" if zh else ", ").join(outstanding)
    assert arg is not None
    if kind == "line":
        return _line_slot(slot, arg, decision, zh)
    if kind in ("due_date", "status", "clock"):
        return _clock_slot(slot, kind, arg, decision, zh)
    if kind == "reason":
        texts = [text_of(r.explanation, zh) for r in decision.reasons if r.rule_id == arg]
        if not texts:
            raise SlotError(slot.text, f"'{arg}' is not a rule the decision applied")
        return ("" if zh else " ").join(t for t in texts if t) or arg
    notice = next((n for n in decision.notices if n.id == arg), None)
    if notice is None:
        raise SlotError(slot.text, f"the decision has no notice '{arg}'")
    return notice.zh if zh else notice.en


def available_slots(
    decision: Decision, language: str, outstanding: tuple[str, ...]
) -> dict[str, str]:
    """Every slot this decision can fill, with what it renders to (for the prompt)."""
    out: dict[str, str] = {}
    for text in _candidates(decision):
        [slot] = [p for p in parse(text) if isinstance(p, Slot)]
        try:
            out[text] = render_slot(slot, decision, language, outstanding)
        except SlotError:
            continue
    if outstanding:
        out["{outstanding}"] = render_slot(
            Slot("outstanding", None, "{outstanding}", 0, 0), decision, language, outstanding
        )
    return out


# --------------------------------------------------------------------------------- helpers

_EXAMPLES = {
    "line": "{line:1} or {line:1.payable}",
    "due_date": "{due_date:determination}",
    "status": "{status:determination}",
    "clock": "{clock:determination}",
    "reason": "{reason:RULE_ID}",
    "notice": "{notice:human_review}",
}


def _candidates(decision: Decision) -> Iterator[str]:
    yield from ("{outcome}", "{decided_by}", "{action}")
    yield from (f"{{{name}}}" for name in AMOUNTS)
    for line in decision.lines:
        yield f"{{line:{line.line_id}}}"
        yield f"{{line:{line.line_id}.outcome}}"
        yield from (f"{{line:{line.line_id}.{name}}}" for name in AMOUNTS)
    for clock in decision.sla:
        yield from (f"{{{k}:{clock.id}}}" for k in ("status", "due_date", "clock"))
    for rule_id in dict.fromkeys(r.rule_id for r in decision.reasons if r.rule_id):
        yield f"{{reason:{rule_id}}}"
    yield from (f"{{notice:{n.id}}}" for n in decision.notices)


def _line_slot(slot: Slot, arg: str, decision: Decision, zh: bool) -> str:
    match = _LINE_ARG.fullmatch(arg)
    if match is None:
        raise SlotError(slot.text, "write {line:N}, {line:N.outcome} or {line:N.payable}")
    number, field = int(match.group(1)), match.group(2)
    line = next((x for x in decision.lines if x.line_id == number), None)
    if line is None:
        raise SlotError(slot.text, f"the decision has no item {number}")
    name = f"第{number}项" if zh else f"item {number}"
    if field is None:
        return name
    if field == "outcome":
        head = pick(OUTCOME_WORDS[line.outcome], zh)
        return f"{name}：{head}。" if zh else f"Item {number}: {head}."
    if field not in AMOUNTS:
        fields = ", ".join(("outcome", *AMOUNTS))
        raise SlotError(slot.text, f"an item has no '{field}'; use one of {fields}")
    return (
        name
        + ("" if zh else " ")
        + amount_phrase(field, line_amount(line, field), decision.currency, zh)
    )


def _clock_slot(slot: Slot, kind: str, arg: str, decision: Decision, zh: bool) -> str:
    clock = next((c for c in decision.sla if c.id == arg), None)
    if clock is None:
        raise SlotError(slot.text, f"the decision has no SLA clock '{arg}'")
    if kind == "clock":
        return text_of(clock.explanation, zh) or arg
    if kind == "status":
        status = pick(STATUS_WORDS.get(clock.status, (clock.status, clock.status)), zh)
        return f"{arg}时限状态：{status}" if zh else f"{arg} deadline: {status}"
    due = due_day(clock)
    if due is None:
        raise SlotError(slot.text, f"the clock '{arg}' has no due date ({clock.status})")
    return (
        f"{arg}时限的截止日期{format_date(due, 'zh')}"
        if zh
        else f"the {arg} deadline ({format_date(due, 'en')})"
    )

"""The timeline check on a ruleset written for the test: the four rules that hold on every
ruleset, each lifecycle check, and that only what a change adds is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.claim import Event, Voiding
from engine.errors import TimelineError
from engine.evaluate import load_program
from engine.lifecycle.errors import TimelineRuleError, VoidError
from engine.lifecycle.timeline import (
    check_addition,
    check_intake,
    check_void,
    current_order,
    violations,
)
from engine.ruleset.ir import RulesetIR
from tests.engine.factories import make_rule, make_rules_yaml, make_ruleset
from tests.engine.lifecycle.factories import at, make_event

SKEW = dt.timedelta(minutes=5)
LIFECYCLE = """\
events:
  - {type: reported}
  - {type: received}
  - {type: asked}
  - {type: answered}
  - {type: decided}
lifecycle:
  received: received
  before_received: [reported]
  rules:
    - {id: one_receipt, event: received, once: true}
    - {id: answer_needs_question, event: answered, open: asked}
    - id: decision_after_receipt
      event: decided
      after: received
      detail: [outcome]
      suggestion: decide properly
"""


@pytest.fixture(scope="module")
def ir(tmp_path_factory: pytest.TempPathFactory) -> RulesetIR:
    root = make_ruleset(
        tmp_path_factory.mktemp("t"), make_rules_yaml(make_rule("r", "true"), extra=LIFECYCLE)
    )
    return load_program(root).ir


def _rules(ir: RulesetIR, events: list[Event]) -> list[tuple[str, int]]:
    return [(v.rule_id, v.index) for v in violations(ir, events)]


def _add(ir: RulesetIR, events: list[Event], new: Event, hours: float = 1000) -> None:
    check_addition(ir, events, new, recorded_at=at(hours), skew=SKEW)


TIMELINE = [
    make_event("reported", 0),
    make_event("received", 1),
    make_event("asked", 2),
    make_event("answered", 3),
]


def test_a_good_timeline_breaks_nothing(ir: RulesetIR) -> None:
    assert _rules(ir, TIMELINE) == []
    check_intake(ir, TIMELINE, recorded_at=at(3), skew=SKEW)


def test_each_check_of_a_rule(ir: RulesetIR) -> None:
    assert _rules(ir, [*TIMELINE, make_event("received", 4)]) == [("one_receipt", 4)]
    assert _rules(ir, [*TIMELINE, make_event("answered", 4)]) == [("answer_needs_question", 4)]
    assert _rules(ir, [*TIMELINE, make_event("decided", 4)]) == [("decision_after_receipt", 4)]
    assert _rules(ir, [*TIMELINE, make_event("decided", 4, outcome="approve")]) == []
    assert _rules(ir, [*TIMELINE, make_event("decided", 4, outcome="")]) == [
        ("decision_after_receipt", 4)
    ]


def test_a_rule_is_judged_on_the_events_dated_before(ir: RulesetIR) -> None:
    """A question asked later (backdated) opens what an earlier-listed answer closes."""
    late_question = Event(type="asked", at=at(2.5), backdated={"reason": "logged late"})  # type: ignore[arg-type]
    events = [*TIMELINE[:2], make_event("answered", 3), late_question]
    assert _rules(ir, events) == []
    assert _rules(ir, [*TIMELINE[:2], make_event("answered", 3)]) == [("answer_needs_question", 2)]


def test_the_rules_of_every_ruleset(ir: RulesetIR) -> None:
    before = [make_event("asked", 0), make_event("received", 1)]
    assert _rules(ir, before) == [("timeline.before_received", 0)]
    assert _rules(ir, [make_event("asked", 0)]) == [("timeline.before_received", 0)]
    assert _rules(ir, [*TIMELINE, make_event("asked", 2.5)]) == [("timeline.order", 4)]
    assert _rules(ir, [*TIMELINE, make_event("unheard_of", 5)]) == [("timeline.event_type", 4)]
    with pytest.raises(TimelineRuleError, match=r"timeline\.future"):
        _add(ir, TIMELINE, make_event("asked", 10), hours=9)
    _add(ir, TIMELINE, make_event("asked", 9.05), hours=9)  # within the clock skew


def test_an_error_names_every_rule_broken_and_is_a_timeline_error(ir: RulesetIR) -> None:
    with pytest.raises(TimelineRuleError) as caught:
        _add(ir, TIMELINE, make_event("decided", 2.5))
    error = caught.value
    assert isinstance(error, TimelineError)
    assert (error.index, error.rule_id, error.suggestion) == (
        4,
        "decision_after_receipt",
        "decide properly",
    )
    assert {v.rule_id for v in error.violations} == {"decision_after_receipt", "timeline.order"}
    assert str(error).count("events[4]") == 2
    assert error.code == "lifecycle-rule"


def test_only_what_a_change_adds_is_refused(ir: RulesetIR) -> None:
    legacy = [make_event("received", 1), make_event("answered", 2)]  # before the rule existed
    assert _rules(ir, legacy) == [("answer_needs_question", 1)]
    _add(ir, legacy, make_event("asked", 3))
    with pytest.raises(TimelineRuleError) as caught:
        _add(ir, legacy, make_event("answered", 3))
    assert [(v.rule_id, v.index) for v in caught.value.violations] == [("answer_needs_question", 2)]


def test_a_new_event_is_not_void(ir: RulesetIR) -> None:
    void = Voiding(reason="x", by="y", at=at(5))
    with pytest.raises(TimelineRuleError, match="cannot be void"):
        _add(ir, TIMELINE, make_event("asked", 5).model_copy(update={"void": void}))


def test_voiding_is_refused_when_it_breaks_what_follows(ir: RulesetIR) -> None:
    void = Voiding(reason="wrong claim", by="adjuster:li", at=at(10))
    with pytest.raises(TimelineRuleError) as caught:
        check_void(ir, TIMELINE, 2, void)
    assert caught.value.rule_id == "answer_needs_question" and caught.value.index == 3
    assert caught.value.suggestion == "void events[3] first, or keep events[2]"
    voided = check_void(ir, TIMELINE, 3, void)
    assert voided.void == void and voided.type == "answered"
    events = [*TIMELINE[:3], voided]
    assert current_order(events) == [0, 1, 2]
    check_void(ir, events, 2, void)  # with the answer void, the question may go too
    with pytest.raises(VoidError, match="already void"):
        check_void(ir, events, 3, void)
    with pytest.raises(VoidError, match="no such event"):
        check_void(ir, events, 4, void)


def test_a_ruleset_without_lifecycle_keeps_the_rules_of_every_ruleset(tmp_path: Path) -> None:
    ir = load_program(make_ruleset(tmp_path, make_rules_yaml(make_rule("r", "true")))).ir
    assert _rules(ir, [make_event("anything", 1), make_event("other", 0)]) == [
        ("timeline.order", 1)
    ]

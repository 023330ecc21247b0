"""Lifecycle cases of ruleset tests: a timeline change, accepted or refused by a named rule.

A case whose ``expect`` holds ``timeline`` checks the ruleset's lifecycle instead of
evaluating the claim (``engine.lifecycle.timeline``), with the case's ``as_of`` as the instant
the change is recorded::

    - name: a completion needs an open request
      patch: {events: [{type: claim_received, at: "2025-06-20T09:12:00+08:00"}]}
      add: {type: documents_completed, at: "2025-06-24T15:40:00+08:00"}   # a new event
      expect:
        timeline: {refused: completion_needs_request}   # optionally `index: 1`
    - name: voiding the request leaves the completion without one
      void: 2                                           # void events[2]
      expect: {timeline: {refused: completion_needs_request, index: 3}}
    - name: the claim's timeline is accepted at intake  # neither add nor void: the intake
      expect: {timeline: accepted}

A refused case passes when the named rule is among those broken (at ``index``, if given).
Every lifecycle rule broken in some case counts as covered (``lifecycle:<rule id>`` in the
coverage report).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from engine.claim import Claim, Event, Voiding, problems_from_validation_error
from engine.errors import EngineError
from engine.expression.types import suggest
from engine.lifecycle.errors import TimelineRuleError
from engine.lifecycle.timeline import (
    BEFORE_RECEIVED,
    EVENT_TYPE,
    FUTURE,
    ORDER,
    check_addition,
    check_intake,
    check_void,
)
from engine.ruleset.ir import RulesetIR
from engine.ruleset.source import key_where, value_where
from engine.ruleset_tests.shapes import location, plain

__all__ = ["COVERAGE_PREFIX", "TimelineCase", "lifecycle_ids", "timeline_case"]

COVERAGE_PREFIX = "lifecycle:"
BUILT_IN = (EVENT_TYPE, ORDER, BEFORE_RECEIVED, FUTURE)
SKEW = dt.timedelta(minutes=5)
_REFUSED = {"refused", "index"}


def lifecycle_ids(ir: RulesetIR) -> list[str]:
    """The coverage ids of the ruleset's lifecycle rules."""
    rules = ir.lifecycle.rules if ir.lifecycle else ()
    return [COVERAGE_PREFIX + r.id for r in rules]


class TimelineCase:
    """One case's timeline change and expectation, read from its YAML."""

    def __init__(self, ir: RulesetIR, display: str, case: CommentedMap) -> None:
        self.ir = ir
        self.display = display
        self.case = case
        self.problems: list[str] = []
        self.added = self._added() if "add" in case else None
        self.voided = self._voided() if "void" in case else None
        self.expected = self._expected(case["expect"])

    # -- reading

    def _added(self) -> Event | None:
        raw = self.case["add"]
        where = value_where(self.display, self.case, "add")
        if not isinstance(raw, CommentedMap):
            self.problems.append(f"{location(where)}: 'add' must be an event {{type, at, detail}}")
            return None
        try:
            return Event.model_validate(plain(raw))
        except ValidationError as exc:
            found = "; ".join(str(p) for p in problems_from_validation_error(exc))
            self.problems.append(f"{location(where)}: 'add' is not a valid event: {found}")
            return None

    def _voided(self) -> int | None:
        raw = self.case["void"]
        if "add" in self.case:
            where = key_where(self.display, self.case, "void")
            self.problems.append(f"{location(where)}: a case adds an event or voids one, not both")
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            where = value_where(self.display, self.case, "void")
            self.problems.append(f"{location(where)}: 'void' must be an event position, e.g. 2")
            return None
        return raw

    def _expected(self, expect: CommentedMap) -> tuple[str | None, int | None]:
        """(rule id refused or None for accepted, index or None)."""
        others = [str(k) for k in expect if k != "timeline"]
        if others:
            where = key_where(self.display, expect, "timeline")
            self.problems.append(
                f"{location(where)}: 'timeline' checks the lifecycle only; it cannot be "
                f"combined with {', '.join(others)}"
            )
        raw = expect["timeline"]
        where = value_where(self.display, expect, "timeline")
        if raw == "accepted":
            return None, None
        if not isinstance(raw, CommentedMap) or "refused" not in raw or set(raw) - _REFUSED:
            self.problems.append(
                f"{location(where)}: 'timeline' must be accepted or {{refused: RULE_ID, index: N}}"
            )
            return None, None
        rule_id = str(raw["refused"])
        known = [r.id for r in self.ir.lifecycle.rules] if self.ir.lifecycle else []
        if rule_id not in (*known, *BUILT_IN):
            hint = suggest(rule_id, [*known, *BUILT_IN]) or "not a lifecycle rule id"
            at = value_where(self.display, raw, "refused")
            self.problems.append(
                f"{location(at)}: timeline: unknown lifecycle rule '{rule_id}' ({hint})"
            )
        index = raw.get("index")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            at = value_where(self.display, raw, "index")
            self.problems.append(f"{location(at)}: timeline: 'index' must be an event position")
            index = None
        return rule_id, index

    # -- running

    def run(self, claim: Claim, as_of: dt.datetime) -> tuple[list[str], set[str]]:
        """(mismatches, ids of the lifecycle rules broken) for ``claim``."""
        broken: list[tuple[str, int]] = []
        shown = ""
        try:
            self._check(claim, as_of)
        except TimelineRuleError as exc:
            broken = [(v.rule_id, v.index) for v in exc.violations]
            shown = "; ".join(str(v) for v in exc.violations)
        except EngineError as exc:
            return [f"timeline: the change cannot be made: {exc}"], set()
        covered = {COVERAGE_PREFIX + rule for rule, _ in broken}
        rule_id, index = self.expected
        if rule_id is None:
            refused = [f"timeline: expected accepted, got refused: {shown}"]
            return (refused if broken else []), covered
        if not any(r == rule_id and index in (None, i) for r, i in broken):
            at = f" at events[{index}]" if index is not None else ""
            got = f"refused: {shown}" if broken else "accepted"
            return [f"timeline: expected refused by '{rule_id}'{at}, got {got}"], covered
        return [], covered

    def _check(self, claim: Claim, as_of: dt.datetime) -> None:
        events = claim.events
        if self.added is not None:
            check_addition(self.ir, events, self.added, recorded_at=as_of, skew=SKEW)
        elif self.voided is not None:
            voiding = Voiding(reason="ruleset test", by="ruleset test", at=as_of)
            check_void(self.ir, events, self.voided, voiding)
        else:
            check_intake(self.ir, events, recorded_at=as_of, skew=SKEW)


def timeline_case(ir: RulesetIR, display: str, case: Any) -> TimelineCase | None:
    """The case's lifecycle check, if it is a lifecycle case."""
    expect = case.get("expect")
    if not isinstance(expect, CommentedMap) or "timeline" not in expect:
        return None
    return TimelineCase(ir, display, case)

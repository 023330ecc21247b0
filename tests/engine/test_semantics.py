"""Engine semantics versions: decisions name the semantics they were made under, and an
unknown version is refused rather than replayed under other rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.backends import available_backends
from engine.claim import Claim, load_claim
from engine.decision import canonical_json
from engine.errors import EngineError
from engine.evaluate import evaluate, load_program
from engine.program import Program
from engine.semantics import (
    CURRENT,
    KNOWN,
    Semantics,
    UnknownSemanticsError,
    semantics_of_engine_version,
)

CLAIM = Path("examples/claim.json")
AS_OF = dt.datetime(2025, 7, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def evaluate_json(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The decision's JSON form (the contract these tests read)."""
    return evaluate(*args, **kwargs).json_form()


def _claim() -> bytes:
    return CLAIM.read_bytes()


def test_decisions_carry_the_current_semantics() -> None:
    program = load_program("rulesets/cn-health")
    decision = evaluate(program, _claim(), as_of=AS_OF, backend="native")
    assert semantics_of_engine_version(decision.engine.version) == CURRENT


@pytest.mark.parametrize("version", KNOWN)
def test_every_known_version_evaluates(version: str) -> None:
    program = load_program("rulesets/cn-health")
    decision = evaluate(program, _claim(), as_of=AS_OF, semantics=version)
    assert decision.engine.version.startswith(f"{version}+")


def test_an_unknown_version_is_refused_not_guessed() -> None:
    program = load_program("rulesets/cn-health")
    with pytest.raises(UnknownSemanticsError) as caught:
        evaluate(program, _claim(), as_of=AS_OF, semantics="9.9.9")
    assert isinstance(caught.value, EngineError)
    assert "9.9.9" in str(caught.value)
    with pytest.raises(UnknownSemanticsError):
        semantics_of_engine_version("0.0.1+native.0.1.0")


def test_since_includes_its_own_version_and_every_earlier_one() -> None:
    for later, version in enumerate(KNOWN):
        assert Semantics(version).since(version)
        assert all(Semantics(version).since(earlier) for earlier in KNOWN[:later])
        assert not any(Semantics(version).since(newer) for newer in KNOWN[later + 1 :])


# ---- 0.2.0: what a rule or clock reads exists as of ``as_of``; void events never count -----

FROZEN = Path("tests/fixtures/semantics/v0.1.0")
GOLDEN: dict[str, dict[str, str]] = json.loads((FROZEN / "decisions.json").read_text())
_PROGRAMS: dict[str, Program] = {}


def _frozen_program(claim: Claim) -> Program:
    name = {"complaint": "cn-complaints"}.get(claim.claim_type, "cn-health")
    name = "us-erisa" if claim.jurisdiction == "US" else name
    if name not in _PROGRAMS:
        _PROGRAMS[name] = load_program(FROZEN / "rulesets" / name)
    return _PROGRAMS[name]


def _digest(decision: dict[str, Any]) -> str:
    body = canonical_json({k: v for k, v in decision.items() if k != "engine"})
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()


def _golden_cases() -> list[tuple[str, str]]:
    return [(name, as_of) for name, row in sorted(GOLDEN.items()) for as_of in sorted(row)]


@pytest.mark.parametrize("backend", available_backends())
def test_decisions_under_0_1_0_are_byte_identical_to_the_engine_before_0_2_0(backend: str) -> None:
    """Digests written by the engine before 0.2.0 existed (frozen rulesets and claims, some
    of them with documents and events after ``as_of``)."""
    for name, as_of in _golden_cases():
        claim = load_claim((FROZEN / "claims" / name).read_bytes())
        decision = evaluate_json(
            _frozen_program(claim),
            claim,
            as_of=dt.datetime.fromisoformat(as_of),
            backend=backend,
            semantics="0.1.0",
        )
        assert _digest(decision) == GOLDEN[name][as_of], (name, as_of)


def test_0_2_0_changes_only_decisions_that_saw_the_future() -> None:
    changed = 0
    for name, as_of_text in _golden_cases():
        claim = load_claim((FROZEN / "claims" / name).read_bytes())
        as_of = dt.datetime.fromisoformat(as_of_text)
        decision = evaluate_json(_frozen_program(claim), claim, as_of=as_of, backend="native")
        later = [e.at for e in claim.events] + [d.received_at for d in claim.documents]
        saw_the_future = any(instant > as_of for instant in later)
        same = _digest(decision) == GOLDEN[name][as_of_text]
        assert same or saw_the_future, (name, as_of_text)
        changed += not same
    assert changed > 0  # the fixture does hold claims the change is about


def _cn_health() -> Program:
    return load_program("rulesets/cn-health")


def _missed_notice_claim(document_at: str) -> dict[str, Any]:
    """The discharge summary was missing, nobody sent the one-time notice, and it came later."""
    data = json.loads(_claim())
    data["documents"] = [
        *[d for d in data["documents"] if d["type"] != "discharge_summary"],
        {"type": "discharge_summary", "received_at": document_at},
    ]
    data["events"] = [e for e in data["events"] if e["type"] in ("loss_reported", "claim_received")]
    return data


def test_a_document_that_arrives_later_does_not_undo_a_missed_notice() -> None:
    program = _cn_health()
    as_of = dt.datetime.fromisoformat("2025-07-01T09:00:00+08:00")
    claim = _missed_notice_claim("2025-07-20T10:00:00+08:00")

    now = evaluate_json(program, claim, as_of=as_of, backend="native")
    before = evaluate_json(program, claim, as_of=as_of, backend="native", semantics="0.1.0")

    clocks = {c["id"]: c for c in now["sla"]}
    assert clocks["one_time_supplement"]["status"] == "breached"
    assert now["outcome"] == "pend"
    assert [r["code"] for r in now["reasons"] if r["rule_id"] == "documents_incomplete"]
    # What 0.1.0 decisions keep saying: the later document erased the missed notice.
    old = {c["id"]: c for c in before["sla"]}
    assert old["one_time_supplement"]["status"] == "not_applicable"
    assert before["outcome"] == "approve"


def test_the_document_counts_from_the_instant_it_is_received() -> None:
    program = _cn_health()
    claim = _missed_notice_claim("2025-06-24T15:40:00+08:00")
    at = dt.datetime.fromisoformat("2025-06-24T15:40:00+08:00")

    just_before = evaluate_json(
        program, claim, as_of=at - dt.timedelta(seconds=1), backend="native"
    )
    on_arrival = evaluate_json(program, claim, as_of=at, backend="native")

    assert just_before["outcome"] == "pend"
    assert on_arrival["outcome"] == "approve"


def test_rules_do_not_see_events_after_as_of() -> None:
    program = load_program("rulesets/cn-complaints")
    data = json.loads(Path("rulesets/cn-complaints/tests/claims/complaint.json").read_text())
    received = dt.datetime.fromisoformat(data["events"][0]["at"])
    forwarded = received + dt.timedelta(days=3)
    data["events"] = [
        data["events"][0],
        {"type": "regulator_forwarded", "at": forwarded.isoformat()},
    ]
    as_of = received + dt.timedelta(days=1)

    now = evaluate_json(program, data, as_of=as_of, backend="native")
    before = evaluate_json(program, data, as_of=as_of, backend="native", semantics="0.1.0")
    later = evaluate_json(program, data, as_of=forwarded, backend="native")

    assert "regulator_forwarded" not in {r["rule_id"] for r in now["reasons"]}
    assert "regulator_forwarded" in {r["rule_id"] for r in before["reasons"]}
    assert "regulator_forwarded" in {r["rule_id"] for r in later["reasons"]}


def _voided(event: dict[str, Any]) -> dict[str, Any]:
    void = {
        "reason": "entered on the wrong claim",
        "by": "adjuster:li",
        "at": "2025-06-30T10:00:00+08:00",
    }
    return {**event, "void": void}


@pytest.mark.parametrize("version", KNOWN)
def test_no_rule_or_clock_counts_a_void_event(version: str) -> None:
    program = _cn_health()
    data = json.loads(_claim())
    events = data["events"]  # loss_reported, claim_received, documents_requested, completed
    data["events"] = [events[0], events[1], _voided(events[2]), events[3]]

    decision = evaluate_json(program, data, as_of=AS_OF, backend="native", semantics=version)

    clocks = {c["id"]: c for c in decision["sla"]}
    determination = clocks["determination"]
    assert [m["effect"] for m in determination["events"]] == ["start"]  # no pause
    assert determination["events"][0]["index"] == 1
    # The clocks still name events by their position on the claim.
    assert {m["index"] for c in decision["sla"] for m in c["events"]} <= {0, 1, 3}


def test_a_void_event_keeps_its_place_for_the_indices_of_the_later_ones() -> None:
    program = load_program("rulesets/cn-complaints")
    data = json.loads(Path("rulesets/cn-complaints/tests/claims/complaint.json").read_text())
    first = data["events"][0]
    data["events"] = [_voided(first), first]

    decision = evaluate_json(program, data, as_of=AS_OF, backend="native")

    clock = next(c for c in decision["sla"] if c["id"] == "complaint_decision")
    assert clock["events"][0] == {**clock["events"][0], "index": 1, "effect": "start"}


def _as_of_cut(data: dict[str, Any], as_of: dt.datetime) -> dict[str, Any]:
    """The claim as it stood at ``as_of``: what arrived later removed."""
    return {
        **data,
        "events": [e for e in data["events"] if dt.datetime.fromisoformat(e["at"]) <= as_of],
        "documents": [
            d for d in data["documents"] if dt.datetime.fromisoformat(d["received_at"]) <= as_of
        ],
    }


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(GOLDEN)),
    offset=st.integers(-3 * 24 * 60, 40 * 24 * 60),
)
def test_a_decision_is_that_of_the_claim_as_it_stood_at_as_of(name: str, offset: int) -> None:
    """0.2.0: evaluating at ``as_of`` is evaluating the claim with nothing that came later
    (the frozen claims list their events in time order, so positions do not move)."""
    data = json.loads((FROZEN / "claims" / name).read_text())
    claim = load_claim(data)
    instants = sorted([e.at for e in claim.events] + [d.received_at for d in claim.documents])
    as_of = instants[0] + dt.timedelta(minutes=offset)
    program = _frozen_program(claim)

    whole = evaluate_json(program, data, as_of=as_of, backend="native")
    cut = evaluate_json(program, _as_of_cut(data, as_of), as_of=as_of, backend="native")

    assert _digest(whole) == _digest(cut)

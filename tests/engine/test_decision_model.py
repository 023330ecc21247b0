"""The typed decision: what the engine builds validates, round-trips byte for byte, refuses
what it never writes, and can grow optional fields without changing older decisions' bytes."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from engine.backends import available_backends
from engine.claim import load_claim
from engine.decision import (
    Amounts,
    ClaimClock,
    Clock,
    ClockEvent,
    Decision,
    Explanation,
    Notice,
    TraceEntry,
    canonical_json,
    optional_field,
    trusted,
)
from engine.evaluate import clocks, portfolio_sweep
from engine.outcome import OUTCOME_RANK, OUTCOMES, Outcome, most_severe
from engine.samples import make_claims, make_complaints, make_us_claims
from tests.engine.factories import BUNDLED_RULESETS, CN_HEALTH, REPO, bundled_program, decide
from tests.engine.test_backends import claims, for_ruleset

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "decision_corpus" / "samples"
PACKAGES = ("engine", "audit", "llm_assist", "api")
ROUND_TRIP = settings(max_examples=60, deadline=None, database=None)


def _round_trips(decision: Decision) -> None:
    """What the engine built validates, equals its reading, and dumps to the same bytes."""
    text = decision.canonical_json()
    parsed = Decision.model_validate_json(text)
    assert parsed == decision
    assert parsed.canonical_json() == text
    assert Decision.model_validate(json.loads(text)).canonical_json() == text
    assert parsed.json_form() == json.loads(text)


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("backend", available_backends())
@pytest.mark.parametrize("root", BUNDLED_RULESETS, ids=lambda p: p.name)
@ROUND_TRIP
@given(case=claims())
def test_every_decision_round_trips_through_the_model(
    root: Path, backend: str, case: tuple[dict[str, Any], dt.datetime]
) -> None:
    program = bundled_program(root)
    claim, as_of = case
    _round_trips(decide(program, for_ruleset(program, claim), backend=backend, as_of=as_of))


@ROUND_TRIP
@given(
    kind=st.sampled_from(["cn-health", "cn-complaints", "us-erisa"]),
    seed=st.integers(0, 2**32),
    days=st.integers(-30, 400),
)
def test_sample_claims_round_trip_at_any_as_of(kind: str, seed: int, days: int) -> None:
    make = {"cn-health": make_claims, "cn-complaints": make_complaints, "us-erisa": make_us_claims}
    (claim,) = make[kind](1, seed=seed)
    as_of = dt.datetime(2025, 7, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    program = bundled_program(REPO / "rulesets" / kind)
    _round_trips(decide(program, claim, as_of=as_of + dt.timedelta(days=days)))


def test_the_recorded_sample_decisions_read_back_to_the_same_bytes() -> None:
    samples = sorted(SAMPLES.glob("*.json"))
    assert len(samples) >= 5
    for path in samples:
        text = path.read_text(encoding="utf-8").rstrip("\n")
        assert Decision.model_validate_json(text).canonical_json() == text, path.name


def test_without_the_engine_block_is_the_same_text_minus_the_engine() -> None:
    decision = decide(bundled_program(CN_HEALTH))
    full = json.loads(decision.canonical_json())
    full.pop("engine")
    assert decision.canonical_json(with_engine=False) == canonical_json(full)


def test_clocks_and_the_sweep_are_typed_and_round_trip() -> None:
    program = bundled_program(CN_HEALTH)
    claim = make_claims(1, seed=3)[0]
    late = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    found = clocks(program, claim, as_of=late)
    assert found and all(type(c) is Clock for c in found)
    for clock in found:
        assert Clock.model_validate_json(canonical_json(clock)) == clock
    urgent = portfolio_sweep(program, [load_claim(claim)], as_of=late)
    assert urgent and all(isinstance(c, ClaimClock) for c in urgent)
    first = urgent[0].model_dump(mode="json")
    assert next(iter(first)) == "claim_id"  # a sweep row begins with its claim
    assert ClaimClock.model_validate(first) == urgent[0]


# ---------------------------------------------------------------- building


def test_trusted_builds_what_validation_builds() -> None:
    decision = decide(bundled_program(CN_HEALTH))
    parts: list[BaseModel] = [
        decision,
        decision.amounts,
        *decision.lines,
        *decision.trace,
        *decision.sla,
        *(e for c in decision.sla for e in c.events),
    ]
    for part in parts:
        values = dict(part)
        rebuilt = trusted(type(part), **values)
        assert rebuilt == type(part).model_validate(part.model_dump())
        assert rebuilt.model_dump(mode="json") == part.model_dump(mode="json")
        assert rebuilt.model_fields_set == set(type(part).model_fields)


def test_trusted_fills_defaults_like_model_construct() -> None:
    event = trusted(ClockEvent, index=0, type="claim_received", at="2025-06-20T09:12:00+08:00",
                    effect="start")  # fmt: skip
    assert event.note is None
    assert event == ClockEvent.model_construct(
        index=0, type="claim_received", at="2025-06-20T09:12:00+08:00", effect="start"
    )


def test_copies_of_a_built_part_do_not_share_what_they_change() -> None:
    decision = decide(bundled_program(CN_HEALTH))
    before = set(decision.model_fields_set)
    changed = decision.model_copy(update={"outcome": "deny"})
    assert (changed.outcome, decision.outcome) == ("deny", "approve")
    assert decision.model_fields_set == before == changed.model_fields_set
    assert changed.model_fields_set is not decision.model_fields_set
    assert decision.model_dump(exclude_unset=True) == decision.model_dump()


def test_a_decision_is_frozen() -> None:
    decision = decide(bundled_program(CN_HEALTH))
    with pytest.raises(ValidationError, match="frozen"):
        decision.outcome = "deny"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        decision.amounts.payable = Decimal("1.00")  # type: ignore[misc]
    assert isinstance(decision.lines, tuple) and isinstance(decision.trace, tuple)


# ---------------------------------------------------------------- what is refused


def _reference_json() -> dict[str, Any]:
    return decide(bundled_program(CN_HEALTH)).json_form()


def _problem(data: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        Decision.model_validate(data)
    first = info.value.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["msg"]


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("amounts", "payable"), "3648.4", "amounts.payable"),
        (("amounts", "payable"), "-1.00", "amounts.payable"),
        (("amounts", "payable"), "03648.40", "amounts.payable"),
        (("amounts", "payable"), 3648.4, "amounts.payable"),
        (("amounts", "payable"), Decimal("3648.4"), "amounts.payable"),
        (("outcome",), "approved", "outcome"),
        (("as_of",), "2025-07-01T09:00:00", "as_of"),
        (("as_of",), "2025-07-01", "as_of"),
        (("currency",), "EUR", "currency"),
        (("sla", 0, "status"), "late", "sla.0.status"),
        (("sla", 0, "due_date"), "2025-7-23", "sla.0.due_date"),
        (("lines", 0, "outcome"), "maybe", "lines.0.outcome"),
    ],
)
def test_values_the_engine_never_writes_are_refused(
    path: tuple[Any, ...], value: Any, where: str
) -> None:
    data = _reference_json()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert _problem(data)[0] == where


def test_unknown_and_missing_keys_are_refused() -> None:
    data = _reference_json()
    data["lines"][0]["bonus"] = "1.00"
    assert _problem(data) == ("lines.0.bonus", "Extra inputs are not permitted")
    data = _reference_json()
    del data["engine"]
    assert _problem(data) == ("engine", "Field required")


def test_the_amount_error_says_what_to_write() -> None:
    data = _reference_json()
    data["amounts"]["copay"] = "912.1"
    assert "exactly two decimal places" in _problem(data)[1]


# ---------------------------------------------------------------- fields added later


class _LaterNotice(Notice):
    """A notice as a later engine might write it: with the id of the ruleset text it came
    from. Defined only here, to show the mechanism (engine.decision docstring)."""

    source: str | None = optional_field(description="the ruleset notice it came from")


def test_an_unset_later_field_is_absent_and_a_set_one_is_written() -> None:
    old = '{"en":"e","id":"human_review","legal_basis":["PIPL art. 24"],"zh":"z"}'
    read = _LaterNotice.model_validate_json(old)
    assert read.source is None
    assert canonical_json(read) == old  # an older decision keeps its bytes
    newer = read.model_copy(update={"source": "notices.human_review"})
    assert json.loads(canonical_json(newer))["source"] == "notices.human_review"
    assert _LaterNotice.model_validate_json(canonical_json(newer)) == newer


def test_todays_null_fields_stay_null() -> None:
    decision = decide(bundled_program(CN_HEALTH))
    data = decision.json_form()
    assert all("line_id" in t for t in data["trace"])
    assert any(t["line_id"] is None for t in data["trace"])
    assert all("stopped_at" in c and "due_date" in c for c in data["sla"])
    assert any(c["stopped_at"] is None for c in data["sla"])


def test_a_clock_event_has_a_note_only_when_there_is_one() -> None:
    plain = trusted(ClockEvent, index=1, type="claim_received", at="2025-06-20T09:12:00+08:00",
                    effect="start", note=None)  # fmt: skip
    noted = plain.model_copy(update={"effect": "extend", "note": "+15 calendar_days"})
    assert "note" not in plain.model_dump(mode="json")
    assert noted.model_dump(mode="json")["note"] == "+15 calendar_days"
    schema = ClockEvent.model_json_schema(mode="serialization")
    assert "note" not in schema["required"]


# ---------------------------------------------------------------- one outcome vocabulary


def test_the_outcome_vocabulary_and_its_precedence() -> None:
    assert get_args(Outcome) == OUTCOMES == ("approve", "partial", "deny", "pend", "refer")
    assert sorted(OUTCOMES, key=OUTCOME_RANK.__getitem__) == [
        "approve", "partial", "pend", "refer", "deny",
    ]  # fmt: skip
    assert most_severe([]) == "approve"
    assert most_severe(["partial", "refer", "pend"]) == "refer"
    schema = Decision.model_json_schema()
    assert schema["properties"]["outcome"]["enum"] == list(OUTCOMES)


_FIVE = re.compile(
    r"""["']approve["']\s*,\s*["']partial["']\s*,\s*["']deny["']\s*,\s*["']pend["']\s*,"""
    r"""\s*["']refer["']"""
)


def test_the_outcome_vocabulary_is_written_down_once() -> None:
    found = [
        str(path.relative_to(REPO))
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        if _FIVE.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["engine/outcome.py"]


def test_the_schema_describes_amounts_and_instants() -> None:
    schema = Decision.model_json_schema(mode="serialization")
    amounts = schema["$defs"]["Amounts"]["properties"]["payable"]
    assert amounts["type"] == "string" and amounts["pattern"]
    assert schema["properties"]["as_of"]["format"] == "date-time"
    assert Explanation.model_json_schema()["required"] == ["zh", "en"]
    assert TraceEntry.model_json_schema()["properties"]["line_id"]["description"]
    assert Amounts.model_json_schema()["examples"]

"""Claim model and loader: the example loads, and every bad input becomes a precise Problem."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.claim import (
    Claim,
    claim_to_json_dict,
    id_check_digit,
    id_number_checksum_valid,
    load_claim,
    luhn_valid,
)
from engine.errors import ClaimValidationError, Problem
from engine.money import format_date, format_money, quantize_money

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/claim.json"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@cache
def _example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def make_claim_dict(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of the example claim; top-level keys replaced by ``overrides``."""
    data: dict[str, Any] = json.loads(_example_text())
    data.update(copy.deepcopy(overrides))
    return data


def problems_of(data: Any) -> list[Problem]:
    with pytest.raises(ClaimValidationError) as info:
        load_claim(data)
    return info.value.problems


def as_text(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# ---------------------------------------------------------------- the example


def test_example_loads_from_text_bytes_and_mapping() -> None:
    text = _example_text()
    claim = load_claim(text)
    assert isinstance(claim, Claim)
    assert load_claim(text.encode("utf-8")) == claim
    assert load_claim(make_claim_dict()) == claim
    assert claim.items[1].amount == Decimal("860.50")
    assert claim.policy.coinsurance == Decimal("0.80")
    assert claim.documents[0].received_at.utcoffset() is not None
    assert claim.member.id_checksum_valid


def test_json_dump_round_trips_to_the_example() -> None:
    claim = load_claim(_example_text())
    dumped = claim_to_json_dict(claim)
    expected = make_claim_dict()  # plus the optional fields the example leaves out
    expected["incident"]["knew_date"] = None
    expected["policy"]["designated_providers"] = []
    expected["policy"]["nondisclosure_learned_date"] = None
    for event in expected["events"]:
        event.setdefault("detail", {})
    assert dumped == expected
    assert load_claim(dumped) == claim
    assert load_claim(json.dumps(dumped)) == claim


def test_claim_is_frozen() -> None:
    claim = load_claim(_example_text())
    with pytest.raises(ValueError, match="frozen"):
        claim.claim_id = "other"


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("given", "expected"),
    [(23000, "23000.00"), (23000.5, "23000.50"), ("7", "7.00"), ("1.500", "1.50"), (0, "0.00")],
)
def test_money_numbers_in_strings_out(given: Any, expected: str) -> None:
    data = make_claim_dict()
    data["items"][0]["amount"] = given
    data["items"][0]["social_insurance_paid"] = 0
    dumped = claim_to_json_dict(load_claim(data))
    assert dumped["items"][0]["amount"] == expected
    assert dumped["items"][0]["social_insurance_paid"] == "0.00"


def test_negative_amount_has_its_path() -> None:
    data = make_claim_dict()
    data["items"][1]["amount"] = "-860.50"
    assert as_text(problems_of(data)) == ["items[1].amount: must be >= 0"]


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("1.005", "must have at most 2 decimal places"),
        ("NaN", "must be a finite number (NaN and Infinity are not allowed)"),
        (True, 'must be a number such as "23000.00", not true/false'),
        ("1e3", 'must be a plain decimal number such as "23000.00"'),
    ],
)
def test_bad_amounts_are_rejected(given: Any, reason: str) -> None:
    data = make_claim_dict()
    data["prior_claims"][0]["amount"] = given
    assert problems_of(data) == [Problem("prior_claims[0].amount", reason)]


def test_money_display_helpers() -> None:
    assert quantize_money(Decimal("688.40") * Decimal("0.80")) == Decimal("550.72")
    assert quantize_money(Decimal("0.125")) == Decimal("0.13")
    assert format_money(Decimal("1234.5"), "zh") == "1,234.50元"
    assert format_money(Decimal("1234.5"), "en") == "CNY 1,234.50"
    assert format_date(date(2025, 6, 12), "zh") == "2025年6月12日"
    assert format_date(date(2025, 6, 12), "en") == "12 June 2025"


# ---------------------------------------------------------------- problems and their paths


def test_several_problems_are_reported_together() -> None:
    data = make_claim_dict()
    data["member"]["id_number"] = "1101051949"
    data["policy"]["end_date"] = "2025-01-01"
    data["policy"]["status"] = "active"
    data["items"][0]["diagnosis_code"] = "appendicitis"
    data["items"][1]["amount"] = "-1"
    data["documents"][2]["received_at"] = "yesterday"
    del data["incident"]["onset_date"]
    assert as_text(problems_of(data)) == [
        "member.id_number: must be 18 characters: 17 digits and a check digit",
        "policy.status: must be one of 'in_force', 'lapsed', 'cancelled', 'suspended' or 'expired'",
        "policy.end_date: must be on or after policy.start_date",
        "incident.onset_date: is required",
        "items[0].diagnosis_code: must be an ICD-10 code such as K35.8",
        "items[1].amount: must be >= 0",
        "documents[2].received_at: must be a date-time in ISO 8601 form with a UTC offset, "
        "e.g. 2025-06-20T09:12:00+08:00",
    ]


def test_naive_datetime_is_rejected_with_its_path() -> None:
    data = make_claim_dict()
    data["documents"][0]["received_at"] = "2025-06-20T09:12:00"
    assert problems_of(data) == [
        Problem(
            "documents[0].received_at",
            "must include a UTC offset, e.g. 2025-06-20T09:12:00+08:00",
        )
    ]


def test_bad_dates_are_plainly_explained() -> None:
    data = make_claim_dict()
    data["member"]["birth_date"] = "31/12/1949"
    data["items"][0]["service_date"] = "2025-02-30"
    data["prior_claims"][0]["service_date"] = 1700000000
    assert as_text(problems_of(data)) == [
        "member.birth_date: must be a date in ISO 8601 form (YYYY-MM-DD)",
        "items[0].service_date: is not a real calendar date",
        "prior_claims[0].service_date: must be a date in ISO 8601 form (YYYY-MM-DD)",
    ]


def test_bad_json_text_is_one_problem_at_the_root() -> None:
    text = '{\n  "claim_id": "C-1"\n    "claim_type": "property"\n}'
    assert problems_of(text) == [
        Problem("", "not valid JSON: Expecting ',' delimiter at line 3 column 5")
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"claim_id": NaN}', "not valid JSON: NaN is not allowed"),
        ('{"claim_id": "a", "claim_id": "b"}', "not valid JSON: duplicate key 'claim_id'"),
        (b"\xff\xfe{", "not valid JSON: not UTF-8 text"),
        ("[1, 2]", "must be an object"),
    ],
)
def test_ambiguous_or_non_object_json_is_rejected(text: str | bytes, reason: str) -> None:
    assert problems_of(text) == [Problem("", reason)]


def test_unknown_fields_are_rejected_everywhere() -> None:
    data = make_claim_dict(priority="high")
    data["items"][1]["discount"] = "10.00"
    assert as_text(problems_of(data)) == [
        "items[1].discount: unknown field (not allowed)",
        "priority: unknown field (not allowed)",
    ]


def test_duplicate_line_id() -> None:
    data = make_claim_dict()
    data["items"][1]["line_id"] = 1
    assert as_text(problems_of(data)) == ["items[1].line_id: duplicate line_id 1"]


def test_duplicate_line_id_is_reported_alongside_other_line_errors() -> None:
    data = make_claim_dict()
    data["items"].append(dict(data["items"][1], amount="-1"))
    assert as_text(problems_of(data)) == [
        "items[2].amount: must be >= 0",
        "items[2].line_id: duplicate line_id 2",
    ]


def test_paid_by_others_cannot_exceed_the_amount() -> None:
    data = make_claim_dict()
    data["items"][1]["other_insurance_paid"] = "600.00"
    assert problems_of(data) == [
        Problem("items[1].other_insurance_paid", "paid by others exceeds amount")
    ]


def test_strict_scalars_are_not_coerced() -> None:
    data = make_claim_dict(items=[])
    data["incident"]["is_accident"] = "false"
    data["policy"]["waiting_period_days"] = "30"
    data["events"][0]["type"] = "Loss Reported"
    assert as_text(problems_of(data)) == [
        "policy.waiting_period_days: must be a whole number",
        "incident.is_accident: must be true or false",
        "items: must contain at least 1 item",
        "events[0].type: must be snake_case such as claim_received",
    ]


# ---------------------------------------------------------------- checksums


def test_id_checksum_on_the_example_and_a_corrupted_copy() -> None:
    assert id_number_checksum_valid("11010519491231002X")
    assert id_number_checksum_valid("11010519491231002x")
    assert not id_number_checksum_valid("11010519491231003X")
    assert not id_number_checksum_valid("110105194912310020")
    assert not id_number_checksum_valid("1101051949123100")


def test_bad_checksum_loads_but_is_flagged() -> None:
    data = make_claim_dict()
    data["member"]["id_number"] = "110105194912310021"
    assert not load_claim(data).member.id_checksum_valid


def test_luhn() -> None:
    assert luhn_valid("6222021234567890128")
    assert not luhn_valid("6222021234567890127")
    assert not luhn_valid("6222-0212")


def _reference_check_digit(prefix: str) -> str:
    """ISO 7064 MOD 11-2 written as the standard states it, independent of the mapping table."""
    value = (12 - sum(int(c) * w for c, w in zip(prefix, WEIGHTS, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


digits17 = st.text(alphabet="0123456789", min_size=17, max_size=17)


@settings(database=None, deadline=None)
@given(prefix=digits17, position=st.integers(0, 17), shift=st.integers(1, 9))
def test_check_digit_validates_and_any_single_change_invalidates(
    prefix: str, position: int, shift: int
) -> None:
    check = id_check_digit(prefix)
    assert check == _reference_check_digit(prefix)
    number = prefix + check
    assert id_number_checksum_valid(number)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    original = alphabet.index(number[position])
    replacement = alphabet[(original + shift) % len(alphabet)]  # never the original
    changed = number[:position] + replacement + number[position + 1 :]
    assert not id_number_checksum_valid(changed)


# ---- void and backdated events, document references ---------------------------------------

_VOID = {"reason": "entered twice", "by": "adjuster:li", "at": "2025-06-25T10:00:00+08:00"}


def test_markers_appear_in_the_json_form_only_when_set() -> None:
    plain = claim_to_json_dict(load_claim(make_claim_dict()))
    assert all(set(e) == {"type", "at", "detail"} for e in plain["events"])
    assert all(set(d) == {"type", "received_at"} for d in plain["documents"])

    data = make_claim_dict()
    data["events"][3] = {**data["events"][3], "void": _VOID, "backdated": {"reason": "late entry"}}
    data["documents"][0] = {**data["documents"][0], "reference": "SCAN-0001"}
    marked = claim_to_json_dict(load_claim(data))

    assert marked["events"][3]["void"] == _VOID
    assert marked["events"][3]["backdated"] == {"reason": "late entry"}
    assert marked["documents"][0]["reference"] == "SCAN-0001"
    assert load_claim(marked) == load_claim(data)


@pytest.mark.parametrize(
    ("field", "value", "path", "reason"),
    [
        ("void", {**_VOID, "reason": " "}, "events[1].void.reason", "must not be empty"),
        ("void", {"reason": "x", "by": "y"}, "events[1].void.at", "is required"),
        ("void", {**_VOID, "at": "2025-06-25T10:00:00"}, "events[1].void.at", "UTC offset"),
        ("backdated", {}, "events[1].backdated.reason", "is required"),
        ("backdated", {"reason": "x", "who": "y"}, "events[1].backdated.who", "unknown field"),
    ],
)
def test_bad_markers_are_reported_at_their_path(
    field: str, value: Any, path: str, reason: str
) -> None:
    data = make_claim_dict()
    data["events"][1] = {**data["events"][1], field: value}
    with pytest.raises(ClaimValidationError) as caught:
        load_claim(data)
    assert [p.path for p in caught.value.problems] == [path]
    assert reason in caught.value.problems[0].reason

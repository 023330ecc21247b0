"""Claim versions: a merge patch applied to a claim and validated whole, as at intake."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.claim import claim_to_json_dict, load_claim
from engine.errors import ClaimValidationError
from engine.lifecycle.errors import ClaimPatchError
from engine.lifecycle.patch import apply_patch, claim_hash
from engine.merge_patch import merge_patch_between
from tests.engine.factories import make_claim_dict
from tests.engine.lifecycle.factories import make_claim


def test_a_patch_changes_what_it_names_and_gives_the_new_hash() -> None:
    claim = make_claim()
    result = apply_patch(claim, {"policy": {"status": "lapsed"}, "member": {"phone": None}})

    assert result.changed
    assert result.claim.policy.status == "lapsed" and result.claim.member.phone is None
    assert result.claim.items == claim.items
    assert result.content_hash == claim_hash(result.claim) != claim_hash(claim)


def test_the_hash_is_of_the_content_however_it_was_reached() -> None:
    claim = make_claim()
    assert claim_hash(load_claim(json.dumps(claim_to_json_dict(claim)))) == claim_hash(claim)
    there = apply_patch(claim, {"incident": {"description": "x"}}).claim
    back = apply_patch(there, {"incident": {"description": claim.incident.description}})
    assert back.content_hash == claim_hash(claim) and back.claim == claim


def test_an_invalid_result_has_the_same_problems_as_at_intake() -> None:
    patch = {"items": [{**make_claim_dict()["items"][0], "amount": "-1"}], "currency": "EUR"}
    with pytest.raises(ClaimValidationError) as patched:
        apply_patch(make_claim(), patch)
    with pytest.raises(ClaimValidationError) as intake:
        load_claim({**make_claim_dict(), **patch})
    assert patched.value.problems == intake.value.problems
    assert [p.path for p in patched.value.problems] == ["currency", "items[0].amount"]


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"claim_id": "CLM-OTHER"}, "claim_id"),
        ({"claim_id": None}, "claim_id"),
        ({"member": {"member_id": "M-2"}}, "member.member_id"),
        ({"member": None}, "member.member_id"),
        ({"member": "M-2"}, "member.member_id"),
    ],
)
def test_the_claim_and_the_member_stay_who_they_are(patch: dict[str, Any], path: str) -> None:
    with pytest.raises(ClaimPatchError) as caught:
        apply_patch(make_claim(), patch)
    assert (caught.value.path, caught.value.reason, caught.value.code) == (
        path,
        "cannot change",
        "claim-patch",
    )


def test_the_same_ids_may_be_restated() -> None:
    claim = make_claim()
    result = apply_patch(claim, {"claim_id": claim.claim_id, "member": {"member_id": "M-1001"}})
    assert not result.changed and result.claim == claim


@pytest.mark.parametrize("key", ["events", "documents"])
def test_the_timeline_and_documents_only_grow_through_their_own_operations(key: str) -> None:
    with pytest.raises(ClaimPatchError) as caught:
        apply_patch(make_claim(), {key: []})
    assert caught.value.path == key and caught.value.suggestion


@pytest.mark.parametrize("patch", [[], "x", None, 3])
def test_a_patch_is_an_object(patch: Any) -> None:
    with pytest.raises(ClaimPatchError, match="must be a JSON object"):
        apply_patch(make_claim(), patch)


# ---- laws, on claims ------------------------------------------------------------------------

EDITS = st.fixed_dictionaries(
    {},
    optional={
        "description": st.text(max_size=12),
        "status": st.sampled_from(["in_force", "lapsed", "expired"]),
        "phone": st.one_of(st.none(), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)),
        "amount": st.decimals(min_value=9000, max_value=99999, places=2).map(str),
        "drop_line": st.just(True),
        "exclusions": st.lists(st.sampled_from(["cosmetic", "dental", "maternity"]), unique=True),
    },
)


def _edited(edits: dict[str, Any]) -> dict[str, Any]:
    """The example claim's JSON form with ``edits``: still a valid claim of the same member."""
    data = claim_to_json_dict(make_claim())
    if "description" in edits:
        data["incident"]["description"] = edits["description"]
    if "status" in edits:
        data["policy"]["status"] = edits["status"]
    if "phone" in edits:
        data["member"]["phone"] = edits["phone"]
    if "amount" in edits:
        data["items"][0]["amount"] = edits["amount"]
    if edits.get("drop_line"):
        data["items"] = data["items"][:1]
    if "exclusions" in edits:
        data["policy"]["exclusions"] = edits["exclusions"]
    return data


@settings(max_examples=150)
@given(a=EDITS, b=EDITS)
def test_the_patch_computed_from_a_to_b_gives_b(a: dict[str, Any], b: dict[str, Any]) -> None:
    source, target = load_claim(_edited(a)), load_claim(_edited(b))
    patch = merge_patch_between(claim_to_json_dict(source), claim_to_json_dict(target))

    result = apply_patch(source, patch)

    assert result.claim == target
    assert result.changed == (source != target)
    assert result.content_hash == claim_hash(target)


@settings(max_examples=150)
@given(a=EDITS, b=EDITS)
def test_applying_the_same_patch_twice_equals_once(a: dict[str, Any], b: dict[str, Any]) -> None:
    patch = merge_patch_between(claim_to_json_dict(make_claim()), _edited(b))
    once = apply_patch(load_claim(_edited(a)), patch)
    twice = apply_patch(once.claim, patch)
    assert twice.claim == once.claim and not twice.changed

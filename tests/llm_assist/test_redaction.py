"""Redaction before any prompt: recall first, stable placeholders, grounding facts untouched."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.claim import Claim, claim_to_json_dict, id_number_checksum_valid, load_claim, luhn_valid
from engine.evaluate import evaluate, load_program
from llm_assist.redaction import PersonalData, Redactor, find_personal_data
from tests.llm_assist.pii_strategies import (
    REFERENCE_CLAIM,
    cards,
    chinese_names,
    claims_with_planted_pii,
    emails,
    id_numbers,
    latin_names,
    phones,
)

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime.fromisoformat("2025-07-01T00:00:00+08:00")
PLACEHOLDER = re.compile(r"\[(ID|PHONE|CARD|EMAIL|NAME|ADDRESS)_[0-9]+\]")
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_claim(**member: Any) -> Claim:
    data = json.loads(REFERENCE_CLAIM.read_text(encoding="utf-8"))
    data["member"].update(member)
    return load_claim(data)


@pytest.fixture(scope="module")
def reference_decision() -> dict[str, Any]:
    """The reference claim's decision in its JSON form (what redact_json is given)."""
    program = load_program(ROOT / "rulesets" / "cn-health")
    return evaluate(program, reference_claim(), as_of=AS_OF, backend="native").json_form()


def kinds(text: str, redactor: Redactor | None = None) -> list[str]:
    return [p.kind for p in find_personal_data(text, redactor=redactor)]


# ------------------------------------------------------------------ each shape, recall first


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("11010519491231002X", "ID"),  # checksum-valid
        ("110105194912310021", "ID"),  # checksum-invalid: still redacted
        ("11010519491231002x", "ID"),  # lower-case x
        ("110105 19491231 002X", "ID"),  # grouped
        ("110105491231002", "ID"),  # first-generation 15 digits, Luhn-invalid
        ("１１０１０５１９４９１２３１００２Ｘ", "ID"),  # full-width
        ("1****************X", "ID"),  # display mask
        ("13812345678", "PHONE"),
        ("+86 138 1234 5678", "PHONE"),
        ("0086-13812345678", "PHONE"),
        ("138-1234-5678", "PHONE"),
        ("１３８１２３４５６７８", "PHONE"),
        ("138****5678", "PHONE"),
        ("010-12345678", "PHONE"),
        ("0571 8888 1234", "PHONE"),
        ("(0571)88881234", "PHONE"),
        ("(555) 123-4567", "PHONE"),
        ("555-123-4567", "PHONE"),
        ("+44 20 7946 0958", "PHONE"),
        ("6222021234567890128", "CARD"),  # Luhn-valid
        ("6222021234567890127", "CARD"),  # Luhn-invalid: still redacted
        ("6222 0212 3456 7890 128", "CARD"),
        ("4111-1111-1111-1111", "CARD"),
        ("622202******0128", "CARD"),
        ("****0128", "CARD"),
        ("zhang.san@example.com", "EMAIL"),
        ("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "EMAIL"),
        ("浙江省杭州市西湖区文三路100号3栋2单元501室", "ADDRESS"),
        ("北京市朝阳区建国路88号", "ADDRESS"),
        ("12 Main Street", "ADDRESS"),
        ("Apt 4B", "ADDRESS"),
        ("Room 1203", "ADDRESS"),
        ("123456789", "ID"),  # any other run of 9+ digits
        ("张*", "NAME"),  # a surname-masked name, even without the claim
    ],
)
def test_each_shape_is_found_and_redacted_whole(text: str, kind: str) -> None:
    assert find_personal_data(text) == [PersonalData(kind, 0, len(text))]
    redactor = Redactor.generic()
    assert redactor.redact(text) == f"[{kind}_1]"
    assert redactor.placeholders == {f"[{kind}_1]": kind}


def test_checksums_only_choose_the_label() -> None:
    valid_id, invalid_id = "11010519491231002X", "110105194912310020"
    assert id_number_checksum_valid(valid_id) and not id_number_checksum_valid(invalid_id)
    assert kinds(valid_id) == kinds(invalid_id) == ["ID"]
    # an 18-digit run that fails GB 11643 but passes Luhn is labelled a card
    luhn18 = "622202123456789012"
    assert luhn_valid(luhn18) and not id_number_checksum_valid(luhn18)
    assert kinds(luhn18) == ["CARD"]
    assert kinds("6222021234567890") == ["CARD"] and not luhn_valid("6222021234567890")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678请回电", "电话[PHONE_1]请回电"),
        ("身份证号11010519491231002X，卡号6222021234567890128。", "身份证号[ID_1]，卡号[CARD_1]。"),
        ("邮箱zhang@example.com联系", "邮箱[EMAIL_1]联系"),
        ("住址浙江省杭州市西湖区文三路100号，电话", "住址[ADDRESS_1]，电话"),
        ("患者住在北京市朝阳区建国路88号3栋", "患者住在[ADDRESS_1]"),
        ("ID:11010519491231002X.", "ID:[ID_1]."),
        ("tel １３８ １２３４ ５６７８。", "tel [PHONE_1]。"),
    ],
)
def test_embedded_in_text_without_spaces(text: str, expected: str) -> None:
    assert Redactor.generic().redact(text) == expected


# ------------------------------------------------------------------ what must stay


@pytest.mark.parametrize(
    "text",
    [
        "23000.00",
        "1996351.60",
        "¥3,648.40",
        "1234567890.50",
        "2025-06-10",
        "2025-06-24T00:00:00+08:00",
        "2025-06-20T09:12:00.123456+08:00",
        "2025年6月23日",
        "CLM-2026-000123",
        "P-88001",
        "INV-33-000981",
        "M-1001",
        "H-330100",
        "CLM-BENCH-000123",
        "K35.8",
        "waiting_period_too_long",
        "ELIG-WAITING",
        "sha256:86c07e317157314a4ae639c74252589b5aefc278987e5f8f0aa77d075869df37",
        "3801eeeff2d6c82d499e6dbf91d8ffd24005f244",
        "550e8400-e29b-41d4-a716-446655440000",
        "30",
        "12378",
        "10000.00",
        "0.1.0+native.1",
        "**23000.00**",
        "急性阑尾炎住院手术。",
        "患者于2025年6月10日在杭州市第一人民医院住院治疗3天，上消化道出血3次。",
        "We will decide your claim within 30 days (deadline: 23 July 2025).",
        "PRC Insurance Law art. 22(2); 29 CFR 2560.503-1(f)(2)(iii)(B)",
        "[ID_1] [PHONE_2] [NAME_3] [ADDRESS_12]",
    ],
)
def test_grounding_facts_and_placeholders_are_not_personal_data(text: str) -> None:
    assert find_personal_data(text) == []
    assert Redactor.generic().redact(text) == text


def test_reference_description_stays_intact() -> None:
    claim = reference_claim()
    redactor = Redactor.for_claim(claim)
    assert redactor.redact(claim.incident.description) == "急性阑尾炎住院手术。"


# ------------------------------------------------------------------ the claim's own values


def test_chinese_name_given_name_and_masked_forms() -> None:
    redactor = Redactor.for_claim(reference_claim(name="张三丰"))
    text = "张三丰来电；三丰说；张*、张**、张某、张先生；张 三丰"
    assert redactor.redact(text) == "[NAME_1]来电；[NAME_1]说；" + "、".join(["[NAME_1]"] * 4) + (
        "；[NAME_1]"
    )
    assert redactor.placeholders == {"[NAME_1]": "NAME"}


def test_single_character_given_name_is_not_redacted_alone() -> None:
    redactor = Redactor.for_claim(reference_claim(name="张三"))
    assert redactor.redact("张三说第三次") == "[NAME_1]说第三次"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("张三", "Zhang San called; zhangsan; ZHANG San; San Zhang; Zhāng Sān; Zhang-San",
         "[NAME_1] called; [NAME_1]; [NAME_1]; [NAME_1]; [NAME_1]; [NAME_1]"),
        ("张三", "Mr. Zhang wrote; ZHANG again; ask San",
         "[NAME_1] wrote; [NAME_1] again; ask [NAME_1]"),
        # the surname alone in ordinary case, and syllables inside other words, are not the name
        ("张三", "zhang is a surname; sandwich; Santiago",
         "zhang is a surname; sandwich; Santiago"),
        # every reading of a character with two (重: zhong/chong)
        ("重阳", "Chong Yang and Zhong Yang", "[NAME_1] and [NAME_1]"),
        # a syllable that is an English word is never searched for alone: "He", "An"
        ("何安", "He An; he said an exclusion applies", "[NAME_1]; he said an exclusion applies"),
    ],
)  # fmt: skip
def test_a_chinese_name_in_pinyin(name: str, text: str, expected: str) -> None:
    assert Redactor.for_claim(reference_claim(name=name)).redact(text) == expected


def test_compound_surname() -> None:
    redactor = Redactor.for_claim(reference_claim(name="欧阳明远"))
    assert redactor.redact("欧阳**；明远；欧阳某") == "[NAME_1]；[NAME_1]；[NAME_1]"


def test_latin_name_any_case_any_whitespace_and_tokens() -> None:
    redactor = Redactor.for_claim(reference_claim(name="Mary Ann Whitfield"))
    text = "MARY  ann\nwhitfield called; Whitfield, Mary; Ann stays (3 letters: redacted)"
    assert redactor.redact(text) == (
        "[NAME_1] called; [NAME_1], [NAME_1]; [NAME_1] stays (3 letters: redacted)"
    )
    assert redactor.redact("annual Maryland") == "annual Maryland"  # whole words only


def test_generic_redactor_does_not_know_the_names() -> None:
    assert Redactor.generic().redact("张三丰来电") == "张三丰来电"
    assert kinds("张三丰来电", Redactor.for_claim(reference_claim(name="张三丰"))) == ["NAME"]


def test_claim_values_in_odd_formats_and_their_masks_share_a_placeholder() -> None:
    claim = reference_claim(phone="88881234")  # too short to be phone-shaped on its own
    redactor = Redactor.for_claim(claim)
    text = "8888 1234；88881234；1****************X；11010519491231002X；622202*********0128"
    assert redactor.redact(text) == "[PHONE_1]；[PHONE_1]；[ID_1]；[ID_1]；[CARD_1]"


def test_address_keys_in_event_detail_are_addresses_as_a_whole() -> None:
    data = json.loads(REFERENCE_CLAIM.read_text(encoding="utf-8"))
    data["events"][0]["detail"] = {
        "Home_Address": "幸福小区东门",  # no address shape at all: the key decides
        "contact": {"addr": ["Flat 2, Rose Court", "近地铁站"], "收件地址": "西湖边"},
    }
    claim = load_claim(data)
    redactor = Redactor.for_claim(claim)
    redacted = redactor.redact_json(claim_to_json_dict(claim))
    detail = redacted["events"][0]["detail"]
    assert detail == {
        "Home_Address": "[ADDRESS_1]",
        "contact": {"addr": ["[ADDRESS_2]", "[ADDRESS_3]"], "收件地址": "[ADDRESS_4]"},
    }
    # the same addresses written in free text are found too (claim literals)
    assert redactor.redact("家住幸福小区东门附近") == "家住[ADDRESS_1]附近"


# ------------------------------------------------------------------ placeholders


def test_numbering_by_first_appearance_and_stable_across_calls() -> None:
    redactor = Redactor.generic()
    first = redactor.redact("13812345678 then 13987654321 then 138-1234-5678")
    assert first == "[PHONE_1] then [PHONE_2] then [PHONE_1]"
    assert redactor.redact("+86 139 8765 4321; a@b.cn") == "[PHONE_2]; [EMAIL_1]"
    assert redactor.redact("11010519491231002x / 11010519491231002X") == "[ID_1] / [ID_1]"
    assert dict(redactor.placeholders) == {
        "[PHONE_1]": "PHONE",
        "[PHONE_2]": "PHONE",
        "[EMAIL_1]": "EMAIL",
        "[ID_1]": "ID",
    }


def test_placeholders_never_expose_values() -> None:
    redactor = Redactor.for_claim(reference_claim())
    redactor.redact("张三 13812345678 11010519491231002X")
    exposed = json.dumps(dict(redactor.placeholders), ensure_ascii=False)
    assert "张三" not in exposed and "138" not in exposed and "1101" not in exposed
    with pytest.raises(TypeError):
        redactor.placeholders["[ID_9]"] = "ID"  # type: ignore[index]


def test_redaction_is_idempotent_on_a_mixed_text() -> None:
    redactor = Redactor.for_claim(reference_claim())
    once = redactor.redact("张三电话13812345678，卡6222021234567890128，住文三路100号501室")
    assert redactor.redact(once) == once
    assert find_personal_data(once, redactor=redactor) == []


def test_find_reports_original_offsets_with_fullwidth_text() -> None:
    text = "电话：１３８１２３４５６７８。"
    [found] = find_personal_data(text)
    assert text[found.start : found.end] == "１３８１２３４５６７８"


# ------------------------------------------------------------------ JSON


def test_redact_json_keeps_keys_numbers_booleans_and_none() -> None:
    redactor = Redactor.generic()
    value = {"13812345678": ["13812345678", 13812345678, 1.5, True, None, {"k": ("a@b.cn",)}]}
    assert redactor.redact_json(value) == {
        "13812345678": ["[PHONE_1]", 13812345678, 1.5, True, None, {"k": ["[EMAIL_1]"]}]
    }


def test_redact_json_of_the_real_decision_changes_only_personal_data(
    reference_decision: dict[str, Any],
) -> None:
    redactor = Redactor.for_claim(reference_claim())
    redacted = redactor.redact_json(reference_decision)
    changed = dict(_differences(reference_decision, redacted))
    # no rule of cn-health reads personal data (the ID check digit is a derived fact), so
    # the decision carries none and redaction changes nothing
    assert changed == {}
    assert redacted["amounts"] == reference_decision["amounts"]
    assert redacted["benefit_balance"] == {"annual_limit": "1996351.60", "deductible": "0.00"}
    assert [s["due_date"] for s in redacted["sla"]] == [
        s["due_date"] for s in reference_decision["sla"]
    ]
    assert redacted["ruleset"] == reference_decision["ruleset"]
    assert [t["rule_id"] for t in redacted["trace"]] == [
        t["rule_id"] for t in reference_decision["trace"]
    ]


def _differences(before: Any, after: Any, path: str = "") -> Any:
    if isinstance(before, dict):
        for key in before:
            yield from _differences(before[key], after[key], f"{path}.{key}" if path else key)
    elif isinstance(before, list):
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            yield from _differences(b, a, f"{path}[{index}]")
    elif before != after:
        yield path, (before, after)


def test_redact_json_of_the_claim_redacts_every_member_value() -> None:
    claim = reference_claim()
    redacted = Redactor.for_claim(claim).redact_json(claim_to_json_dict(claim))
    assert redacted["member"] == {
        "member_id": "M-1001",
        "name": "[NAME_1]",
        "id_number": "[ID_1]",
        "phone": "[PHONE_1]",
        "birth_date": "1949-12-31",
        "bank_card": "[CARD_1]",
    }
    assert redacted["items"] == claim_to_json_dict(claim)["items"]


# ------------------------------------------------------------------ properties


@PROPERTY
@given(
    st.lists(
        st.one_of(id_numbers(), phones(), cards(), emails()),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["", "电话", "，", " ", "请联系"]),
    st.sampled_from(["；", "，", " ", "\n"]),
)
def test_no_planted_shape_survives_the_generic_redactor(
    values: list[str], before: str, joiner: str
) -> None:
    text = joiner.join(before + v + "请回电" for v in values)
    redactor = Redactor.generic()
    redacted = redactor.redact(text)
    assert not [v for v in values if v in redacted]
    assert re.sub(PLACEHOLDER, "", redacted).replace("请回电", "").strip(before + joiner) == ""
    assert find_personal_data(redacted) == []
    assert redactor.redact(redacted) == redacted


@PROPERTY
@given(claims_with_planted_pii())
def test_no_planted_value_survives_a_claim_redactor(planted_claim: tuple[Claim, list[str]]) -> None:
    claim, planted = planted_claim
    redactor = Redactor.for_claim(claim)
    redacted = redactor.redact_json(claim_to_json_dict(claim))
    text = json.dumps(redacted, ensure_ascii=False)
    assert [p for p in planted if p in text] == []
    assert find_personal_data(text, redactor=redactor) == []
    assert redactor.redact_json(redacted) == redacted
    assert redacted["items"] == claim_to_json_dict(claim)["items"]
    assert set(redactor.placeholders.values()) <= {
        "ID",
        "PHONE",
        "CARD",
        "EMAIL",
        "NAME",
        "ADDRESS",
    }


@PROPERTY
@given(st.one_of(chinese_names(), latin_names()), st.sampled_from(["", "患者", "（", "Dear "]))
def test_names_are_found_in_model_output(name: str, before: str) -> None:
    redactor = Redactor.for_claim(reference_claim(name=name))
    output = f"{before}{name}的理赔已核定。"
    assert "NAME" in kinds(output, redactor)
    assert name not in redactor.redact(output)


@PROPERTY
@given(st.text(alphabet=st.sampled_from("0123456789 -.,:年月日元¥TXx+()abc理赔"), max_size=40))
def test_redaction_is_idempotent_on_arbitrary_digit_soup(text: str) -> None:
    redactor = Redactor.generic()
    once = redactor.redact(text)
    assert redactor.redact(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "a" * 20_000,  # e-mail local parts
        "杭州" * 10_000,  # administrative units (an un-atomic prefix backtracks exponentially)
        "一" * 20_000,  # Chinese numerals before building units
        "1 " * 10_000,  # digit groups
        "*" * 20_000 + "1",  # masks
        "12 Main " * 2_500,  # English street addresses
        "Mary " * 4_000,  # the member's own name tokens
    ],
)
def test_adversarial_long_text_is_redacted_in_linear_time(text: str) -> None:
    redactor = Redactor.for_claim(reference_claim(name="Mary Whitfield"))
    started = time.perf_counter()
    redactor.redact(text)
    assert time.perf_counter() - started < 2.0

"""The member-rights knowledge base: its YAML tests, every loader diagnostic, real decisions."""

from __future__ import annotations

import datetime as dt
import functools
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.routing import ruleset_for_claim
from engine.claim import load_claim
from engine.decision import Decision
from engine.evaluate import evaluate, load_program
from llm_assist.errors import RightsError
from llm_assist.rights import (
    DEFAULT_RIGHTS_DIR,
    OUTCOMES,
    SLA_STATUSES,
    DecisionFacts,
    RightsBase,
    key_numbers,
    load_rights,
    run_rights_tests,
)

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime.fromisoformat("2025-07-01T00:00:00+08:00")
SEED = {  # domain README section 5, in order, with the law cited there
    "one_time_supplement_notice": "art. 22",
    "decision_and_payment_time": "art. 23",
    "written_reasons_for_refusal": "art. 24",
    "advance_payment": "art. 25",
    "claim_order_choice": "健康保险管理办法 art. 25",
    "human_explanation_and_review": "PIPL art. 24",
    "complaint_review": "银行业保险业消费投诉处理管理办法 arts. 19-20",
    "home_collection": "保险小额理赔服务指引（试行） art. 6",
}
ADVERSE_CN = {"written_reasons_for_refusal", "human_explanation_and_review", "regulator_hotline"}
#: A partial decision JSON, as a selection test case writes one, read for ``applies_when``.
F = DecisionFacts.from_case


@functools.cache
def shipped() -> RightsBase:
    return load_rights()


@pytest.fixture()
def base() -> RightsBase:
    return shipped()


# ------------------------------------------------------------------ the shipped knowledge base


def test_shipped_yaml_cases_all_pass() -> None:
    results = run_rights_tests()
    assert len(results) >= 12
    failed = [(r.name, r.expected, r.selected) for r in results if not r.passed]
    assert failed == []


def test_cases_select_and_leave_out_every_entry(base: RightsBase) -> None:
    results = run_rights_tests()
    selected = {i for r in results for i in r.selected}
    left_out = {e.id for e in base.entries for r in results if e.id not in r.selected}
    ids = {e.id for e in base.entries}
    assert ids - selected == set()
    assert ids - left_out == set()


def test_seed_set_is_present_in_order_with_its_law(base: RightsBase) -> None:
    ids = [e.id for e in base.entries]
    assert ids[: len(SEED)] == list(SEED)
    for entry_id, law in SEED.items():
        assert any(law in s for s in base.get(entry_id).source), entry_id
    assert base.get("decision_and_payment_time").key_numbers == ("10", "30")
    assert base.get("regulator_hotline").key_numbers == ("12378",)
    assert base.get("limitation_period").key_numbers == ("2",)
    assert base.get("erisa_appeal").key_numbers == ("60", "180")


def test_every_entry_is_complete_and_states_the_same_numbers(base: RightsBase) -> None:
    assert len(base.entries) >= 12
    for entry in base.entries:
        assert entry.zh and entry.en and entry.source
        assert key_numbers(entry.zh) == key_numbers(entry.en) == entry.key_numbers
        assert entry.to_dict()["key_numbers"] == list(entry.key_numbers)


def test_default_folder_is_the_repository_rulesets_rights() -> None:
    assert DEFAULT_RIGHTS_DIR == ROOT / "rulesets" / "rights"
    assert load_rights(str(DEFAULT_RIGHTS_DIR)) == load_rights()


def test_get_unknown_id_raises_key_error(base: RightsBase) -> None:
    with pytest.raises(KeyError):
        base.get("no_such_entry")


def test_key_numbers_are_unique_numeric_order_and_fullwidth_aware() -> None:
    assert key_numbers("180日、60日、60 days, １２３７８, 2.5") == ("2.5", "60", "180", "12378")


# ------------------------------------------------------------------ selection semantics


def test_and_across_keys_or_within_a_list(base: RightsBase) -> None:
    entry = base.get(
        "written_reasons_for_refusal"
    )  # ruleset: [cn-health], outcome: [deny, partial]
    cn = {"id": "cn-health"}
    assert entry.applies(F({"outcome": "deny", "ruleset": cn}))
    assert entry.applies(F({"outcome": "partial", "ruleset": cn}))
    assert not entry.applies(F({"outcome": "approve", "ruleset": cn}))
    assert not entry.applies(F({"outcome": "deny", "ruleset": {"id": "us-erisa"}}))
    assert not entry.applies(F({"outcome": "deny"}))


def test_decided_by_and_automated(base: RightsBase) -> None:
    entry = base.get("human_explanation_and_review")
    decision = {"outcome": "deny", "automated": True, "ruleset": {"id": "cn-health"}}
    assert entry.applies(F(decision))
    assert not entry.applies(F(decision), decided_by="person")
    assert not entry.applies(F({**decision, "automated": False}))
    assert not entry.applies(F({**decision, "automated": "true"}))  # only JSON true counts


def test_sla_condition_reads_the_named_clock_only(base: RightsBase) -> None:
    entry = base.get("limitation_period")

    def with_clocks(*clocks: tuple[str, str]) -> dict[str, Any]:
        sla = [{"id": i, "status": s} for i, s in clocks]
        return {"ruleset": {"id": "cn-health"}, "sla": sla}

    assert entry.applies(F(with_clocks(("limitation_watch", "breached"))))
    assert entry.applies(F(with_clocks(("determination", "met"), ("limitation_watch", "due_soon"))))
    assert not entry.applies(F(with_clocks(("limitation_watch", "met"), ("payment", "breached"))))


@pytest.mark.parametrize(
    "decision",
    [
        {},
        {"reasons": "DOC-MISSING"},
        {"reasons": [None, 3, {"code": 7}]},
        {"sla": {"id": "x"}},
        {"ruleset": "cn-health"},
        {"outcome": ["deny"]},
    ],
)
def test_partial_or_malformed_decisions_select_nothing_and_never_raise(
    base: RightsBase, decision: dict[str, Any]
) -> None:
    assert base.select(F(decision)) == []


decisions = st.fixed_dictionaries(
    {
        "outcome": st.sampled_from(OUTCOMES),
        "automated": st.booleans(),
        "ruleset": st.fixed_dictionaries(
            {"id": st.sampled_from(["cn-health", "cn-complaints", "us-erisa"])}
        ),
        "reasons": st.lists(
            st.fixed_dictionaries(
                {
                    "code": st.sampled_from(
                        [
                            "DOC-MISSING",
                            "NOTICE-LATE",
                            "COV-EXCLUDED",
                            "SLA-ONE-TIME-NOTICE",
                            "CPL-OPEN",
                        ]
                    )
                }
            ),
            max_size=3,
        ),
        "sla": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.sampled_from(
                        ["limitation_watch", "complaint_decision", "post_service"]
                    ),
                    "status": st.sampled_from(SLA_STATUSES),
                }
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(decisions, st.sampled_from(["rules", "person"]), st.data())
def test_selection_is_deterministic_ordered_and_monotone(
    decision: dict[str, Any], decided_by: str, data: st.DataObject
) -> None:
    base = shipped()
    selected = base.select(F(decision), decided_by=decided_by)
    ids = [e.id for e in base.entries]
    assert [e.id for e in selected] == [i for i in ids if i in {e.id for e in selected}]
    assert base.select(F(json.loads(json.dumps(decision))), decided_by=decided_by) == selected
    # no condition is a negation: another reason or clock can only add reminders
    more = {
        **decision,
        "reasons": [
            *decision["reasons"],
            {"code": data.draw(st.sampled_from(["DOC-MISSING", "X"]))},
        ],
        "sla": [
            *decision["sla"],
            {"id": "limitation_watch", "status": data.draw(st.sampled_from(SLA_STATUSES))},
        ],
    }
    assert {e.id for e in selected} <= {e.id for e in base.select(F(more), decided_by=decided_by)}


# ------------------------------------------------------------------ real decisions


EXAMPLES = sorted((ROOT / "examples" / "claims").glob("0*.json")) + [
    ROOT / "examples" / "claims" / name
    for name in (
        "gen-0169-CPL-2025-000001.json",
        "gen-0172-CPL-2025-000004.json",
        "gen-0190-US-2025-000001.json",
        "gen-0195-US-2025-000006.json",
        "gen-0196-US-2025-000007.json",
        "gen-0197-US-2025-000008.json",
    )
]


@pytest.fixture(scope="module")
def real_decisions() -> list[tuple[str, Decision]]:
    programs: dict[Path, Any] = {}
    out = []
    for path in EXAMPLES:
        claim = load_claim(path.read_bytes())
        folder = ROOT / ruleset_for_claim(claim)
        program = programs.setdefault(folder, load_program(folder))
        out.append((path.name, evaluate(program, claim, as_of=AS_OF, backend="native")))
    return out


def test_real_decisions_cover_every_outcome_and_ruleset(
    real_decisions: list[tuple[str, Decision]],
) -> None:
    assert {d.outcome for _, d in real_decisions} == set(OUTCOMES)
    assert {d.ruleset.id for _, d in real_decisions} == {
        "cn-health",
        "cn-complaints",
        "us-erisa",
    }


def test_selection_on_real_decisions(
    base: RightsBase, real_decisions: list[tuple[str, Decision]]
) -> None:
    for name, decision in real_decisions:
        ids = {e.id for e in base.select(decision)}
        by_person = {e.id for e in base.select(decision, decided_by="person")}
        ruleset, outcome = decision.ruleset.id, decision.outcome
        adverse = outcome in ("deny", "partial")
        if ruleset == "cn-health":
            if adverse:
                assert ids >= ADVERSE_CN, name
            else:  # nothing was refused: no written reasons for a refusal
                assert "written_reasons_for_refusal" not in ids, name
            # every automated result may be explained and reviewed by a person (PIPL 24) ...
            assert "human_explanation_and_review" in ids, name
            # ... unless a person made it, and every decision names the hotline among remedies
            assert "human_explanation_and_review" not in by_person, name
            assert "regulator_hotline" in ids and "regulator_hotline" in by_person, name
            codes = {r.code for r in decision.reasons}
            assert ("one_time_supplement_notice" in ids) == bool(
                codes & {"DOC-MISSING", "SLA-ONE-TIME-NOTICE"}
            ), name
            assert ("decision_and_payment_time" in ids) == (outcome != "deny"), name
        elif ruleset == "cn-complaints":
            assert "complaint_review" in ids, name
        else:
            assert ({"erisa_specific_reasons", "erisa_appeal"} <= ids) == adverse, name
            law = [s for e in base.select(decision) for s in e.source]
            assert all("CFR" in s for s in law), name  # no PRC law for a US plan


def test_named_examples(base: RightsBase, real_decisions: list[tuple[str, Decision]]) -> None:
    selected = {name: [e.id for e in base.select(d)] for name, d in real_decisions}
    # the example member was born in 1949: an older member (issue 14)
    assert selected["01-approve-reference.json"] == [
        "decision_and_payment_time",
        "claim_order_choice",
        "human_explanation_and_review",
        "older_member_assistance",
        "regulator_hotline",
    ]
    assert selected["03-pend-missing-discharge-summary.json"] == [
        "one_time_supplement_notice",
        "decision_and_payment_time",
        "advance_payment",
        "claim_order_choice",
        "human_explanation_and_review",
        "home_collection",
        "older_member_assistance",
        "regulator_hotline",
    ]
    assert selected["04-deny-waiting-period.json"] == [
        "written_reasons_for_refusal",
        "claim_order_choice",
        "human_explanation_and_review",
        "older_member_assistance",
        "regulator_hotline",
        "late_notice_not_refused",
        "ambiguous_terms_in_your_favour",
    ]


# ------------------------------------------------------------------ loader diagnostics


def write(folder: Path, text: str, name: str = "rights.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def problems(folder: Path) -> list[tuple[str, int, int, str, str]]:
    with pytest.raises(RightsError) as caught:
        load_rights(folder)
    return [(d.code, d.line, d.column, d.message, d.suggestion) for d in caught.value.diagnostics]


@pytest.fixture()
def rulesets(tmp_path: Path) -> Path:
    """A rulesets folder with one small ruleset, so references can be checked."""
    write(
        tmp_path / "cn-health",
        """
        ruleset: cn-health
        rules:
          - {id: documents_incomplete, reason_code: DOC-MISSING}
        benefit:
          - {id: annual_limit, on_exceed: {code: LIMIT-ANNUAL}}
        """,
        "ruleset.yaml",
    )
    write(tmp_path / "cn-health", "sla:\n  - {id: limitation_watch}\n", "sla.yaml")
    return tmp_path


GOOD = """
entries:
  - id: in_writing
    zh: 3日内书面说明
    en: in writing within 3 days
    source: [PRC Insurance Law art. 24]
    applies_when: {outcome: deny}
"""


def test_a_minimal_valid_file(rulesets: Path) -> None:
    base = load_rights(write(rulesets / "rights", GOOD))
    [entry] = base.entries
    assert (entry.id, entry.source, entry.key_numbers) == (
        "in_writing",
        ("PRC Insurance Law art. 24",),
        ("3",),
    )
    assert entry.applies(F({"outcome": "deny"})) and not entry.applies(F({"outcome": "pend"}))


def test_yaml_syntax_error_has_its_position(rulesets: Path) -> None:
    folder = write(rulesets / "rights", "entries:\n  - id: a\n    zh: [unclosed\n")
    [(code, line, column, message, _)] = problems(folder)
    assert (code, line) == ("E-YAML", 4) and column >= 1 and message.startswith("invalid YAML")


def test_duplicate_yaml_key_is_a_yaml_error(rulesets: Path) -> None:
    folder = write(rulesets / "rights", GOOD + "    zh: again\n")
    assert [p[:3] for p in problems(folder)] == [("E-YAML", 7, 5)]


def test_no_yaml_file(tmp_path: Path) -> None:
    [(code, line, column, message, suggestion)] = problems(tmp_path)
    assert (code, line, column, message) == ("E-FILE", 1, 1, f"no rights YAML in {tmp_path}")
    assert "rights.yaml" in suggestion


def test_unknown_keys_with_suggestions(rulesets: Path) -> None:
    folder = write(
        rulesets / "rights",
        """
        entries:
          - id: in_writing
            zh: 3日内
            en: within 3 days
            sources: [IL 24]
            applies_when: {outcomes: [deny]}
        extra: 1
        """,
    )
    assert problems(folder) == [
        ("E-SCHEMA", 7, 1, "unknown key 'extra' in a rights file", "allowed: entries"),
        ("E-SCHEMA", 5, 5, "unknown key 'sources' in an entry", "did you mean source?"),
        (
            "E-SCHEMA",
            2,
            5,
            "missing 'source'",
            "every entry needs id, zh, en, source, applies_when",
        ),
        ("E-SCHEMA", 6, 20, "unknown key 'outcomes' in applies_when", "did you mean outcome?"),
    ]


def test_missing_and_empty_texts(rulesets: Path) -> None:
    folder = write(
        rulesets / "rights",
        """
        entries:
          - id: no_texts
            en: "  "
            source: IL 24
            applies_when: {always: true}
          - zh: 无编号
            en: no id
            source: [IL 24, 7]
            applies_when: {always: true}
        """,
    )
    assert problems(folder) == [
        ("E-SCHEMA", 2, 5, "missing 'zh'", "every entry needs id, zh, en, source, applies_when"),
        ("E-SCHEMA", 3, 9, "'en' must be non-empty text", ""),
        ("E-SCHEMA", 6, 5, "missing 'id'", "every entry needs id, zh, en, source, applies_when"),
        ("E-SCHEMA", 8, 21, "'source' must be text or a list of text", ""),
    ]


def test_duplicate_id_across_files_names_the_first(rulesets: Path) -> None:
    folder = write(rulesets / "rights", GOOD)
    write(
        folder,
        GOOD.replace("3日内书面说明", "3日内").replace("in writing within", "within"),
        "zz-more.yaml",
    )
    [(code, line, column, message, _)] = problems(folder)
    assert (code, line, column) == ("E-DUP", 2, 9)
    assert message == f"duplicate id 'in_writing' (first at 2:9 of {folder / 'rights.yaml'})"


def test_zh_and_en_stating_different_numbers(rulesets: Path) -> None:
    folder = write(rulesets / "rights", GOOD.replace("within 3 days", "within three days"))
    assert problems(folder) == [
        (
            "E-NUMBERS",
            4,
            9,
            "zh states ['3'] but en states []",
            "both texts must state the same numbers, in digits",
        ),
    ]


def test_bad_applies_when_values(rulesets: Path) -> None:
    folder = write(
        rulesets / "rights",
        """
        entries:
          - id: bad_when
            zh: 提示
            en: reminder
            source: [IL 24]
            applies_when:
              outcome: [denied, partial]
              ruleset: [cn-heath]
              reason_codes: LIMIT-ANUAL
              sla: {limitation_wach: [met], limitation_watch: [breach]}
              always: false
              automated: "yes"
              decided_by: robot
          - id: Not-Snake
            zh: 提示
            en: reminder
            source: [IL 24]
            applies_when: {}
        """,
    )
    assert problems(folder) == [
        ("E-ENUM", 7, 17, "unknown outcome 'denied'", "did you mean deny?"),
        ("E-REF", 8, 17, "unknown ruleset 'cn-heath'", "did you mean cn-health?"),
        ("E-REF", 9, 21, "unknown reason_codes 'LIMIT-ANUAL'", "did you mean LIMIT-ANNUAL?"),
        ("E-REF", 10, 13, "unknown SLA node 'limitation_wach'", "did you mean limitation_watch?"),
        ("E-ENUM", 10, 56, "unknown SLA status 'breach'", "did you mean breached?"),
        ("E-SCHEMA", 11, 15, "'always' must be true", "write always: true"),
        ("E-SCHEMA", 12, 18, "'automated' must be true or false", "write automated: true"),
        ("E-ENUM", 13, 19, "unknown decided_by 'robot'", "one of: rules, person"),
        ("E-SCHEMA", 14, 9, "id 'Not-Snake' must be snake_case", ""),
        (
            "E-SCHEMA",
            18,
            19,
            "'applies_when' must be a non-empty mapping",
            "use 'always: true' for a reminder that always applies",
        ),
    ]


def test_references_are_not_checked_without_rulesets_beside(tmp_path: Path) -> None:
    text = GOOD.replace("{outcome: deny}", "{ruleset: [anything], sla: {any_node: [met]}}")
    [entry] = load_rights(write(tmp_path / "rights", text)).entries
    assert entry.applies(
        F({"ruleset": {"id": "anything"}, "sla": [{"id": "any_node", "status": "met"}]})
    )


def test_file_shape_errors(rulesets: Path) -> None:
    assert [p[:4] for p in problems(write(rulesets / "a", "- just a list\n"))] == [
        ("E-SCHEMA", 1, 1, "a rights file must be a mapping with an 'entries' list"),
    ]
    assert [p[:4] for p in problems(write(rulesets / "b", "entries: {id: x}\n"))] == [
        ("E-SCHEMA", 1, 10, "'entries' must be a list of entries"),
    ]
    assert [p[:4] for p in problems(write(rulesets / "c", "entries:\n  - text\n"))] == [
        ("E-SCHEMA", 2, 5, "entries[0] must be a mapping"),
    ]


# ------------------------------------------------------------------ YAML test cases


def test_case_file_problems_are_reported_with_positions(rulesets: Path) -> None:
    folder = write(rulesets / "rights", GOOD)
    write(
        folder / "tests",
        """
        cases:
          - name: unknown id and a typo
            decision: {outcome: deny}
            expect: [in_writng]
            decided_by: robot
          - name: no expectation
            decision: deny
            expct: []
        """,
        "cases.yaml",
    )
    with pytest.raises(RightsError) as caught:
        run_rights_tests(folder)
    assert [
        (d.code, d.line, d.column, d.message, d.suggestion) for d in caught.value.diagnostics
    ] == [
        ("E-ENUM", 5, 17, "unknown decided_by 'robot'", "one of: rules, person"),
        ("E-REF", 4, 14, "unknown entry id 'in_writng'", "did you mean in_writing?"),
        ("E-SCHEMA", 8, 5, "unknown key 'expct' in a case", "did you mean expect?"),
        ("E-SCHEMA", 6, 5, "missing 'expect' in a case", ""),
        ("E-SCHEMA", 7, 15, "'decision' must be a mapping (a partial decision JSON)", ""),
    ]


def test_a_failing_case_is_reported_not_raised(rulesets: Path) -> None:
    folder = write(rulesets / "rights", GOOD)
    write(
        folder / "tests",
        """
        cases:
          - {name: refusal, decision: {outcome: deny}, expect: [in_writing]}
          - {name: wrong on purpose, decision: {outcome: pend}, expect: [in_writing]}
        """,
        "cases.yaml",
    )
    first, second = run_rights_tests(folder)
    assert first.passed and (first.line, first.selected) == (2, ("in_writing",))
    assert not second.passed and (second.expected, second.selected) == (("in_writing",), ())


def test_an_edited_file_is_read_again(rulesets: Path) -> None:
    folder = write(rulesets / "rights", GOOD)
    assert [e.id for e in load_rights(folder).entries] == ["in_writing"]
    write(folder, GOOD.replace("in_writing", "in_writing_too"))
    assert [e.id for e in load_rights(folder).entries] == ["in_writing_too"]

"""The two backends agree byte for byte on every bundled ruleset, the benefit arithmetic keeps
its invariants, and durable-rules' traps (doubles, ``$iall`` on empty lists) are contained."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from engine.backends import available_backends, get_backend
from engine.backends.durable_lowering import Lowering
from engine.backends.encoding import encode
from engine.backends.placement import placements
from engine.claim import id_check_digit, load_claim
from engine.decision import Decision, canonical_json
from engine.errors import BackendError, EngineError, EvaluationError
from engine.evaluate import evaluate
from engine.expression.parser import parse_expression
from engine.money import MONEY_MAX
from engine.program import Program
from tests.engine.factories import (
    BUNDLED_RULESETS,
    CN_HEALTH,
    bundled_program,
    decide,
    make_claim_dict,
    make_item,
    make_program,
    make_rule,
    make_rules_yaml,
    without_engine,
)

needs_durable = pytest.mark.skipif(
    "durable" not in available_backends(), reason="durable-rules is not installed"
)

TZ = dt.timezone(dt.timedelta(hours=8))
CENT = Decimal("0.01")
CATEGORIES = [
    "inpatient", "outpatient", "pharmacy", "dental", "cosmetic", "emergency", "maternity", "other",
]  # fmt: skip
LEVELS = ["grade1", "grade2", "grade3", "other"]
STATUSES = ["in_force", "lapsed", "cancelled", "suspended", "expired"]
# The payment-cutting clauses that need proof of explanation at sale (IL art. 17).
CLAUSES = ["deductible", "coinsurance", "designated_providers", "waiting_period"]
DOCUMENTS = [
    "claim_form", "id_copy", "invoice", "itemized_bill", "discharge_summary",
    "medical_record", "diagnosis_certificate", "bank_account", "police_report", "other",
]  # fmt: skip
MEDICAL_DOCUMENTS = ["claim_form", "id_copy", "invoice", "itemized_bill", "discharge_summary"]
PROVIDERS = ["H-330100", "H-330200", "H-110000"]
INVOICES = [f"INV-{n}" for n in range(1, 6)]
# Every event type any bundled ruleset knows, in an order in which no clock stops before it
# starts; each ruleset sees only the types it declares.
EVENT_ORDER = [
    "loss_reported", "report_guidance_sent", "complaint_received", "claim_received",
    "documents_requested", "information_requested", "documents_requested",
    "documents_completed", "information_received", "claim_decided", "complaint_decided",
]  # fmt: skip

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def money(low: Decimal | int = 0, high: Decimal = MONEY_MAX) -> st.SearchStrategy[Decimal]:
    """Amounts with exactly two places, edges (0, 0.01, the maximum) drawn often."""
    edges = [v for v in (Decimal(low), Decimal(low) + CENT, high) if Decimal(low) <= v <= high]
    return st.one_of(
        st.sampled_from(edges),
        st.decimals(min_value=low, max_value=high, places=2),
        st.decimals(min_value=low, max_value=min(high, Decimal(20000)), places=2),
    )


def sometimes(draw: st.DrawFn, one_in: int = 4) -> bool:
    """True about once in ``one_in`` draws (shrinks to False)."""
    return draw(st.integers(0, one_in - 1)) == one_in - 1


def share_of(amount: Decimal, fraction: Decimal) -> Decimal:
    return (amount * fraction).quantize(CENT, rounding=ROUND_DOWN)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.text("0123456789", min_size=17, max_size=17))
    check = id_check_digit(prefix)
    if not sometimes(draw):
        return prefix + check
    return prefix + draw(st.sampled_from([c for c in "0123456789X" if c != check]))


# Inside the benefit schedule (chapters A-T), and outside it (Z, U, V-Y).
DIAGNOSES = ["K35.8", "J18.9", "S52.5", "A09", "T14.1", "Z00.0", "U07.1", "W19"]


@st.composite
def items(draw: st.DrawFn, onset: dt.date) -> list[dict[str, Any]]:
    out = []
    for line_id in range(1, draw(st.integers(1, 4)) + 1):
        amount = draw(st.one_of(money(), money(high=Decimal(3000))))
        invoice = draw(st.sampled_from(INVOICES)) if sometimes(draw) else f"INV-L{line_id}"
        social = share_of(amount, draw(st.sampled_from([Decimal(0), Decimal("0.3"), Decimal(1)])))
        other = share_of(amount - social, draw(st.sampled_from([Decimal(0), Decimal("0.5")])))
        out.append(
            make_item(
                line_id,
                service_date=(onset + dt.timedelta(days=draw(st.integers(-3, 40)))).isoformat(),
                provider_id=draw(st.sampled_from(PROVIDERS)),
                provider_level=draw(st.sampled_from(LEVELS)),
                category=draw(st.sampled_from(CATEGORIES)),
                amount=str(amount),
                social_insurance_paid=str(social),
                other_insurance_paid=str(other),
                invoice_no=invoice,
                diagnosis_code=draw(st.sampled_from(DIAGNOSES)),
            )
        )
    return out


@st.composite
def policies(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """A policy and the onset's day offset from its start (around start, end, waiting)."""
    start = dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 200)))
    term = 364 if not sometimes(draw) else draw(st.sampled_from([365, 90, 0]))
    waiting = draw(st.sampled_from([0, 1, 30, 90, 180]))
    if sometimes(draw, 5):
        waiting = draw(st.sampled_from([181, 365]))  # longer than the law allows
    offset = draw(
        st.one_of(
            st.sampled_from([0, 14, 15, waiting - 1, waiting, waiting + 6, waiting + 7]),
            st.integers(0, term),
        )
    )
    if sometimes(draw, 5):  # just outside the period, or anywhere
        offset = draw(st.one_of(st.sampled_from([-1, term, term + 1]), st.integers(-30, 400)))
    deductible = draw(st.sampled_from([Decimal(0), Decimal(500), Decimal(10000)]))
    deductible_used = draw(
        st.sampled_from(
            [Decimal(0), deductible, max(Decimal(0), deductible - CENT), deductible + 1]
        )
    )
    limit = draw(st.sampled_from([Decimal(0), Decimal(2000), Decimal(1000000), MONEY_MAX]))
    used = draw(
        st.one_of(
            st.sampled_from([Decimal(0), limit, max(Decimal(0), limit - CENT)]),
            money(high=limit),
        )
    )
    policy = {
        "policy_id": "P-1",
        "product": "mutual-health-basic",
        "status": "in_force" if not sometimes(draw, 5) else draw(st.sampled_from(STATUSES)),
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=term)).isoformat(),
        "waiting_period_days": waiting,
        "deductible": str(deductible),
        "deductible_used": str(deductible_used),
        "coinsurance": str(
            draw(
                st.one_of(
                    st.sampled_from([Decimal(0), Decimal("0.8"), Decimal(1)]),
                    st.decimals(min_value=0, max_value=1, places=4),
                )
            )
        ),
        "annual_limit": str(limit),
        "annual_used": str(used),
        "exclusions": draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3)),
        "exclusions_explained_at_sale": draw(st.booleans()),
        "designated_providers_only": sometimes(draw),
        "designated_providers": draw(st.lists(st.sampled_from(PROVIDERS), unique=True)),
    }
    if sometimes(draw, 5):  # the insurer learnt of a possible non-disclosure (IL art. 16)
        policy["nondisclosure_learned_date"] = (start + dt.timedelta(days=offset)).isoformat()
    if policy["status"] != "in_force" and not sometimes(draw):  # before, at or after the loss
        took_effect = start + dt.timedelta(days=offset + draw(st.sampled_from([-1, 0, 1, 30])))
        policy["status_effective_date"] = took_effect.isoformat()
    policy["explained_clauses"] = draw(explained_clauses(policy["exclusions"]))
    return policy, offset


@st.composite
def explained_clauses(draw: st.DrawFn, exclusions: list[str]) -> list[dict[str, Any]]:
    """Proof of explanation at sale: usually for every clause, sometimes for only some."""
    kinds = (
        CLAUSES if draw(st.booleans()) else draw(st.lists(st.sampled_from(CLAUSES), unique=True))
    )
    excluded = (
        exclusions
        if draw(st.booleans())
        else draw(st.lists(st.sampled_from(exclusions or [""]), unique=True))
    )
    return [{"clause": kind, "sales_record": "SR-1"} for kind in kinds] + [
        {"clause": "exclusion", "category": category, "sales_record": "SR-1"}
        for category in excluded
        if category
    ]


@st.composite
def claims(draw: st.DrawFn) -> tuple[dict[str, Any], dt.datetime]:
    """A valid claim dict (every event type of every bundled ruleset) and its ``as_of``."""
    policy, offset = draw(policies())
    onset = dt.date.fromisoformat(policy["start_date"]) + dt.timedelta(days=offset)
    opened = dt.datetime.combine(onset, dt.time(), TZ)
    as_of = opened + dt.timedelta(days=draw(st.integers(1, 120)), hours=9)

    def moment() -> dt.datetime:
        return opened + dt.timedelta(
            minutes=draw(st.integers(0, int((as_of - opened).total_seconds()) // 60))
        )

    kinds = [k for k in EVENT_ORDER if draw(st.booleans())]
    times = sorted(moment() for _ in kinds)
    events = []
    for kind, at in zip(kinds, times, strict=True):
        event: dict[str, Any] = {"type": kind, "at": at.isoformat()}
        if kind == "documents_requested":
            missing = draw(st.lists(st.sampled_from(DOCUMENTS), unique=True, max_size=3))
            event["detail"] = {"missing": missing}
        elif kind == "claim_received":
            category = draw(st.sampled_from([None, "urgent", "pre_service", "post_service"]))
            event["detail"] = {"category": category} if category else {}
        events.append(event)
    lines = draw(items(onset))
    prior = [
        {
            "claim_id": f"CLM-OLD-{n}",
            "invoice_no": draw(st.sampled_from(INVOICES)),
            "service_date": (onset - dt.timedelta(days=10)).isoformat(),
            "amount": str(draw(money(high=Decimal(5000)))),
            "outcome": draw(st.sampled_from(["approve", "partial", "deny", "pend", "refer"])),
            **paid_on_it(draw),
        }
        for n in range(draw(st.integers(0, 2)))
    ]
    documents = draw(st.lists(st.sampled_from(DOCUMENTS), unique=True))
    if draw(st.booleans()):  # often: everything a medical claim needs, plus extras
        documents = list(dict.fromkeys([*MEDICAL_DOCUMENTS, *documents]))
    notice = draw(st.one_of(st.none(), st.integers(0, 60)))
    knew = draw(st.one_of(st.none(), st.integers(0, 5)))
    claim = make_claim_dict(
        claim_type=draw(st.sampled_from(["medical_expense"] * 3 + ["complaint", "property"])),
        currency=draw(st.sampled_from(["CNY", "USD"])),
        policy=policy,
        incident={
            "onset_date": onset.isoformat(),
            "is_accident": draw(st.booleans()),
            "loss_notice_date": None
            if notice is None
            else (onset + dt.timedelta(days=notice)).isoformat(),
            "knew_date": None if knew is None else (onset - dt.timedelta(days=knew)).isoformat(),
        },
        items=lines,
        documents=[{"type": kind, "received_at": moment().isoformat()} for kind in documents],
        events=events,
        prior_claims=prior,
    )
    claim["member"]["id_number"] = draw(id_numbers())
    born = dt.date(1940, 1, 1) + dt.timedelta(days=draw(st.integers(0, 365 * 65)))
    claim["member"]["birth_date"] = born.isoformat()  # members under and over 65
    return claim, as_of


def paid_on_it(draw: st.DrawFn) -> dict[str, str]:
    """What a prior claim paid: usually recorded (often 0.00 or a lot), sometimes unknown."""
    if sometimes(draw):
        return {}
    return {"paid": str(draw(st.one_of(st.just(Decimal("0.00")), money(high=Decimal(30000)))))}


def for_ruleset(program: Program, claim: dict[str, Any]) -> dict[str, Any]:
    """The claim with only the event types ``program`` declares."""
    known = set(program.ir.event_types)
    return {**claim, "events": [e for e in claim["events"] if e["type"] in known]}


def ruleset_params() -> list[Any]:
    return [pytest.param(root, id=root.name) for root in BUNDLED_RULESETS]


# ---------------------------------------------------------------- the key property


@needs_durable
@pytest.mark.parametrize("root", ruleset_params())
@PROPERTY
@given(case=claims())
def test_native_and_durable_decisions_are_byte_identical(
    root: Path, case: tuple[dict[str, Any], dt.datetime]
) -> None:
    program = bundled_program(root)
    claim, as_of = case
    claim = for_ruleset(program, claim)

    native = decide(program, claim, backend="native", as_of=as_of)
    durable = decide(program, claim, backend="durable", as_of=as_of)

    assert native.engine.backend == "native"
    assert durable.engine.backend == "durable"
    assert without_engine(durable) == without_engine(native)


RULE_IDS = [r.id for r in bundled_program(CN_HEALTH).ir.rules]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_the_claim_strategy_reaches_every_cn_health_rule(rule_id: str) -> None:
    """The property above is only as good as its claims: each rule can match (and not)."""
    program = bundled_program(CN_HEALTH)

    def matches(case: tuple[dict[str, Any], dt.datetime]) -> bool:
        claim, as_of = case
        decision = decide(program, for_ruleset(program, claim), as_of=as_of)
        return any(t.rule_id == rule_id and t.matched for t in decision.trace)

    search = settings(
        max_examples=3000, database=None, deadline=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    find(claims(), matches, settings=search)
    find(claims(), lambda case: not matches(case), settings=search)


def test_the_claim_strategy_reaches_every_outcome() -> None:
    program = bundled_program(CN_HEALTH)
    search = settings(
        max_examples=3000, database=None, deadline=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip

    def outcome_is(wanted: str) -> Callable[[tuple[dict[str, Any], dt.datetime]], bool]:
        def test(case: tuple[dict[str, Any], dt.datetime]) -> bool:
            claim, as_of = case
            return bool(decide(program, for_ruleset(program, claim), as_of=as_of).outcome == wanted)

        return test

    for outcome in ("approve", "partial", "deny", "pend", "refer"):
        find(claims(), outcome_is(outcome), settings=search)


# ---------------------------------------------------------------- benefit invariants


@pytest.mark.parametrize("root", ruleset_params())
@PROPERTY
@given(case=claims())
def test_benefit_invariants_hold_on_native(
    root: Path, case: tuple[dict[str, Any], dt.datetime]
) -> None:
    program = bundled_program(root)
    claim, as_of = case
    claim = for_ruleset(program, claim)
    decision = decide(program, claim, backend="native", as_of=as_of)
    released = decision.outcome in ("approve", "partial")
    keys = ("submitted", "eligible", "deductible", "copay", "payable")
    by_id = {i["line_id"]: i for i in claim["items"]}

    for line in decision.lines:
        amounts = {k: getattr(line, k) for k in keys}
        source = by_id[line.line_id]
        cap = (
            Decimal(source["amount"])
            - Decimal(source["social_insurance_paid"])
            - Decimal(source["other_insurance_paid"])
        )
        assert all(v >= 0 for v in amounts.values()), line
        assert amounts["submitted"] == Decimal(source["amount"])
        assert amounts["eligible"] <= cap
        assert amounts["payable"] <= cap
        if released:
            assert amounts["eligible"] == (
                amounts["deductible"] + amounts["copay"] + amounts["payable"]
            ), line
        else:
            assert amounts["payable"] == 0
        if line.outcome == "deny":
            assert amounts["payable"] == 0
    totals = {k: getattr(decision.amounts, k) for k in keys}
    for k in keys:
        assert totals[k] == sum((getattr(line, k) for line in decision.lines), Decimal(0))
    remaining = Decimal(claim["policy"]["annual_limit"]) - Decimal(claim["policy"]["annual_used"])
    assert totals["payable"] <= max(Decimal(0), remaining)
    deductible_left = Decimal(claim["policy"]["deductible"]) - Decimal(
        claim["policy"]["deductible_used"]
    )
    assert totals["deductible"] <= max(Decimal(0), deductible_left)


@pytest.mark.parametrize("backend", available_backends())
@PROPERTY
@given(case=claims())
def test_evaluating_twice_gives_identical_json(
    backend: str, case: tuple[dict[str, Any], dt.datetime]
) -> None:
    program = bundled_program(CN_HEALTH)
    claim, as_of = case
    claim = for_ruleset(program, claim)

    first = canonical_json(decide(program, claim, backend=backend, as_of=as_of))
    again = canonical_json(decide(program, claim, backend=backend, as_of=as_of))
    from_model = evaluate(program, load_claim(claim), as_of=as_of, backend=backend)

    assert again == first
    assert canonical_json(from_model) == first


# ---------------------------------------------------------------- durable's traps


def huge_claim() -> dict[str, Any]:
    """Ten lines at the largest amount: each is fine, their total is beyond exact doubles."""
    lines = [make_item(n, amount=str(MONEY_MAX), category="inpatient") for n in range(1, 11)]
    return make_claim_dict(items=lines)


@needs_durable
def test_durable_decides_numbers_beyond_doubles_exactly_via_native_fallback() -> None:
    program = bundled_program(CN_HEALTH)
    claim = huge_claim()

    durable = decide(program, claim, backend="durable")
    native = decide(program, claim, backend="native")
    assert durable.outcome == native.outcome == "refer"
    assert without_engine(durable) == without_engine(native)
    # and durable still works for the next claim
    assert decide(program, backend="durable").outcome == "approve"


@needs_durable
def test_a_fallback_is_marked_in_the_trace_entry_and_the_engine_block() -> None:
    program = bundled_program(CN_HEALTH)
    durable = decide(program, huge_claim(), backend="durable").json_form()
    native = decide(program, huge_claim(), backend="native").json_form()

    # claimed_total (10 x 999,999,999.99) is beyond what a double holds exactly
    marked = {e["rule_id"]: e["fallback"] for e in durable["trace"] if "fallback" in e}
    assert set(marked) == {"fraud_early_large_claim", "small_claim_fast_track"}
    assert all("claimed_total" in why and "too large" in why for why in marked.values())
    fallbacks = durable["engine"]["fallbacks"]
    assert [(f["rule_id"], f["line_id"]) for f in fallbacks] == [
        (e["rule_id"], e["line_id"]) for e in durable["trace"] if "fallback" in e
    ]
    assert durable["engine"]["backend"] == "durable"
    # the native backend never marks; the line rules (amounts within range) stay in Rete
    assert "fallbacks" not in native["engine"]
    assert not any("fallback" in e for e in native["trace"])
    assert Decision.model_validate(durable).json_form() == durable


@needs_durable
def test_arithmetic_beyond_exact_doubles_falls_back_visibly(tmp_path: Path) -> None:
    rule = make_rule("tenfold", "line.amount * 10 > policy.deductible", scope="line")
    program = make_program(tmp_path, make_rules_yaml(rule))
    claim = make_claim_dict()
    claim["items"][0]["amount"] = str(MONEY_MAX)  # x 10 x 10**6 is beyond 2**53

    durable = decide(program, claim, backend="durable")
    native = decide(program, claim, backend="native")

    assert without_engine(durable) == without_engine(native)
    marks = {(t.rule_id, t.line_id): t.fallback for t in durable.trace}
    assert marks[("tenfold", 1)] is not None and "2**53" in marks[("tenfold", 1)]
    assert marks[("tenfold", 2)] is None  # the small line stays in Rete
    assert durable.engine.fallbacks is not None
    assert [(f.rule_id, f.line_id) for f in durable.engine.fallbacks] == [("tenfold", 1)]


@needs_durable
def test_no_fallback_leaves_the_decision_bytes_unmarked() -> None:
    program = bundled_program(CN_HEALTH)
    decision = decide(program, backend="durable").json_form()
    assert "fallbacks" not in decision["engine"]
    assert not any("fallback" in entry for entry in decision["trace"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1.5"), 1_500_000),
        (3, 3_000_000),
        (True, 1),
        (dt.date(2025, 1, 1), dt.date(2025, 1, 1).toordinal()),
        (Decimal("9007199254.740991"), 9_007_199_254_740_991),
        (Decimal("-9007199254.740991"), -9_007_199_254_740_991),
    ],
)
def test_encoding_is_exact_within_the_double_range(value: Any, expected: int) -> None:
    assert encode(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("9007199254.740992"), "too large to compare exactly"),
        (10**10, "too large to compare exactly"),
        (Decimal("0.0000001"), "more than 6 decimal places"),
    ],
)
def test_encoding_refuses_what_a_double_would_round(value: Any, message: str) -> None:
    with pytest.raises(BackendError, match=message):
        encode(value)


def test_lowering_keeps_every_quantifier_in_rete() -> None:
    big = {"$gt": {"$i.amount": 100_000_000}}
    small = {"$lte": {"$i.amount": 100_000_000}}
    absent = {"$nex": {"prior_claims": 1}}
    cases = {
        "any(prior_claims, .amount > 100)": {"$iany": {"prior_claims": big}},
        # durable's $iall is false on an empty list (left out of the fact): ours is true
        "all(prior_claims, .amount > 100)": {"$or": [absent, {"$iall": {"prior_claims": big}}]},
        "not any(prior_claims, .amount > 100)": {
            "$or": [absent, {"$iall": {"prior_claims": small}}]
        },
        "not all(prior_claims, .amount > 100)": {"$iany": {"prior_claims": small}},
    }
    for text, condition in cases.items():
        lowered = Lowering("h").lower(parse_expression(text))
        assert lowered.condition == condition, text
        assert lowered.hoisted == []
        assert [t.where for t in lowered.tests] == ["rete"]


QUANTIFIER_RULES = [
    ("all_prior_large", "all(prior_claims, .amount > 100)", "claim"),
    ("any_prior_large", "any(prior_claims, .amount > 100)", "claim"),
    ("no_prior_large", "not any(prior_claims, .amount > 100)", "claim"),
    ("not_all_prior_large", "not all(prior_claims, .amount > 100)", "claim"),
    ("none_prior", "count(prior_claims) == 0", "claim"),
    ("all_documents_old", 'all(documents, .type != "invoice")', "claim"),
    ("status_in_nothing", "policy.status in []", "claim"),
    ("status_not_in_nothing", "policy.status not in []", "claim"),
    ("excluded_line", "line.category in policy.exclusions", "line"),
    ("all_lines_cheap", "all(items, .amount < line.amount + 1)", "line"),
    # lowered into Rete since issue 18: emptiness, presence, list facts, arithmetic, coalesce
    ("no_documents", "len(documents) == 0", "claim"),
    ("some_priors", "not (len(prior_claims) < 1)", "claim"),
    ("notice_given", "exists(incident.loss_notice_date)", "claim"),
    ("documents_exist", "exists(documents)", "claim"),  # [] is left out of a fact: hoisted
    ("no_notice", "not exists(incident.loss_notice_date)", "claim"),
    (
        "late_notice",
        "days_between(incident.onset_date, coalesce(incident.loss_notice_date, today)) > 30",
        "claim",
    ),
    (
        "timely_notice",
        "not (days_between(incident.onset_date, coalesce(incident.loss_notice_date, today)) > 9)",
        "claim",
    ),
    ("dental_excluded", '"dental" in policy.exclusions', "claim"),
    ("line_not_excluded", "line.category not in policy.exclusions", "line"),
    ("line_not_in_excluded", "not (line.category in policy.exclusions)", "line"),
    ("line_costly", "line.amount * 2 - 1000 > line.amount + policy.deductible", "line"),
    ("line_not_costly", "not (-line.amount + policy.deductible * 3 < 7000.5)", "line"),
    (
        "soon_after_start",
        "days_between(policy.start_date, incident.onset_date) < policy.waiting_period_days + 3",
        "claim",
    ),
    (
        "invoice_and_large_line",
        'any(items, .amount > 1000) and not all(documents, .type != "invoice")',
        "claim",
    ),
]


@pytest.fixture(scope="module")
def quantifier_program(tmp_path_factory: pytest.TempPathFactory) -> Program:
    rules = [
        make_rule(i, when, scope=scope, outcome="approve") for i, when, scope in QUANTIFIER_RULES
    ]
    return make_program(tmp_path_factory.mktemp("quantifiers"), make_rules_yaml(*rules))


def _matched(decision: Decision) -> dict[tuple[str, Any], bool]:
    return {(t.rule_id, t.line_id): t.matched for t in decision.trace}


@needs_durable
@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"prior_claims": [], "documents": []}, id="empty-lists"),
        pytest.param({}, id="example"),
        pytest.param(
            {"policy": {**make_claim_dict()["policy"], "exclusions": []}}, id="no-exclusions"
        ),
        pytest.param(
            {"incident": {**make_claim_dict()["incident"], "loss_notice_date": None}},
            id="no-notice",
        ),
        pytest.param(
            {"incident": {**make_claim_dict()["incident"], "loss_notice_date": "2025-07-20"}},
            id="late-notice",
        ),
    ],
)
def test_quantifiers_on_empty_and_full_lists_agree_between_backends(
    quantifier_program: Program, overrides: dict[str, Any]
) -> None:
    claim = make_claim_dict(**overrides)
    native = decide(quantifier_program, claim, backend="native")
    durable = decide(quantifier_program, claim, backend="durable")

    assert _matched(durable) == _matched(native)
    assert without_engine(durable) == without_engine(native)


@needs_durable
@PROPERTY
@given(case=claims())
def test_the_lowered_tests_agree_with_native_on_random_claims(
    quantifier_program: Program, case: tuple[dict[str, Any], dt.datetime]
) -> None:
    claim, as_of = case
    native = decide(quantifier_program, claim, backend="native", as_of=as_of)
    durable = decide(quantifier_program, claim, backend="durable", as_of=as_of)

    assert _matched(durable) == _matched(native)
    assert without_engine(durable) == without_engine(native)


def test_every_test_of_the_quantifier_rules_runs_in_rete(quantifier_program: Program) -> None:
    places = {r.rule_id: {t.place for t in r.tests} for r in placements(quantifier_program)}
    # an item test against arithmetic on the outer fact is hoisted
    assert places.pop("all_lines_cheap") == {"python"}
    assert places.pop("documents_exist") == {"python"}
    assert all(p == {"rete-claim"} for p in places.values()), places


def test_all_on_an_empty_list_is_true_and_any_is_false(quantifier_program: Program) -> None:
    matched = _matched(decide(quantifier_program, make_claim_dict(prior_claims=[], documents=[])))

    assert matched[("all_prior_large", None)] is True
    assert matched[("any_prior_large", None)] is False
    assert matched[("no_prior_large", None)] is True
    assert matched[("not_all_prior_large", None)] is False
    assert matched[("none_prior", None)] is True
    assert matched[("all_documents_old", None)] is True
    assert matched[("status_in_nothing", None)] is False
    assert matched[("status_not_in_nothing", None)] is True


def test_unknown_backend_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="unknown backend 'rete'"):
        get_backend("rete")


@pytest.mark.parametrize("backend", available_backends())
def test_a_runtime_error_is_an_evaluation_error_on_every_backend(
    tmp_path: Path, backend: str
) -> None:
    rule = make_rule("ratio", "policy.deductible / policy.deductible_used > 1")
    program = make_program(tmp_path, make_rules_yaml(rule))

    with pytest.raises(EvaluationError) as info:
        decide(program, backend=backend)
    assert str(info.value) == "rule ratio: division by zero"
    assert info.value.rule_id == "ratio"


GUARDED = [
    make_rule(
        "ratio", "policy.deductible_used != 0 and policy.deductible / policy.deductible_used > 1"
    ),
    make_rule(
        "line_ratio",
        "line.social_insurance_paid > 0 and line.amount / line.social_insurance_paid > 2",
        scope="line",
    ),
    make_rule("or_guard", "policy.deductible_used == 0 or 1 / policy.deductible_used > 0"),
]


@needs_durable
def test_a_guard_protects_a_division_on_both_backends(tmp_path: Path) -> None:
    """durable computes hoisted values eagerly; native short-circuits. They must agree."""
    program = make_program(tmp_path, make_rules_yaml(*GUARDED))
    claim = make_claim_dict()  # deductible_used is 0.00
    claim["items"][1]["social_insurance_paid"] = "0.00"

    native = decide(program, claim, backend="native")
    durable = decide(program, claim, backend="durable")

    assert without_engine(durable) == without_engine(native)
    assert [(r.rule_id, r.line_id) for r in native.reasons] == [
        ("line_ratio", 1),
        ("or_guard", None),
    ]

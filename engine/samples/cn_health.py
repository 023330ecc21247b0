"""A deterministic, varied corpus of claims for the benchmark and its cross-check.

Every claim is derived from ``examples/claim.json`` with ``random.Random(seed)`` only, so the
same ``(n, seed)`` always gives the same claims. The variations aim at every compliance rule of
``rulesets/cn-health`` and at their boundaries: policy status and the period of cover, onset
dates around the start, the waiting period and its end, accidents, waiting periods above the
legal 180 days, excluded categories (explained at sale or not), designated providers,
duplicate invoices (against prior claims and within the claim), missing and re-requested
documents, ID numbers with a wrong check digit, claims from a few hundred yuan to far above the
usual cost (including totals of exactly 3,000.00 and 10,000.00), and 1 to 5 lines.

Every claim passes :func:`engine.claim.load_claim`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from engine.claim import id_check_digit

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "claim.json"

CATEGORIES = (
    "inpatient", "outpatient", "pharmacy", "dental",
    "cosmetic", "emergency", "maternity", "other",
)  # fmt: skip
CATEGORY_WEIGHTS = (20, 30, 15, 8, 5, 10, 6, 6)
# Usual cost of one line by category (mirrors the cn-health ``typical_cost`` table) so that
# the generator can aim at "far above the usual cost" and at its exact 5x boundary.
TYPICAL = {
    "inpatient": 30000, "emergency": 15000, "maternity": 15000,
    "outpatient": 2000, "pharmacy": 2000,
}  # fmt: skip
TYPICAL_DEFAULT = 5000
PROVIDERS = ("H-330100", "H-330102", "H-110105", "H-440300", "C-310115", "C-510107")
LEVELS = ("grade1", "grade2", "grade3", "other")
DIAGNOSES = ("K35.8", "J18.9", "S52.5", "O80", "K02.1", "L70.0", "I10", "E11.9", "M54.5")
STATUSES_NOT_IN_FORCE = ("lapsed", "cancelled", "suspended", "expired")
WAITING_PERIODS = (0, 30, 30, 30, 60, 90, 90, 180, 181, 365)
EXCLUDABLE = ("cosmetic", "dental", "maternity", "other")
BASE_DOCUMENTS = ("claim_form", "id_copy", "invoice", "itemized_bill")
TZ = dt.timezone(dt.timedelta(hours=8))


@cache
def _example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def make_claims(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` claims as JSON-ready dicts (amounts as strings), the same for the same seed."""
    rng = random.Random(seed)
    base = json.loads(_example_text())
    return [_claim(rng, base, i) for i in range(n)]


def _claim(rng: random.Random, base: dict[str, Any], index: int) -> dict[str, Any]:
    claim = copy.deepcopy(base)
    claim["claim_id"] = f"CLM-BENCH-{index:06d}"
    claim["claim_type"] = "property" if rng.random() < 0.03 else "medical_expense"
    claim["member"] = _member(rng, base["member"], index)

    policy = claim["policy"]
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 600))
    end = start + dt.timedelta(days=rng.choice((364, 365, 180, 729)))
    waiting = rng.choice(WAITING_PERIODS)
    policy.update(
        policy_id=f"P-{880000 + index}",
        status="in_force" if rng.random() < 0.88 else rng.choice(STATUSES_NOT_IN_FORCE),
        start_date=start.isoformat(),
        end_date=end.isoformat(),
        waiting_period_days=waiting,
        exclusions=rng.sample(EXCLUDABLE, rng.randrange(0, 3)),
        exclusions_explained_at_sale=rng.random() < 0.8,
        designated_providers_only=rng.random() < 0.25,
        designated_providers=rng.sample(PROVIDERS, rng.randrange(0, 4)),
        deductible=rng.choice(("0.00", "500.00", "10000.00")),
        annual_used=rng.choice(("0.00", "0.00", "150000.00", "1995000.00")),
    )

    onset = _onset(rng, start, end, waiting)
    accident = rng.random() < 0.15
    notice = None if rng.random() < 0.15 else onset + dt.timedelta(days=_notice_delay(rng))
    claim["incident"] = {
        "onset_date": onset.isoformat(),
        "is_accident": accident,
        "loss_notice_date": notice.isoformat() if notice else None,
        "description": "意外伤害就诊。" if accident else "疾病就诊。",
    }
    reported = notice or onset + dt.timedelta(days=rng.randrange(0, 10))
    if rng.random() < 0.1:  # learnt of the loss after its onset, never after reporting it
        knew = onset + dt.timedelta(days=rng.randrange(0, (reported - onset).days + 1))
        claim["incident"]["knew_date"] = knew.isoformat()

    prior = _prior_claims(rng, index, onset)
    claim["prior_claims"] = prior
    claim["items"] = _items(rng, index, onset, policy, prior)
    claim["documents"], claim["events"] = _paperwork(rng, claim["items"], reported)
    if rng.random() < 0.04:  # the insurer learnt of a possible non-disclosure (IL art. 16)
        policy["nondisclosure_learned_date"] = (onset + dt.timedelta(days=5)).isoformat()
    if rng.random() < 0.05:  # a check-up code (ICD-10 chapter Z), outside the benefit schedule
        claim["items"][0]["diagnosis_code"] = "Z00.0"
    _legal_facts(random.Random(f"legal-{index}"), claim)
    return claim


def _legal_facts(rng: random.Random, claim: dict[str, Any]) -> None:
    """When a status took effect, which clauses were explained at sale and what prior claims
    paid (issue 14). A generator of their own, so every earlier draw, and so every claim's
    other facts, stay what they were before these facts existed."""
    policy, onset = claim["policy"], dt.date.fromisoformat(claim["incident"]["onset_date"])
    if policy["status"] != "in_force" and rng.random() < 0.85:  # before, on or after the loss
        took_effect = onset + dt.timedelta(days=rng.choice((-60, -1, 0, 1, 30)))
        policy["status_effective_date"] = took_effect.isoformat()
    record = f"SR-{policy['policy_id']}"
    clauses = ["deductible", "coinsurance", "waiting_period", "designated_providers"]
    if rng.random() < 0.3:  # no sales record for one clause
        clauses.remove(rng.choice(clauses))
    explained = [{"clause": c, "sales_record": record} for c in clauses]
    if policy["exclusions_explained_at_sale"]:
        explained += [
            {"clause": "exclusion", "category": c, "sales_record": record}
            for c in policy["exclusions"]
        ]
    policy["explained_clauses"] = explained
    for prior in claim["prior_claims"]:
        if prior["outcome"] == "deny":
            prior["paid"] = "0.00"
        elif rng.random() < 0.9:  # all or part of the amount; else not recorded
            cents = int(prior["amount"].replace(".", ""))
            prior["paid"] = _money(cents * rng.choice((100, 80, 50)) // 100)


def _member(rng: random.Random, base: dict[str, Any], index: int) -> dict[str, Any]:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 65))
    region = rng.choice(("110105", "330106", "440305", "510107", "310115"))
    prefix = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    check = id_check_digit(prefix)
    if rng.random() < 0.08:  # a typo in the check character: member_identity pends
        check = rng.choice([c for c in "0123456789X" if c != check])
    return {
        **base,
        "member_id": f"M-{10000 + index}",
        "id_number": prefix + check,
        "birth_date": birth.isoformat(),
    }


def _onset(rng: random.Random, start: dt.date, end: dt.date, waiting: int) -> dt.date:
    """Onset dates spread over the interesting spans around the policy's dates."""
    span = (end - start).days
    kind = rng.choices(
        ("before", "first_days", "waiting", "just_after", "normal", "after_end", "edges"),
        weights=(4, 10, 12, 12, 50, 4, 8),
    )[0]
    if kind == "before":
        days = -rng.randrange(1, 40)
    elif kind == "first_days":
        days = rng.randrange(0, 15)
    elif kind == "waiting":
        days = rng.randrange(0, max(waiting, 1))
    elif kind == "just_after":
        days = waiting + rng.randrange(0, 8)
    elif kind == "after_end":
        days = span + rng.randrange(1, 40)
    elif kind == "edges":  # exact boundaries of every date comparison
        days = rng.choice((0, 14, 15, waiting - 1, waiting, waiting + 6, waiting + 7, span))
        days = max(days, 0)
    else:
        days = rng.randrange(0, span + 1)
    return start + dt.timedelta(days=days)


def _notice_delay(rng: random.Random) -> int:
    return rng.choice((0, 1, 3, 10, 29, 30, 31, 45, 90))


def _prior_claims(rng: random.Random, index: int, onset: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "claim_id": f"CLM-PRIOR-{index:06d}-{k}",
            "invoice_no": f"INV-P{index:06d}-{k}",
            "service_date": (onset - dt.timedelta(days=rng.randrange(20, 300))).isoformat(),
            "amount": _money(rng.randrange(5000, 500000)),
            "outcome": rng.choice(("approve", "partial", "deny")),
        }
        for k in range(rng.choice((0, 0, 1, 1, 2)))
    ]


def _items(
    rng: random.Random,
    index: int,
    onset: dt.date,
    policy: dict[str, Any],
    prior: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    count = rng.choices((1, 2, 3, 4, 5), weights=(35, 30, 18, 10, 7))[0]
    size = rng.choices(("small", "medium", "large", "threshold"), weights=(35, 35, 22, 8))[0]
    providers = list(policy["designated_providers"]) or list(PROVIDERS)
    lines: list[dict[str, Any]] = []
    for k in range(count):
        category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
        if policy["exclusions"] and rng.random() < 0.1:
            category = rng.choice(policy["exclusions"])
        provider = rng.choice(providers) if rng.random() < 0.8 else rng.choice(PROVIDERS)
        lines.append(
            {
                "line_id": k + 1,
                "service_date": (onset + dt.timedelta(days=rng.randrange(0, 10))).isoformat(),
                "provider_id": provider,
                "provider_level": rng.choice(LEVELS),
                "diagnosis_code": rng.choice(DIAGNOSES),
                "category": category,
                "amount": _amount_cents(rng, size, category, count),
                "invoice_no": f"INV-B{index:06d}-{k + 1}",
            }
        )
    if size == "threshold":  # totals exactly on the 3,000 / 10,000 boundaries
        target = rng.choice((300000, 1000000, 1000001, 299999))
        _scale_to(lines, target)
    for line in lines:
        cents = line["amount"]
        social = rng.randrange(0, cents // 2 + 1) if rng.random() < 0.6 else 0
        other = rng.randrange(0, (cents - social) // 4 + 1) if rng.random() < 0.1 else 0
        line["amount"] = _money(cents)
        line["social_insurance_paid"] = _money(social)
        line["other_insurance_paid"] = _money(other)
    if prior and rng.random() < 0.3:  # the same invoice as a prior claim
        rng.choice(lines)["invoice_no"] = rng.choice(prior)["invoice_no"]
    if len(lines) > 1 and rng.random() < 0.1:  # the same invoice twice in this claim
        a, b = rng.sample(range(len(lines)), 2)
        lines[b]["invoice_no"] = lines[a]["invoice_no"]
    return lines


def _amount_cents(rng: random.Random, size: str, category: str, count: int) -> int:
    typical = TYPICAL.get(category, TYPICAL_DEFAULT)
    if size == "small":
        return rng.randrange(1000, 300000 // count)
    if size == "medium":
        return rng.randrange(50000, 2000000)
    if size == "threshold":
        return rng.randrange(10000, 100000)
    roll = rng.random()
    if roll < 0.15:  # exactly at the outlier boundary (not above it)
        return typical * 5 * 100
    if roll < 0.3:
        return typical * 5 * 100 + 1
    return rng.randrange(typical * 100, typical * 8 * 100)


def _scale_to(lines: list[dict[str, Any]], target: int) -> None:
    """Make the amounts (in cents) add up to exactly ``target``, each at least 1 cent."""
    total = sum(line["amount"] for line in lines)
    for line in lines:
        line["amount"] = max(1, line["amount"] * target // total)
    lines[-1]["amount"] += target - sum(line["amount"] for line in lines)
    if lines[-1]["amount"] < 1:  # rounding pushed the last line under a cent: start over
        for line in lines:
            line["amount"] = 1
        lines[-1]["amount"] = target - len(lines) + 1


def _paperwork(
    rng: random.Random, items: list[dict[str, Any]], reported: dt.date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Documents and events: complete, incomplete, or asked for in two notices."""
    required = list(BASE_DOCUMENTS)
    if any(line["category"] == "inpatient" for line in items):
        required.append("discharge_summary")
    received = _at(reported, 9, 12)
    events: list[dict[str, Any]] = [
        {"type": "loss_reported", "at": _at(reported, 9, 0)},
        {"type": "claim_received", "at": received},
    ]
    kind = rng.choices(("complete", "missing", "requested", "rerequested"), (55, 20, 15, 10))[0]
    held = list(required)
    late: list[str] = []
    if kind != "complete":
        late = rng.sample(required, rng.randrange(1, 3))
        held = [d for d in required if d not in late]
    documents = [{"type": d, "received_at": received} for d in held]
    if rng.random() < 0.1:
        documents.append({"type": "medical_record", "received_at": received})
    first = reported + dt.timedelta(days=1)
    if kind in ("requested", "rerequested"):
        asked = late if kind == "requested" else late[:-1] or ["medical_record"]
        events.append(
            {"type": "documents_requested", "at": _at(first, 10, 0), "detail": {"missing": asked}}
        )
    if kind == "rerequested":  # a second notice for a document the first could have listed
        events.append(
            {
                "type": "documents_requested",
                "at": _at(first + dt.timedelta(days=4), 10, 0),
                "detail": {"missing": late[-1:]},
            }
        )
    if kind in ("requested", "rerequested") and rng.random() < 0.6:
        done = _at(first + dt.timedelta(days=6), 15, 40)
        documents += [{"type": d, "received_at": done} for d in late]
        events.append({"type": "documents_completed", "at": done})
    return documents, events


def _at(day: dt.date, hour: int, minute: int) -> str:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).isoformat()


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"

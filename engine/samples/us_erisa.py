"""Deterministic sample claims for ``rulesets/us-erisa`` (a US group health plan)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

TZ = dt.timezone(dt.timedelta(hours=-4))
CATEGORIES = ("post_service", "post_service", "pre_service", "urgent")
SERVICES = (
    ("outpatient", "M54.5"),
    ("inpatient", "K35.8"),
    ("pharmacy", "E11.9"),
    ("dental", "K02.1"),
    ("emergency", "S52.5"),
)


def make_us_claims(n: int, seed: int = 13) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [_claim(rng, i) for i in range(n)]


def _at(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour, 0), TZ).isoformat()


def _claim(rng: random.Random, index: int) -> dict[str, Any]:
    service = dt.date(2025, 1, 15) + dt.timedelta(days=rng.randrange(0, 380))
    if rng.random() < 0.07:
        service = dt.date(2024, 12, 1) + dt.timedelta(days=rng.randrange(0, 40))  # before cover
    received = service + dt.timedelta(days=rng.randrange(0, 20))
    lines = [_line(rng, n, service) for n in range(1, rng.randrange(1, 4) + 1)]
    policy = _policy(rng)
    if policy["status"] != "in_force":  # when coverage ended: before, after, or not known
        shift = (None, -30, 45, 0)[index % 4]  # no draw, so every other fact stays as it was
        if shift is not None:
            policy["status_effective_date"] = (service + dt.timedelta(days=shift)).isoformat()
    return {
        "claim_id": f"US-2025-{index + 1:06d}",
        "claim_type": "medical_expense",
        "jurisdiction": "US",
        "currency": "USD",
        "member": {
            "member_id": f"E-{2000 + index}",
            "name": "Pat Smith",
            "id_number": "11010519491231002X",
            "birth_date": "1980-04-02",
        },
        "policy": policy,
        "incident": {
            "onset_date": service.isoformat(),
            "is_accident": rng.random() < 0.2,
            "description": "Care under the group health plan.",
        },
        "items": lines,
        "documents": [
            {"type": "claim_form", "received_at": _at(received, 9)},
            {"type": "invoice", "received_at": _at(received, 9)},
        ],
        "events": _events(rng, received),
        "prior_claims": [],
    }


def _policy(rng: random.Random) -> dict[str, Any]:
    used = "0.00" if rng.random() < 0.6 else f"{rng.choice([999000, 999800, 1000000])}.00"
    return {
        "policy_id": "GHP-100",
        "product": "acme-group-health",
        "status": "in_force" if rng.random() < 0.9 else "lapsed",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "waiting_period_days": 0,
        "deductible": "1500.00",
        "deductible_used": rng.choice(["0.00", "700.00", "1500.00"]),
        "coinsurance": "0.80",
        "annual_limit": "1000000.00",
        "annual_used": used,
        "exclusions": ["dental", "cosmetic"],
        "exclusions_explained_at_sale": True,
    }


def _line(rng: random.Random, number: int, service: dt.date) -> dict[str, Any]:
    category, diagnosis = rng.choice(SERVICES)
    cents = rng.randrange(5_000, 900_000)
    return {
        "line_id": number,
        "service_date": service.isoformat(),
        "provider_id": "NPI-1234567890",
        "provider_level": "other",
        "diagnosis_code": diagnosis,
        "category": category,
        "amount": f"{cents // 100}.{cents % 100:02d}",
        "social_insurance_paid": "0.00",
        "other_insurance_paid": "0.00",
        "invoice_no": f"US-INV-{rng.randrange(10**6):06d}",
    }


def _events(rng: random.Random, received: dt.date) -> list[dict[str, Any]]:
    category = rng.choice(CATEGORIES)
    events: list[dict[str, Any]] = [
        {"type": "claim_received", "at": _at(received, 9), "detail": {"category": category}}
    ]
    if category != "urgent" and rng.random() < 0.25:
        events.append(
            {"type": "information_requested", "at": _at(received + dt.timedelta(days=3), 10)}
        )
        if rng.random() < 0.7:
            events.append(
                {
                    "type": "information_received",
                    "at": _at(received + dt.timedelta(days=rng.randrange(5, 40)), 10),
                }
            )
    if category != "urgent" and rng.random() < 0.15:
        notice = _at(received + dt.timedelta(days=10), 12)
        events.append(
            {"type": "extension_noticed", "at": notice, "detail": {"days": 15, "notice_at": notice}}
        )
    if rng.random() < 0.6:
        hours = rng.randrange(10, 60) if category == "urgent" else rng.randrange(24, 24 * 50)
        decided = dt.datetime.combine(received, dt.time(9), TZ) + dt.timedelta(hours=hours)
        events.append({"type": "claim_decided", "at": decided.isoformat()})
        if rng.random() < 0.3:
            appeal = decided.date() + dt.timedelta(days=rng.randrange(10, 90))
            events.append({"type": "appeal_received", "at": _at(appeal, 10)})
            if rng.random() < 0.6:
                events.append(
                    {
                        "type": "appeal_decided",
                        "at": _at(appeal + dt.timedelta(days=rng.randrange(10, 70)), 15),
                    }
                )
    return sorted(events, key=lambda e: str(e["at"]))

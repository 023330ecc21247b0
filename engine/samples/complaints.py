"""Deterministic sample complaint cases for ``rulesets/cn-complaints``.

Each case is a claim of type ``complaint`` whose event timeline walks some of the complaint
process: received, extended (approved and notified or not), outside appraisal, new facts,
decided, decision received, review requested and decided, forwarded by the regulator.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from typing import Any

from engine.samples.cn_health import EXAMPLE

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.date(2025, 1, 6)


def make_complaints(n: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return [_complaint(rng, base, i) for i in range(n)]


def _at(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour, 0), TZ).isoformat()


def _complaint(rng: random.Random, base: dict[str, Any], index: int) -> dict[str, Any]:
    claim = copy.deepcopy(base)
    claim["claim_id"] = f"CPL-2025-{index + 1:06d}"
    claim["claim_type"] = "complaint"
    received = START + dt.timedelta(days=rng.randrange(0, 330))
    claim["incident"]["onset_date"] = (received - dt.timedelta(days=20)).isoformat()
    claim["incident"]["loss_notice_date"] = (received - dt.timedelta(days=15)).isoformat()
    for item in claim["items"]:
        item["service_date"] = (received - dt.timedelta(days=18)).isoformat()
    claim["documents"] = [
        {**d, "received_at": _at(received - dt.timedelta(days=15), 9)} for d in claim["documents"]
    ]
    claim["events"] = [] if rng.random() < 0.08 else _timeline(rng, received)
    claim["prior_claims"] = []
    return claim


def _timeline(rng: random.Random, received: dt.date) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"type": "complaint_received", "at": _at(received, 10)}]
    day = received
    if rng.random() < 0.2:
        day += dt.timedelta(days=rng.randrange(1, 10))
        events.append({"type": "regulator_forwarded", "at": _at(day, 11)})
        if rng.random() < 0.6:
            events.append(
                {
                    "type": "regulator_answered",
                    "at": _at(day + dt.timedelta(days=rng.randrange(1, 14)), 15),
                }
            )
    if rng.random() < 0.25:
        day = received + dt.timedelta(days=rng.randrange(2, 6))
        events.append({"type": "appraisal_started", "at": _at(day, 9)})
        day += dt.timedelta(days=rng.randrange(2, 12))
        events.append({"type": "appraisal_finished", "at": _at(day, 17)})
    if rng.random() < 0.3:
        detail: dict[str, Any] = {"days": rng.choice([15, 30])}
        if rng.random() < 0.8:
            detail["approved_by"] = "head-of-complaints"
        if rng.random() < 0.8:
            detail["notice_at"] = _at(received + dt.timedelta(days=8), 12)
        events.append(
            {
                "type": "complaint_extended",
                "at": _at(received + dt.timedelta(days=8), 11),
                "detail": detail,
            }
        )
    if rng.random() < 0.1:
        events.append(
            {
                "type": "new_facts_received",
                "at": _at(received + dt.timedelta(days=rng.randrange(3, 12)), 14),
            }
        )
    if rng.random() < 0.7:
        decided = received + dt.timedelta(days=rng.randrange(5, 40))
        events.append({"type": "complaint_decided", "at": _at(decided, 16)})
        _review(rng, events, decided)
    return sorted(events, key=lambda e: str(e["at"]))


def _review(rng: random.Random, events: list[dict[str, Any]], decided: dt.date) -> None:
    if rng.random() < 0.7:
        got = decided + dt.timedelta(days=rng.randrange(1, 4))
        events.append({"type": "decision_received", "at": _at(got, 10)})
        if rng.random() < 0.4:
            asked = got + dt.timedelta(days=rng.randrange(2, 40))
            events.append({"type": "review_requested", "at": _at(asked, 10)})
            if rng.random() < 0.6:
                events.append(
                    {
                        "type": "review_decided",
                        "at": _at(asked + dt.timedelta(days=rng.randrange(5, 40)), 16),
                    }
                )

"""SLA clocks: day counting on the PRC calendar, pauses, extensions, bad timelines, properties."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.claim import load_claim
from engine.errors import ClaimValidationError, TimelineError
from engine.evaluate import clocks, evaluate, load_program, portfolio_sweep
from engine.sla.calendars import CalendarError, WorkingCalendar

ROOT = Path(__file__).resolve().parents[2]
CN = dt.timezone(dt.timedelta(hours=8))
CN_HEALTH = load_program(ROOT / "rulesets/cn-health")
COMPLAINTS = load_program(ROOT / "rulesets/cn-complaints")
ERISA = load_program(ROOT / "rulesets/us-erisa")


def make_claim_dict(events: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    claim = json.loads((ROOT / "examples/claim.json").read_text(encoding="utf-8"))
    claim["events"] = events
    claim.update(changes)
    first = min(
        (
            dt.datetime.fromisoformat(e["at"]).date()
            for e in events
            if "T" in e["at"] and e["at"][-6] in "+-"
        ),
        default=None,
    )
    if first is not None and first.isoformat() <= claim["incident"]["onset_date"]:
        # The loss precedes every event of a coherent timeline.
        claim["incident"]["onset_date"] = (first - dt.timedelta(days=1)).isoformat()
    return claim


def make_event(kind: str, at: str, **detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "at": at}
    if detail:
        event["detail"] = detail
    return event


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def clock_of(program: Any, claim: dict[str, Any], as_of: str, node: str) -> dict[str, Any]:
    found = {c.id: c for c in clocks(program, claim, as_of=at(as_of))}
    return found[node]


# ---- working days across the 2025 National Day holiday -------------------------------------

NATIONAL_DAY = [make_event("claim_received", "2025-09-30T10:00:00+08:00")]


def incomplete_claim(events: list[dict[str, Any]]) -> dict[str, Any]:
    """A claim whose discharge summary is missing, so the one-time notice clock applies."""
    claim = make_claim_dict(events)
    claim["documents"] = [d for d in claim["documents"] if d["type"] != "discharge_summary"]
    return claim


def test_working_days_skip_national_day_and_count_the_make_up_saturday() -> None:
    # Oct 1-8 are holidays; Sat Oct 11 is a make-up working day (调休): Oct 9, 10, 11, 13, 14.
    claim = incomplete_claim(NATIONAL_DAY)
    clock = clock_of(CN_HEALTH, claim, "2025-10-01T09:00:00+08:00", "one_time_supplement")
    assert clock.due_at == "2025-10-15T00:00:00+08:00"
    assert clock.due_date == "2025-10-14"
    assert clock.calendar.startswith("chinese-calendar")


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2025-10-12T09:00:00+08:00", "running"),
        ("2025-10-14T23:59:59+08:00", "due_soon"),
        ("2025-10-15T00:00:00+08:00", "breached"),
        ("2026-01-01T00:00:00+08:00", "breached"),
    ],
)
def test_status_before_at_and_after_the_deadline(as_of: str, status: str) -> None:
    claim = incomplete_claim(NATIONAL_DAY)
    assert clock_of(CN_HEALTH, claim, as_of, "one_time_supplement").status == status


def test_stopping_on_the_last_day_is_met_inclusive() -> None:
    events = [
        *NATIONAL_DAY,
        make_event("documents_requested", "2025-10-14T23:00:00+08:00", missing=["invoice"]),
    ]
    clock = clock_of(
        CN_HEALTH, incomplete_claim(events), "2025-11-01T00:00:00+08:00", "one_time_supplement"
    )
    assert clock.status == "met"
    assert clock.stopped_at == "2025-10-14T23:00:00+08:00"


def test_calendar_days_ending_on_a_holiday_roll_to_the_next_working_day() -> None:
    # 30 days from Sep 1 end on Oct 1 (National Day): the deadline moves to Thu Oct 9.
    claim = make_claim_dict([make_event("claim_received", "2025-09-01T10:00:00+08:00")])
    clock = clock_of(CN_HEALTH, claim, "2025-09-02T00:00:00+08:00", "determination")
    assert clock.due_date == "2025-10-09"


def test_calendar_days_without_roll_keep_the_holiday() -> None:
    claim = make_claim_dict([make_event("claim_received", "2025-09-01T10:00:00+08:00")])
    clock = clock_of(CN_HEALTH, claim, "2025-09-02T00:00:00+08:00", "advance_payment")
    assert clock.due_date == "2025-10-31"  # 60 days, no roll configured


# ---- pauses ---------------------------------------------------------------------------------


def test_documents_request_pauses_the_determination_clock() -> None:
    received = make_event("claim_received", "2025-06-02T10:00:00+08:00")
    plain = clock_of(
        CN_HEALTH, make_claim_dict([received]), "2025-06-03T00:00:00+08:00", "determination"
    )
    assert plain.due_date == "2025-07-02"
    paused_events = [
        received,
        make_event("documents_requested", "2025-06-05T10:00:00+08:00", missing=["invoice"]),
        make_event("documents_completed", "2025-06-10T16:00:00+08:00"),
    ]
    paused = clock_of(
        CN_HEALTH, make_claim_dict(paused_events), "2025-06-20T00:00:00+08:00", "determination"
    )
    assert paused.due_date == "2025-07-07"  # Jun 5-9 not counted
    assert [e.effect for e in paused.events] == ["start", "pause", "resume"]


def test_a_clock_still_paused_reports_paused_and_moves_its_deadline() -> None:
    events = [
        make_event("claim_received", "2025-06-02T10:00:00+08:00"),
        make_event("documents_requested", "2025-06-05T10:00:00+08:00", missing=["invoice"]),
    ]
    early = clock_of(
        CN_HEALTH, make_claim_dict(events), "2025-06-10T00:00:00+08:00", "determination"
    )
    later = clock_of(
        CN_HEALTH, make_claim_dict(events), "2025-06-20T00:00:00+08:00", "determination"
    )
    assert early.status == later.status == "paused"
    assert later.due_at > early.due_at


# ---- extensions -----------------------------------------------------------------------------

COMPLAINT = make_event("complaint_received", "2025-03-03T10:00:00+08:00")


def complaint_claim(*events: dict[str, Any]) -> dict[str, Any]:
    return make_claim_dict([COMPLAINT, *events], claim_type="complaint")


def test_complaint_decision_is_15_calendar_days() -> None:
    clock = clock_of(
        COMPLAINTS, complaint_claim(), "2025-03-04T00:00:00+08:00", "complaint_decision"
    )
    assert clock.due_date == "2025-03-18"


def test_an_approved_and_notified_extension_extends() -> None:
    ext = make_event(
        "complaint_extended",
        "2025-03-10T10:00:00+08:00",
        days=15,
        approved_by="supervisor-7",
        notice_at="2025-03-10T11:00:00+08:00",
    )
    clock = clock_of(
        COMPLAINTS, complaint_claim(ext), "2025-03-20T00:00:00+08:00", "complaint_decision"
    )
    assert clock.due_date == "2025-04-02"
    assert clock.extended_by == 15
    assert clock.status == "running"


@pytest.mark.parametrize(
    ("detail", "why"),
    [
        ({"days": 15, "notice_at": "2025-03-10T11:00:00+08:00"}, "not approved"),
        ({"days": 15, "approved_by": "s"}, "not notified"),
        ({"days": 0, "approved_by": "s", "notice_at": "x"}, "positive whole number"),
    ],
)
def test_an_extension_without_approval_or_notice_is_refused(
    detail: dict[str, Any], why: str
) -> None:
    ext = make_event("complaint_extended", "2025-03-10T10:00:00+08:00", **detail)
    clock = clock_of(
        COMPLAINTS, complaint_claim(ext), "2025-03-20T00:00:00+08:00", "complaint_decision"
    )
    assert clock.due_date == "2025-03-18"
    assert clock.status == "breached"
    refused = [e for e in clock.events if e.effect == "extension_refused"]
    assert refused and why in refused[0].note


def test_extensions_are_capped_and_cannot_revive_a_breach() -> None:
    ok = {"approved_by": "s", "notice_at": "2025-03-10T11:00:00+08:00"}
    first = make_event("complaint_extended", "2025-03-10T10:00:00+08:00", days=30, **ok)
    second = make_event("complaint_extended", "2025-03-20T10:00:00+08:00", days=30, **ok)
    clock = clock_of(
        COMPLAINTS,
        complaint_claim(first, second),
        "2025-03-25T00:00:00+08:00",
        "complaint_decision",
    )
    assert clock.extended_by == 45
    late = make_event("complaint_extended", "2025-03-25T10:00:00+08:00", days=15, **ok)
    breached = clock_of(
        COMPLAINTS, complaint_claim(late), "2025-04-01T00:00:00+08:00", "complaint_decision"
    )
    assert breached.status == "breached"
    assert "after the deadline" in breached.events[-1].note


# ---- hours, applies_when, start conditions ----------------------------------------------------


def test_urgent_care_runs_72_hours_from_receipt() -> None:
    claim = make_claim_dict(
        [make_event("claim_received", "2025-06-20T09:12:00-04:00", category="urgent")],
        jurisdiction="US",
        currency="USD",
    )
    clock = clock_of(ERISA, claim, "2025-06-21T00:00:00-04:00", "urgent_care")
    assert clock.due_at == "2025-06-23T09:12:00-04:00"
    assert (
        clock_of(ERISA, claim, "2025-06-21T00:00:00-04:00", "post_service").status == "not_started"
    )


def test_rejection_notice_starts_only_on_a_denial() -> None:
    approved = make_claim_dict(
        [make_event("claim_decided", "2025-06-25T10:00:00+08:00", outcome="approve")]
    )
    denied = make_claim_dict(
        [make_event("claim_decided", "2025-06-25T10:00:00+08:00", outcome="deny")]
    )
    as_of = "2025-06-29T00:00:00+08:00"
    assert clock_of(CN_HEALTH, approved, as_of, "rejection_notice").status == "not_started"
    clock = clock_of(CN_HEALTH, denied, as_of, "rejection_notice")
    assert (clock.status, clock.due_date) == ("breached", "2025-06-28")


def test_one_time_supplement_does_not_apply_to_complete_claims() -> None:
    claim = make_claim_dict([make_event("claim_received", "2025-06-20T09:12:00+08:00")])
    clock = clock_of(CN_HEALTH, claim, "2025-07-01T00:00:00+08:00", "one_time_supplement")
    assert clock.status == "not_applicable"


# ---- the one-time notice rule is checked, not just timed ------------------------------------


def test_second_request_for_a_knowable_document_is_a_violation() -> None:
    claim = make_claim_dict(
        [
            make_event("claim_received", "2025-06-20T09:12:00+08:00"),
            make_event("documents_requested", "2025-06-21T10:00:00+08:00", missing=["invoice"]),
            make_event(
                "documents_requested", "2025-06-23T10:00:00+08:00", missing=["itemized_bill"]
            ),
        ]
    )
    claim["documents"] = [
        d for d in claim["documents"] if d["type"] not in ("invoice", "itemized_bill")
    ]
    decision = evaluate(CN_HEALTH, claim, as_of=at("2025-07-01T00:00:00+08:00"), backend="native")
    reason = next(r for r in decision.reasons if r.code == "SLA-ONE-TIME-NOTICE")
    assert "itemized bill" in reason.explanation.en
    assert reason.legal_basis == ("PRC Insurance Law art. 22(2)",)


def test_second_request_for_something_new_is_not_a_violation() -> None:
    claim = make_claim_dict(
        [
            make_event("claim_received", "2025-06-20T09:12:00+08:00"),
            make_event("documents_requested", "2025-06-21T10:00:00+08:00", missing=["invoice"]),
            make_event(
                "documents_requested", "2025-06-23T10:00:00+08:00", missing=["medical_record"]
            ),
        ]
    )
    decision = evaluate(CN_HEALTH, claim, as_of=at("2025-07-01T00:00:00+08:00"), backend="native")
    assert "SLA-ONE-TIME-NOTICE" not in [r.code for r in decision.reasons]


# ---- bad timelines -----------------------------------------------------------------------


def test_stop_before_start_names_the_event_index() -> None:
    claim = make_claim_dict(
        [
            make_event("paid", "2025-06-01T10:00:00+08:00"),
            make_event("amount_agreed", "2025-06-05T10:00:00+08:00"),
        ]
    )
    with pytest.raises(TimelineError) as info:
        clocks(CN_HEALTH, claim, as_of=at("2025-07-01T00:00:00+08:00"))
    assert info.value.index == 0
    assert str(info.value).startswith("events[0]: 'paid' stops SLA 'payment'")


def test_unknown_event_type_names_the_index_and_suggests() -> None:
    claim = make_claim_dict(
        [
            make_event("claim_received", "2025-06-20T09:12:00+08:00"),
            make_event("claim_recieved", "2025-06-21T09:12:00+08:00"),
        ]
    )
    with pytest.raises(TimelineError) as info:
        clocks(CN_HEALTH, claim, as_of=at("2025-07-01T00:00:00+08:00"))
    assert info.value.index == 1
    assert "did you mean claim_received?" in str(info.value)


def test_naive_datetime_is_rejected_with_its_path() -> None:
    claim = make_claim_dict([make_event("claim_received", "2025-06-20T09:12:00")])
    with pytest.raises(ClaimValidationError) as info:
        load_claim(claim)
    assert [p.path for p in info.value.problems] == ["events[0].at"]


# ---- calendars beyond their data ----------------------------------------------------------


def test_calendar_beyond_known_years_is_explicit() -> None:
    day = dt.date(2031, 1, 6)
    with pytest.raises(CalendarError, match="no holiday data"):
        WorkingCalendar("CN", "error").is_workday(day)
    assert WorkingCalendar("CN", "weekdays").is_workday(day) == (True, True)


def test_estimated_calendar_is_reported_on_the_clock() -> None:
    claim = incomplete_claim([make_event("claim_received", "2030-12-30T10:00:00+08:00")])
    clock = clock_of(CN_HEALTH, claim, "2031-01-01T00:00:00+08:00", "one_time_supplement")
    assert clock.calendar_estimated is True
    assert clock.due_date == "2031-01-06"  # Mon-Fri estimate: Dec 31, Jan 1, 2, 3, 6
    report = clock_of(
        CN_HEALTH,
        claim | {"events": [make_event("loss_reported", "2030-12-30T10:00:00+08:00")]},
        "2031-01-01T00:00:00+08:00",
        "report_guidance",
    )
    assert report.calendar_estimated is True


# ---- the portfolio sweep ------------------------------------------------------------------


def test_sweep_orders_breached_by_overdue_then_due_soon() -> None:
    def claim(claim_id: str, received: str) -> Any:
        return load_claim(
            make_claim_dict([make_event("claim_received", received)], claim_id=claim_id)
        )

    claims = [
        claim("C-LATE", "2025-05-01T10:00:00+08:00"),
        claim("C-LATER", "2025-04-01T10:00:00+08:00"),
        claim("C-FRESH", "2025-06-28T10:00:00+08:00"),
    ]
    found = portfolio_sweep(CN_HEALTH, claims, as_of=at("2025-06-30T12:00:00+08:00"))
    keys = [(c.claim_id, c.id, c.status) for c in found]
    breached = [k for k in keys if k[2] == "breached"]
    assert breached[0][0] == "C-LATER"
    assert keys.index(breached[-1]) < min(
        (i for i, k in enumerate(keys) if k[2] == "due_soon"), default=len(keys)
    )
    remaining = [c.remaining_seconds for c in found if c.status == "breached"]
    assert remaining == sorted(remaining)


# ---- properties -----------------------------------------------------------------------------

START = dt.datetime(2025, 9, 1, 10, 0, tzinfo=CN)
offsets = st.integers(min_value=0, max_value=120 * 24)  # hours after START


def hours_after(hours: int) -> str:
    return (START + dt.timedelta(hours=hours)).isoformat()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pause=offsets, resume_gap=st.integers(1, 400), first=offsets, second=offsets)
def test_a_later_as_of_never_unbreaches(
    pause: int, resume_gap: int, first: int, second: int
) -> None:
    events = [
        make_event("claim_received", hours_after(0)),
        make_event("documents_requested", hours_after(pause), missing=["invoice"]),
        make_event("documents_completed", hours_after(pause + resume_gap)),
    ]
    claim = make_claim_dict(events)
    early, late = sorted((first, second))
    for node in ("determination", "one_time_supplement", "advance_payment"):
        a = clock_of(CN_HEALTH, claim, hours_after(early), node)
        b = clock_of(CN_HEALTH, claim, hours_after(late), node)
        if a.status == "breached":
            assert b.status == "breached", node


@settings(max_examples=60, deadline=None)
@given(pause=offsets, resume_gap=st.integers(1, 400), as_of=offsets)
def test_a_pause_never_makes_a_due_date_earlier(pause: int, resume_gap: int, as_of: int) -> None:
    received = make_event("claim_received", hours_after(0))
    with_pause = [
        received,
        make_event("documents_requested", hours_after(pause), missing=["invoice"]),
        make_event("documents_completed", hours_after(pause + resume_gap)),
    ]
    when = hours_after(as_of)
    for node in ("determination", "advance_payment"):
        plain = clock_of(CN_HEALTH, make_claim_dict([received]), when, node)
        paused = clock_of(CN_HEALTH, make_claim_dict(with_pause), when, node)
        assert at(paused.due_at) >= at(plain.due_at)


@settings(max_examples=80, deadline=None)
@given(start=st.integers(0, 365 * 24 * 2))
def test_a_working_days_deadline_is_a_working_day(start: int) -> None:
    received = (dt.datetime(2024, 1, 1, 9, tzinfo=CN) + dt.timedelta(hours=start)).isoformat()
    claim = incomplete_claim([make_event("claim_received", received)])
    clock = clock_of(CN_HEALTH, claim, received, "one_time_supplement")
    last = dt.date.fromisoformat(clock.due_date)
    assert WorkingCalendar("CN", "error").is_workday(last) == (True, False)


@settings(max_examples=60, deadline=None)
@given(fraction=st.floats(0, 0.999), pause=offsets)
def test_stopping_before_the_due_date_is_always_met(fraction: float, pause: int) -> None:
    base = [
        make_event("claim_received", hours_after(0)),
        make_event("documents_requested", hours_after(pause), missing=["invoice"]),
        make_event("documents_completed", hours_after(pause + 30)),
    ]
    probe = clock_of(CN_HEALTH, make_claim_dict(base), hours_after(0), "determination")
    due = at(probe.due_at)
    if at(base[1]["at"]) > due:
        return
    final = clock_of(CN_HEALTH, make_claim_dict(base), hours_after(pause + 31), "determination")
    due = at(final.due_at)
    stop_at = START + (due - START) * fraction
    events = [
        *copy.deepcopy(base),
        make_event("claim_decided", stop_at.isoformat(), outcome="approve"),
    ]
    if stop_at < at(base[2]["at"]):
        events = [e for e in events if at(e["at"]) <= stop_at]
    clock = clock_of(
        CN_HEALTH, make_claim_dict(events), "2030-01-01T00:00:00+08:00", "determination"
    )
    assert clock.status == "met"

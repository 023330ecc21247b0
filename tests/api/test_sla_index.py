"""The SLA index behind ``GET /sla/breaches`` (api/sla_index/).

The answer must be exactly the one computed over every stored claim (the brute force the
endpoint used to do), while only the claims that can be urgent are read and computed. The
index rows must bound the engine's clocks for every ``as_of``: checked on random timelines
of the three bundled rulesets (pauses, restarts, extensions, hour clocks) and on the
examples/claims corpus on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, text
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, col, select

from api import claim_records, sla_index
from api.claim_records import ClaimRecords
from api.deps import AppState
from api.models import ClaimRecord, SlaClaim, SlaClock, claim_table
from api.routes import claims as claim_routes
from api.rulesets import LoadedRuleset, RulesetUnavailable
from audit import db as audit_db
from audit.db import create_engine
from engine.claim import Claim, load_claim
from engine.decision import Clock, canonical_json
from engine.errors import EngineError
from engine.evaluate import clocks, load_program
from engine.program import Program
from engine.sla import sweep
from tests.api.conftest import Service, _service, example_claim
from tests.engine.factories import REPO

CORPUS = sorted((REPO / "examples" / "claims").glob("*.json"))
LATE = "2025-09-30T09:00:00+08:00"
DECIDED = {"type": "claim_decided", "at": "2025-06-30T10:00:00+08:00", "detail": {"outcome": "a"}}
REQUESTED = {
    "type": "documents_requested",
    "at": "2025-06-30T10:00:00+08:00",
    "detail": {"missing": ["medical_record"]},
}
URGENT = ("breached", "due_soon")


def brute_force(state: AppState, when: dt.datetime) -> dict[str, Any]:
    """What the endpoint answered before the index: every claim computed."""
    found: list[tuple[str, list[Clock]]] = []
    skipped: list[dict[str, str]] = []
    for claim in state.claims.all_claims():
        try:
            program = state.rulesets.for_claim(claim).program
            found.append((claim.claim_id, clocks(program, claim, as_of=when)))
        except (EngineError, RulesetUnavailable) as exc:
            skipped.append({"claim_id": claim.claim_id, "reason": str(exc)})
    urgent = sweep(found)
    answer = {"total": len(urgent), "items": urgent, "skipped": skipped}
    return dict(json.loads(canonical_json(answer)))


def answered(service: Service, when: str) -> dict[str, Any]:
    """Every page of ``GET /sla/breaches`` put together."""
    headers = service.auth("supervisor")
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = service.client.get(
            "/sla/breaches", params={"as_of": when, "page": page, "size": 200}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        if len(items) >= body["total"]:
            return {"total": body["total"], "items": items, "skipped": body["skipped"]}
        page += 1


def same_as_brute_force(service: Service, when: str) -> dict[str, Any]:
    got = answered(service, when)
    assert got == brute_force(service.state, dt.datetime.fromisoformat(when))
    return got


def candidate_ids(state: AppState, when: dt.datetime) -> set[str]:
    """The claims the index does not rule out at ``when`` (ids only: nothing parsed)."""
    with Session(state.engine) as session:
        folders = sla_index.indexed_folders(session)
        current = sla_index.current_hashes(state.rulesets, folders)
    query = sla_index.candidates(as_of=when, current=current)
    with state.engine.connect() as conn:
        return set(conn.execute(query.with_only_columns(col(ClaimRecord.claim_id))).scalars())


def quiet_and_urgent(quiet: int, urgent: int) -> list[Claim]:
    """Claims decided on 30 June (every clock met) and claims never decided."""
    out = []
    for n in range(quiet + urgent):
        claim = example_claim(claim_id=f"CLM-IDX-{n:04d}")
        if n >= urgent:
            claim["events"].append(DECIDED)
        out.append(load_claim(json.dumps(claim)))
    return out


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls: list[int] = []
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


# --- the endpoint reads only what can be urgent ----------------------------------------------


def test_only_the_urgent_claims_are_parsed_and_computed(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    for claim in quiet_and_urgent(quiet=195, urgent=5):
        assert service.state.claims.intake(claim, idempotency_key=None).created
    parsed = counting(monkeypatch, claim_records, "load_claim")
    computed = counting(monkeypatch, claim_routes, "clocks")
    got = answered(service, LATE)
    assert (len(parsed), len(computed)) == (5, 5)
    assert {c["claim_id"] for c in got["items"]} == {f"CLM-IDX-{n:04d}" for n in range(5)}
    assert got["total"] == 5 * 2  # determination and advance payment, both overdue
    parsed.clear()
    assert answered(service, "2025-06-01T00:00:00+08:00")["total"] == 0
    assert parsed == []  # before any clock starts nothing is even read
    monkeypatch.undo()
    same_as_brute_force(service, LATE)


def test_the_index_follows_the_events_appended(service: Service) -> None:
    claim = example_claim(claim_id="CLM-IDX-EV")
    assert service.intake(claim).status_code == 201
    late = dt.datetime.fromisoformat(LATE)
    assert candidate_ids(service.state, late) == {"CLM-IDX-EV"}
    before = _rows(service.state.engine)
    bad = {"type": "no_such_event", "at": "2025-06-30T10:00:00+08:00"}
    headers = service.auth("adjuster")
    response = service.client.post("/claims/CLM-IDX-EV/events", json=bad, headers=headers)
    assert response.status_code == 422
    assert _rows(service.state.engine) == before  # a refused event changes nothing
    # A person may not add claim_decided (the engine writes it when the claim is decided):
    # a request for a document pauses the determination clock instead.
    response = service.client.post("/claims/CLM-IDX-EV/events", json=DECIDED, headers=headers)
    assert response.status_code == 409, response.text
    assert _rows(service.state.engine) == before
    response = service.client.post("/claims/CLM-IDX-EV/events", json=REQUESTED, headers=headers)
    assert response.status_code == 201, response.text
    same_as_brute_force(service, LATE)
    same_as_brute_force(service, "2025-07-10T09:00:00+08:00")


def _rows(engine: Engine) -> dict[tuple[str, str], tuple[Any, ...]]:
    with Session(engine) as session:
        rows = session.exec(select(SlaClock)).all()
    return {
        (r.claim_id, r.node_id): (r.status, r.started_at, r.due_soon_at, r.stopped_at) for r in rows
    }


# --- ruleset changes -------------------------------------------------------------------------


def test_a_reloaded_ruleset_distrusts_the_rows_until_they_are_rebuilt(
    own_rulesets: tuple[Service, Path],
) -> None:
    service, root = own_rulesets
    for claim in quiet_and_urgent(quiet=20, urgent=2):
        service.state.claims.intake(claim, idempotency_key=None)
    late = dt.datetime.fromisoformat(LATE)
    assert len(candidate_ids(service.state, late)) == 2
    ruleset = root / "cn-health" / "ruleset.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    # Swapped without the endpoint (as another worker's reload looks to this one): the rows
    # of the old version are not trusted, so every claim is computed, and answers stay exact.
    assert service.state.rulesets.reload("cn-health").swapped
    assert len(candidate_ids(service.state, late)) == 22
    same_as_brute_force(service, LATE)
    assert service.state.claims.reindex_sla() == 22
    assert service.state.claims.reindex_sla() == 0
    assert len(candidate_ids(service.state, late)) == 2
    same_as_brute_force(service, LATE)


def test_the_reload_endpoint_rebuilds_the_rows(own_rulesets: tuple[Service, Path]) -> None:
    service, root = own_rulesets
    for claim in quiet_and_urgent(quiet=20, urgent=2):
        service.state.claims.intake(claim, idempotency_key=None)
    ruleset = root / "cn-health" / "ruleset.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    response = service.client.post("/rulesets/cn-health/reload", headers=service.auth("supervisor"))
    assert response.status_code == 200 and response.json()["swapped"], response.text
    assert service.state.claims.reindex_sla() == 0  # the endpoint rebuilt them already
    assert len(candidate_ids(service.state, dt.datetime.fromisoformat(LATE))) == 2
    same_as_brute_force(service, LATE)


def test_a_claim_whose_ruleset_is_gone_is_skipped_as_before(
    own_rulesets: tuple[Service, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, root = own_rulesets
    for claim in quiet_and_urgent(quiet=3, urgent=1):
        service.state.claims.intake(claim, idempotency_key=None)
    shutil.rmtree(root / "cn-health")
    url = str(service.state.engine.url)
    for restarted in _service(url, tmp_path, monkeypatch, rulesets=root):
        got = same_as_brute_force(restarted, LATE)
        assert len(got["skipped"]) == 4 and "not installed" in got["skipped"][0]["reason"]
        with Session(restarted.state.engine) as session:
            reasons = session.exec(select(SlaClaim.reason)).all()
        assert all("not installed" in (r or "") for r in reasons)


def test_a_ruleset_reading_today_leaves_its_claims_undecided(tmp_path: Path) -> None:
    for bundled in ("cn-health", "cn-complaints", "us-erisa"):
        assert sla_index.time_dependence(load_program(REPO / "rulesets" / bundled)) is None
    folder = tmp_path / "cn-health"
    shutil.copytree(REPO / "rulesets" / "cn-health", folder)
    source = (folder / "ruleset.yaml").read_text(encoding="utf-8")
    derive = "  - name: days_open\n    expr: days_between(incident.onset_date, today)\n"
    (folder / "ruleset.yaml").write_text(source.replace("derive:\n", "derive:\n" + derive, 1))
    program = load_program(folder)
    reason = sla_index.time_dependence(program)
    assert reason is not None and "days_open" in reason
    index = sla_index.index_claim(load_claim(json.dumps(example_claim())), _catalog(program))
    assert index.reason == reason and index.clocks == ()


# --- startup: adopting a database made before the index --------------------------------------


def test_the_first_start_after_the_migration_fills_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    audit_db.upgrade(engine)
    SQLModel.metadata.create_all(engine, tables=[claim_table()])  # as the service did then
    for claim in quiet_and_urgent(quiet=6, urgent=2):
        ClaimRecords(engine).intake(claim, idempotency_key=None)  # no catalog: no index
    engine.dispose()
    for service in _service(url, tmp_path, monkeypatch):
        with service.state.engine.connect() as conn:
            indexed = conn.execute(text("SELECT count(*) FROM sla_claim")).scalar_one()
        assert indexed == 8
        assert len(candidate_ids(service.state, dt.datetime.fromisoformat(LATE))) == 2
        same_as_brute_force(service, LATE)


# --- the examples/claims corpus, on SQLite and PostgreSQL ------------------------------------


def test_the_corpus_answers_as_computing_every_claim(any_service: Service) -> None:
    state = any_service.state
    stored = [load_claim(path.read_bytes()) for path in CORPUS]
    for claim in stored:
        state.claims.intake(claim, idempotency_key=None)
    for when in (
        "2024-01-01T00:00:00+08:00",
        "2025-03-01T00:00:00+08:00",
        "2025-07-01T09:00:00+08:00",
        "2025-09-30T09:00:00+08:00",
        "2026-06-01T00:00:00+00:00",
        "2028-06-01T00:00:00-04:00",
    ):
        same_as_brute_force(any_service, when)
    with Session(state.engine) as session:
        decided = session.exec(select(SlaClaim.decided)).all()
    assert decided == [True] * len(stored)  # every row is trusted: none computed blindly
    programs = {c.claim_id: state.rulesets.for_claim(c).program for c in stored}
    moments = {c.claim_id: m for c in stored if (m := _moments(programs[c.claim_id], c))}
    by_id = {c.claim_id: c for c in stored}

    @settings(max_examples=150, deadline=None, database=None)
    @given(data=st.data())
    def never_leaves_out_an_urgent_clock(data: st.DataObject) -> None:
        claim_id = data.draw(st.sampled_from(sorted(moments)))
        when = data.draw(st.sampled_from(moments[claim_id])) + data.draw(NUDGES)
        found = clocks(programs[claim_id], by_id[claim_id], as_of=when)
        urgent = {(claim_id, c.id) for c in found if c.status in URGENT}
        if urgent:
            assert urgent <= urgent_rows(state, when)
            assert claim_id in candidate_ids(state, when)

    never_leaves_out_an_urgent_clock()


def urgent_rows(state: AppState, when: dt.datetime) -> set[tuple[str, str]]:
    """``(claim id, clock id)`` of the rows :func:`api.sla_index.could_be_urgent` at ``when``."""
    query = select(SlaClock.claim_id, SlaClock.node_id).where(sla_index.could_be_urgent(when))
    with Session(state.engine) as session:
        return {(c, n) for c, n in session.exec(query).all()}


def _moments(program: Program, claim: Claim) -> list[dt.datetime]:
    """Where a clock of the claim may change status: events, starts, stops, deadlines and
    the instants clocks turn due soon, as the engine sees them at each event and later."""
    soon = {n.id: n.due_soon_seconds for n in program.ir.sla}
    out = {e.at for e in claim.events} | {d.received_at for d in claim.documents}
    for seen in [*sorted(out), dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]:
        try:
            found = clocks(program, claim, as_of=seen)
        except EngineError:
            continue
        for clock in found:
            for key in ("started_at", "stopped_at", "due_at"):
                value = getattr(clock, key)
                if value:
                    out.add(dt.datetime.fromisoformat(value))
            if clock.due_at:
                due = dt.datetime.fromisoformat(clock.due_at)
                out.add(due - dt.timedelta(seconds=soon[clock.id]))
    return sorted(out)


#: Offsets around a moment: both sides of every whole-second and sub-second boundary.
NUDGE_LIST = (
    [dt.timedelta(seconds=s) for s in (-86400, -3600, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2)]
    + [dt.timedelta(microseconds=m) for m in (-1, 1)]
    + [dt.timedelta(days=d) for d in (2, 7, 40)]
)
NUDGES = st.sampled_from(NUDGE_LIST)


# --- the bounds, on random timelines (no database) -------------------------------------------

START = dt.datetime(2025, 9, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PROGRAMS = {
    name: load_program(REPO / "rulesets" / name)
    for name in ("cn-health", "cn-complaints", "us-erisa")
}
BASES = {
    "cn-health": example_claim(),
    "cn-complaints": json.loads(
        (REPO / "examples/claims/gen-0169-CPL-2025-000001.json").read_text()
    ),
    "us-erisa": json.loads((REPO / "examples/claims/gen-0190-US-2025-000001.json").read_text()),
}
DETAILS = [
    {},
    {"outcome": "deny"},
    {"outcome": "approve"},
    {"category": "urgent"},
    {"category": "pre_service"},
    {"category": "post_service"},
    {"days": 10, "approved_by": "sup-1", "notice_at": "2025-09-02"},
    {"days": 30, "approved_by": "sup-1", "notice_at": "2025-09-02"},
    {"days": 5},
    {"missing": ["invoice"]},
]


def table(model: Any) -> sqlalchemy.Table:
    found: sqlalchemy.Table = model.__table__
    return found


def _catalog(program: Program) -> Any:
    loaded = LoadedRuleset("any", SimpleNamespace(content_hash="sha256:x"), program)  # type: ignore[arg-type]
    return SimpleNamespace(folder_for=lambda _claim: Path("any"), get=lambda _name: loaded)


class Scratch:
    """One claim's rows in an in-memory SQLite database, asked with the service's own
    condition (:func:`api.sla_index.could_be_urgent`): these tests check the SQL itself."""

    engine = sqlalchemy.create_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=[table(SlaClaim), table(SlaClock)])

    def __init__(self, index: sla_index.ClaimIndex) -> None:
        with Session(self.engine) as session:
            session.exec(delete(SlaClock))
            session.exec(delete(SlaClaim))
            sla_index.replace_rows(session, index=index)
            session.commit()

    def urgent(self, when: dt.datetime) -> set[str]:
        query = select(SlaClock.node_id).where(sla_index.could_be_urgent(when))
        with Session(self.engine) as session:
            return set(session.exec(query).all())


@st.composite
def timelines(draw: st.DrawFn) -> tuple[str, Claim]:
    name = draw(st.sampled_from(sorted(PROGRAMS)))
    types = PROGRAMS[name].ir.event_types
    picks = draw(st.lists(st.integers(0, len(types) - 1), max_size=8))
    if draw(st.booleans()):  # most timelines follow the lifecycle order of the event list
        picks.sort()
    gap = st.one_of(st.integers(0, 3 * 24 * 60), st.integers(0, 40 * 24 * 60))  # minutes
    events, minutes = [], 0
    for kind in picks:
        minutes += draw(gap)
        second = draw(st.sampled_from([0, 0.5, 59, 59.999999]))
        when = START + dt.timedelta(minutes=minutes, seconds=second)
        events.append(
            {"type": types[kind], "at": when.isoformat(), "detail": draw(st.sampled_from(DETAILS))}
        )
    # Documents arrive over time too: the engine reads them as of ``as_of``.
    arrivals = st.none() | st.integers(0, 40 * 24 * 60).map(
        lambda m: (START + dt.timedelta(minutes=m)).isoformat()
    )
    documents = [
        {**d, "received_at": at} if (at := draw(arrivals)) is not None else d
        for d in BASES[name]["documents"]
    ]
    return name, _claim(name, events, documents)


def _claim(
    name: str, events: list[dict[str, Any]], documents: list[dict[str, Any]] | None = None
) -> Claim:
    claim = {**BASES[name], "events": events}
    if documents is not None:
        claim["documents"] = documents
    claim["incident"] = {**claim["incident"], "onset_date": "2025-08-20"}
    return load_claim(json.dumps(claim))


ANY_INSTANT = st.integers(-2 * 86400 * 10**6, 160 * 86400 * 10**6).map(
    lambda us: START + dt.timedelta(microseconds=us)
)


@settings(max_examples=400, deadline=None, database=None)
@given(timeline=timelines(), data=st.data())
def test_the_rows_bound_the_engine_at_every_instant(
    timeline: tuple[str, Claim], data: st.DataObject
) -> None:
    name, claim = timeline
    program = PROGRAMS[name]
    index = sla_index.index_claim(claim, _catalog(program))
    moments = _moments(program, claim)
    near = (
        st.tuples(st.sampled_from(moments), NUDGES).map(lambda p: p[0] + p[1])
        if moments
        else ANY_INSTANT
    )
    when = data.draw(st.one_of(ANY_INSTANT, near))
    try:
        found = clocks(program, claim, as_of=when)
    except EngineError:
        assert index.reason is not None  # the engine would skip it: so is it always read
        return
    if index.reason is not None:
        return
    urgent = {c.id for c in found if c.status in URGENT}
    if urgent:
        assert urgent <= Scratch(index).urgent(when)


def _event(kind: str, day: float, **detail: Any) -> dict[str, Any]:
    return {"type": kind, "at": (START + dt.timedelta(days=day)).isoformat(), "detail": detail}


HAND_MADE = {
    "restart after the first count is due soon": (
        "cn-complaints",
        [_event("complaint_received", 0), _event("new_facts_received", 24)],
    ),
    "extension and an appraisal pause": (
        "cn-complaints",
        [
            _event("complaint_received", 0),
            _event("appraisal_started", 3),
            _event("appraisal_finished", 9.5),
            _event("complaint_extended", 12, days=30, approved_by="s", notice_at="2025-09-13"),
            _event("complaint_decided", 50),
        ],
    ),
    "hour clock paused and never resumed": (
        "us-erisa",
        [
            _event("claim_received", 0, category="urgent"),
            _event("information_requested", 2),
        ],
    ),
    "documents requested, never completed": (
        "cn-health",
        [_event("claim_received", 0), _event("documents_requested", 28, missing=["invoice"])],
    ),
    "decided while due soon, half a second into a second": (
        "cn-health",
        [_event("claim_received", 0), _event("claim_decided", 36 + 0.5 / 86400, outcome="a")],
    ),
    "decided after the deadline": (
        "cn-health",
        [_event("claim_received", 0), _event("claim_decided", 45, outcome="deny")],
    ),
    "extension refused after the deadline": (
        "us-erisa",
        [
            _event("claim_received", 0, category="pre_service"),
            _event("extension_noticed", 20, days=15, notice_at="2025-09-21"),
        ],
    ),
}


def test_a_clock_that_applies_only_until_a_document_arrives_is_always_computed() -> None:
    """No notice was sent and the missing document came on day 20: between the notice's
    deadline and that day the one-time-notice clock is breached, although in the end the
    claim is complete and the clock does not apply."""
    program = PROGRAMS["cn-health"]
    late = (START + dt.timedelta(days=20)).isoformat()
    documents = [
        {**d, "received_at": late if d["type"] == "discharge_summary" else START.isoformat()}
        for d in BASES["cn-health"]["documents"]
    ]
    claim = _claim("cn-health", [_event("claim_received", 0)], documents)
    breached = clocks(program, claim, as_of=START + dt.timedelta(days=15))
    assert {c.id: c.status for c in breached}["one_time_supplement"] == "breached"

    index = sla_index.index_claim(claim, _catalog(program))

    assert index.reason is not None and "one_time_supplement" in index.reason
    assert sla_index.arrival_dependence(program)
    complete = _claim("cn-health", [_event("claim_received", 0)])  # documents all in June
    assert sla_index.index_claim(complete, _catalog(program)).reason is None


@pytest.mark.parametrize("case", sorted(HAND_MADE))
def test_the_rows_bound_the_engine_on_hand_made_timelines(case: str) -> None:
    """Every three hours for 80 days and both sides of every boundary, on the timelines where a
    looser bound would first go wrong."""
    name, events = HAND_MADE[case]
    program, claim = PROGRAMS[name], _claim(name, events)
    index = sla_index.index_claim(claim, _catalog(program))
    assert index.reason is None
    scratch = Scratch(index)
    grid = [START + dt.timedelta(hours=h) for h in range(-24, 80 * 24, 3)]
    nudged = [m + n for m in _moments(program, claim) for n in NUDGE_LIST]
    urgent_seen = 0
    for when in grid + nudged:
        urgent = {c.id for c in clocks(program, claim, as_of=when) if c.status in URGENT}
        if urgent:
            urgent_seen += 1
            assert urgent <= scratch.urgent(when), when
    assert urgent_seen > 0

"""The one write path of a claim's life (package docstring): lock, admit, append, project.

A writer that lost a race does not overwrite: the claim's row is locked (PostgreSQL ``SELECT
... FOR UPDATE``; SQLite writes are serialized by ``BEGIN IMMEDIATE``) before the state is
read, so a second amendment carrying the same ETag, or a second override naming the same
decision, sees the first one's state and is refused (412 / 409) instead of being lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from api.claim_records import ClaimRecords
from api.claim_states.store import put_state, state_of_row
from api.claim_states.trail import append_life
from api.errors import ProblemError
from api.models import ClaimRecord, ClaimStateRow
from api.rulesets import LoadedRuleset, RulesetCatalog, RulesetUnavailable
from audit.config import AuditConfig
from audit.errors import AuditError, CanonicalError
from engine.claim import Claim, load_claim
from engine.lifecycle import ClaimEvent, ClaimState, LifecycleConfig, admit, fold_from, intake

__all__ = ["ClaimLife", "Context", "Written"]


@dataclass
class Context:
    """What building one event may read: the locked state, the claim's ruleset, the
    transaction (to audit a decision with the event), the instant and the actor."""

    session: Session
    state: ClaimState
    ruleset: LoadedRuleset
    now: dt.datetime
    actor: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def claim(self) -> Claim:
        assert self.state.claim is not None  # only received claims have a state
        return self.state.claim


@dataclass(frozen=True, slots=True)
class Written:
    """The state after a write, the events stored (with their audit ids) and what the
    builder left in ``Context.extra`` (a decision's audit event)."""

    state: ClaimState
    events: tuple[ClaimEvent, ...]
    extra: dict[str, Any]


Build = Callable[[Context], ClaimEvent]


def _now() -> dt.datetime:
    """Now in whole seconds, as an ``as_of`` left out is (:func:`api.instants.parse_instant`):
    what is recorded now is seen by an evaluation asked for now, even in the same second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class ClaimLife:
    def __init__(
        self,
        *,
        engine: Engine,
        audit: AuditConfig,
        rulesets: RulesetCatalog,
        records: ClaimRecords,
        config: LifecycleConfig,
    ) -> None:
        self.engine = engine
        self.audit = audit
        self.rulesets = rulesets
        self.records = records
        self.config = config

    def ruleset(self, claim: Claim) -> LoadedRuleset:
        try:
            return self.rulesets.for_claim(claim)
        except RulesetUnavailable as exc:
            raise ProblemError(503, str(exc)) from None

    def _append(
        self, session: Session, before: ClaimState, events: tuple[ClaimEvent, ...], claim_id: str
    ) -> tuple[ClaimState, list[ClaimEvent]]:
        try:
            stored, seq = append_life(session, claim_id=claim_id, events=events, config=self.audit)
        except CanonicalError as exc:
            raise ProblemError(422, f"the change cannot be audited: {exc}") from None
        except AuditError as exc:
            raise ProblemError(503, f"the audit trail is unavailable: {exc}") from None
        after = fold_from(before, stored)
        put_state(session, state=after, last_seq=seq)
        assert after.claim is not None
        self.records.rewrite(session, after.claim)
        return after, stored

    def received(self, session: Session, claim: Claim, actor: str) -> Claim:
        """Record the intake of ``claim`` in the caller's transaction; the claim as stored
        (with what intake implies on its timeline)."""
        ir = self.ruleset(claim).program.ir
        now = _now()
        admission = admit(
            ClaimState(), intake(claim, ir=ir, at=now, actor=actor), ir=ir, config=self.config
        )
        after, _ = self._append(session, ClaimState(), admission.events, claim.claim_id)
        assert after.claim is not None
        return after.claim

    def _locked_state(self, session: Session, claim_id: str, actor: str) -> ClaimState:
        row = session.get(ClaimStateRow, claim_id, with_for_update=True)
        if row is not None:
            return state_of_row(row)
        record = session.get(ClaimRecord, claim_id, with_for_update=True)
        if record is None:
            raise ProblemError(404, f"there is no claim {claim_id}")
        # Taken in before the claim's life was recorded: its intake is recorded now.
        self.received(session, load_claim(record.body), actor)
        again = session.get(ClaimStateRow, claim_id)
        assert again is not None
        return state_of_row(again)

    def write(self, claim_id: str, *, actor: str, build: Build) -> Written:
        """Admit what ``build`` makes of the claim's current state and record it (module
        docstring); a refusal raises and writes nothing."""
        with Session(self.engine) as session:
            state = self._locked_state(session, claim_id, actor)
            assert state.claim is not None
            context = Context(
                session=session,
                state=state,
                ruleset=self.ruleset(state.claim),
                now=_now(),
                actor=actor,
            )
            event = build(context)
            admission = admit(state, event, ir=context.ruleset.program.ir, config=self.config)
            after, stored = self._append(session, state, admission.events, claim_id)
            session.commit()
        return Written(state=after, events=tuple(stored), extra=context.extra)

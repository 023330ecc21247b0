"""Storing claims taken in: intake (idempotent), reading, the claim's current form.

``claim_record.body`` is the claim's current version as its life's state holds it
(:mod:`api.claim_states` rewrites it, with the state, in the transaction of every change);
it is what intake's idempotency compares with, besides the claim as first taken in.

Intake is idempotent twice over: on ``claim_id`` (the same claim sent again is answered with
the stored one; a *different* body under a stored claim id is a conflict) and on the
``Idempotency-Key`` header (a key reused for another claim is a conflict). "The same" is
judged on the canonical JSON of the validated claim, so key order and spacing don't matter.

Every write also rewrites the claim's rows of the SLA index (:mod:`api.sla_index`) in the
same transaction, so the index never describes another timeline than the stored one; without
a ruleset catalog the rows are dropped instead and the claim is always computed in full.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api import sla_index
from api.claim_states.trail import LIFE_PREFIX
from api.errors import ProblemError, invalid_claim
from api.models import ClaimRecord
from audit.canonical import canonical_json as audit_canonical
from audit.db import is_postgres, read_only
from audit.errors import CanonicalError
from audit.store import now_text
from engine.claim import Claim, claim_to_json_dict, load_claim
from engine.decision import canonical_json
from engine.errors import Problem

__all__ = ["ClaimRecords", "Intake"]


@dataclass(frozen=True, slots=True)
class Intake:
    """The stored claim and whether this request created it."""

    claim: Claim
    created: bool


def _text(claim: Claim) -> str:
    return canonical_json(claim_to_json_dict(claim))


_BODY_OF = text("SELECT body FROM claim_record WHERE claim_id = :claim_id")


@functools.lru_cache(maxsize=1024)
def _parsed(body: str) -> Claim:
    """A stored body as a claim, memoised on its text: a claim is immutable (frozen models)
    and its stored text is canonical, so equal text is the same claim. Any change to the
    timeline changes the text, so a stale claim can never be served."""
    return load_claim(body)


def _auditable(claim: Claim) -> None:
    """The claim must go into the audit trail as canonical JSON (no floats in ``detail``)."""
    try:
        audit_canonical(claim_to_json_dict(claim))
    except CanonicalError as exc:
        path = exc.path or ""
        raise invalid_claim([Problem(path, exc.reason)]) from None


class ClaimRecords:
    """The ``claim_record`` table of one database, and the SLA index beside it.

    ``rulesets`` (the service's catalog) routes each claim to the ruleset whose clocks are
    indexed; without it no index rows are kept.
    """

    def __init__(self, engine: Engine, rulesets: sla_index.Rulesets | None = None) -> None:
        self.engine = engine
        self.rulesets = rulesets

    def _index(self, session: Session, claim: Claim) -> None:
        if self.rulesets is None:
            sla_index.forget(session, claim_id=claim.claim_id)
        else:
            sla_index.replace_rows(session, index=sla_index.index_claim(claim, self.rulesets))

    def rewrite(self, session: Session, claim: Claim) -> None:
        """Store ``claim`` as the claim's current form, and its SLA index rows, in the
        caller's transaction (the claim's life writes it from its state)."""
        record = session.get(ClaimRecord, claim.claim_id)
        if record is None:
            return
        record.body = _text(claim)
        record.updated_at = now_text()
        session.add(record)
        session.flush()
        self._index(session, claim)

    def intake(
        self,
        claim: Claim,
        *,
        idempotency_key: str | None,
        record: Callable[[Session, Claim], Claim] | None = None,
    ) -> Intake:
        """Store a new claim; ``record`` (the claim's life) records its intake in the same
        transaction and returns the claim as stored."""
        _auditable(claim)
        body = _text(claim)
        with Session(self.engine) as session:
            stored = session.get(ClaimRecord, claim.claim_id)
            if stored is None and idempotency_key:
                by_key = session.exec(
                    select(ClaimRecord).where(ClaimRecord.idempotency_key == idempotency_key)
                ).first()
                if by_key is not None:
                    raise ProblemError(
                        409,
                        f"Idempotency-Key {idempotency_key!r} was already used for claim "
                        f"{by_key.claim_id}",
                        kind="idempotency-key-reused",
                    )
            if stored is not None:
                return self._same(stored, body)
            now = now_text()
            session.add(
                ClaimRecord(
                    claim_id=claim.claim_id,
                    member_id=claim.member.member_id,
                    body=body,
                    idempotency_key=idempotency_key or None,
                    created_at=now,
                    updated_at=now,
                )
            )
            stored_claim = claim
            try:
                session.flush()  # claim_record first: the index rows refer to it
                if record is not None:
                    stored_claim = record(session, claim)  # rewrites the body and the index
                elif self.rulesets is not None:
                    self._index(session, claim)
                session.commit()
            except IntegrityError:  # a concurrent intake of the same claim or key won
                session.rollback()
                again = session.get(ClaimRecord, claim.claim_id)
                if again is None:
                    raise ProblemError(
                        409, "Idempotency-Key was used concurrently for another claim"
                    ) from None
                return self._same(again, body)
        return Intake(stored_claim, created=True)

    def _same(self, stored: ClaimRecord, body: str) -> Intake:
        if stored.body != body and body not in self._received_bodies(stored.claim_id):
            raise ProblemError(
                409,
                f"claim {stored.claim_id} is already stored with different content; "
                "send timeline changes to /claims/{id}/events",
                kind="claim-conflict",
            )
        return Intake(load_claim(stored.body), created=False)

    def _received_bodies(self, claim_id: str) -> set[str]:
        """The claim as taken in (its audited intake): sent again, it is the same claim."""
        with self._reading() as session:
            payloads = session.execute(
                text(
                    "SELECT payload FROM audit_event WHERE claim_id = :claim_id "
                    "AND event_type = :kind"
                ),
                {"claim_id": claim_id, "kind": LIFE_PREFIX + "claim_received"},
            ).scalars()
            return {_text(load_claim(json.loads(p)["claim"])) for p in payloads}

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A session on one read-only snapshot (SQLite: a deferred BEGIN, no write lock)."""
        with self.engine.connect() as conn, Session(bind=read_only(conn)) as session:
            yield session

    def get(self, claim_id: str) -> ClaimRecord | None:
        with self._reading() as session:
            return session.get(ClaimRecord, claim_id)

    def claim(self, claim_id: str) -> Claim:
        """The stored claim, or a 404 problem.

        The hot path of every evaluation: one statement outside any transaction (a single
        SELECT is atomic; on PostgreSQL no BEGIN/ROLLBACK round trips), no ORM, and the body
        parsed once per distinct text (:func:`_parsed`).
        """
        with self.engine.connect() as conn:
            if is_postgres(conn):
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            body = read_only(conn).execute(_BODY_OF, {"claim_id": claim_id}).scalar()
        if body is None:
            raise ProblemError(404, f"there is no claim {claim_id}")
        return _parsed(str(body))

    def for_member(self, member_id: str) -> list[ClaimRecord]:
        with self._reading() as session:
            rows = session.exec(
                select(ClaimRecord)
                .where(ClaimRecord.member_id == member_id)
                .order_by(ClaimRecord.created_at, ClaimRecord.claim_id)
            ).all()
        return list(rows)

    def all_claims(self) -> list[Claim]:
        with self._reading() as session:
            rows = session.exec(select(ClaimRecord).order_by(ClaimRecord.claim_id)).all()
        return [load_claim(r.body) for r in rows]

    def sla_candidates(self, as_of: dt.datetime) -> list[Claim]:
        """The stored claims that may have a clock breached or due soon at ``as_of``.

        A superset, in claim id order (:func:`api.sla_index.candidates`): computing the
        clocks of these gives the same breaches as computing those of every claim.
        """
        with self._reading() as session:
            folders = sla_index.indexed_folders(session)
        rulesets = self.rulesets
        current = sla_index.current_hashes(rulesets, folders) if rulesets is not None else {}
        with self._reading() as session:
            rows = session.exec(sla_index.candidates(as_of=as_of, current=current)).all()
        return [load_claim(r.body) for r in rows]

    def reindex_sla(self, *, everything: bool = False) -> int:
        """Index the claims whose rows are missing or of another ruleset version than in use
        (every claim with ``everything``): after a ruleset reload, and at startup."""
        if self.rulesets is None:
            return 0
        return sla_index.rebuild(self.engine, self.rulesets, everything=everything)

"""Storing a claim's SLA index rows, asking which claims may be urgent, rebuilding.

See :mod:`api.sla_index` for what the rows promise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, and_, delete, false, insert, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.models import ClaimRecord, SlaClaim, SlaClock
from api.rulesets import LoadedRuleset, RulesetUnavailable
from api.sla_index.bounds import ClaimIndex, Rulesets, index_claim, seconds
from audit.db import read_only
from audit.store import now_text
from engine.claim import Claim, load_claim
from engine.errors import ClaimValidationError

__all__ = [
    "candidates",
    "could_be_urgent",
    "current_hashes",
    "forget",
    "indexed_folders",
    "rebuild",
    "replace_rows",
]

#: Claims indexed per transaction by :func:`rebuild` (one fsync each on SQLite).
BATCH = 200


def replace_rows(session: Session, *, index: ClaimIndex) -> None:
    """Replace the claim's index rows, inside the caller's transaction."""
    forget(session, claim_id=index.claim_id)
    session.exec(
        insert(SlaClaim).values(
            claim_id=index.claim_id,
            ruleset_folder=index.folder,
            ruleset_id=index.ruleset_id,
            ruleset_version=index.ruleset_version,
            content_hash=index.content_hash,
            decided=index.reason is None,
            reason=index.reason,
            indexed_at=now_text(),
        )
    )
    if index.clocks:
        rows = [
            {
                "claim_id": index.claim_id,
                "node_id": c.node_id,
                "status": c.status,
                "started_at": c.started_at,
                "due_soon_at": c.due_soon_at,
                "due_at": c.due_at,
                "stopped_at": c.stopped_at,
            }
            for c in index.clocks
        ]
        session.exec(insert(SlaClock), params=rows)


def forget(session: Session, *, claim_id: str) -> None:
    """Drop the claim's index rows (it is then always computed)."""
    session.exec(delete(SlaClock).where(col(SlaClock.claim_id) == claim_id))
    session.exec(delete(SlaClaim).where(col(SlaClaim.claim_id) == claim_id))


def indexed_folders(session: Session) -> list[str]:
    """The ruleset folders the stored rows were made with."""
    return list(session.exec(select(SlaClaim.ruleset_folder).distinct()).all())


def current_hashes(rulesets: Rulesets, folders: Iterable[str]) -> dict[str, str]:
    """``{folder: content hash}`` of the rulesets in use now (unavailable ones left out)."""
    out: dict[str, str] = {}
    for folder in folders:
        try:
            out[folder] = rulesets.get(folder).snapshot.content_hash
        except RulesetUnavailable:
            continue
    return out


def _made_with(current: Mapping[str, str]) -> Any:
    return or_(
        false(),
        *(
            and_(col(SlaClaim.ruleset_folder) == folder, col(SlaClaim.content_hash) == digest)
            for folder, digest in current.items()
        ),
    )


def could_be_urgent(as_of: dt.datetime) -> Any:
    """The ``sla_clock`` rows whose clock may be breached or due soon at ``as_of``: started by
    then, past the earliest instant it can be due soon, and not met before then."""
    at = seconds(as_of)
    return and_(
        col(SlaClock.started_at) <= at,
        col(SlaClock.due_soon_at) <= at,
        or_(
            col(SlaClock.stopped_at).is_(None),
            col(SlaClock.stopped_at) >= at,
            col(SlaClock.status) == "breached",
        ),
    )


def candidates(*, as_of: dt.datetime, current: Mapping[str, str]) -> SelectOfScalar[ClaimRecord]:
    """The stored claims that may have a clock breached or due soon at ``as_of``.

    A superset, in claim id order: every claim the index cannot vouch for (no rows,
    undecided, or rows of another ruleset version than ``current``), and every claim with a
    clock that :func:`could_be_urgent`.
    """
    trusted = select(SlaClaim.claim_id).where(col(SlaClaim.decided), _made_with(current))
    urgent = select(SlaClock.claim_id).where(could_be_urgent(as_of))
    return (
        select(ClaimRecord)
        .where(
            or_(col(ClaimRecord.claim_id).not_in(trusted), col(ClaimRecord.claim_id).in_(urgent))
        )
        .order_by(col(ClaimRecord.claim_id))
    )


class _Memo:
    """Rulesets resolved once per rebuild (a broken one is not compiled again per claim)."""

    def __init__(self, rulesets: Rulesets) -> None:
        self.rulesets = rulesets
        self.found: dict[str, LoadedRuleset | RulesetUnavailable] = {}

    def folder_for(self, claim: Claim) -> Any:
        return self.rulesets.folder_for(claim)

    def get(self, name: str) -> LoadedRuleset:
        if name not in self.found:
            try:
                self.found[name] = self.rulesets.get(name)
            except RulesetUnavailable as exc:
                self.found[name] = exc
        found = self.found[name]
        if isinstance(found, RulesetUnavailable):
            raise found
        return found


def rebuild(
    engine: Engine, rulesets: Rulesets, *, everything: bool = False, batch: int = BATCH
) -> int:
    """Index the claims with no rows or rows of another ruleset version than in use now
    (every claim with ``everything``); returns how many were indexed.

    Run at startup (the first one after the migration fills the index) and after a ruleset
    reload. Each batch locks its claims (``FOR UPDATE``; SQLite's writes are serialized) and
    reads them again, so an event appended meanwhile is never indexed over.
    """
    memo = _Memo(rulesets)
    with engine.connect() as conn, Session(bind=read_only(conn)) as session:
        current = current_hashes(memo, indexed_folders(session))
        query = select(ClaimRecord.claim_id).order_by(col(ClaimRecord.claim_id))
        if not everything:
            made_now = select(SlaClaim.claim_id).where(_made_with(current))
            query = query.where(col(ClaimRecord.claim_id).not_in(made_now))
        ids = list(session.exec(query).all())
    for start in range(0, len(ids), batch):
        _index_batch(engine, memo, ids[start : start + batch])
    return len(ids)


def _index_batch(engine: Engine, rulesets: Rulesets, ids: Sequence[str]) -> None:
    with Session(engine) as session:
        records = session.exec(
            select(ClaimRecord)
            .where(col(ClaimRecord.claim_id).in_(ids))
            .order_by(col(ClaimRecord.claim_id))
            .with_for_update()
        ).all()
        for record in records:
            replace_rows(session, index=_index_stored(record, rulesets))
        session.commit()


def _index_stored(record: ClaimRecord, rulesets: Rulesets) -> ClaimIndex:
    try:
        claim = load_claim(record.body)
    except ClaimValidationError as exc:
        return ClaimIndex(record.claim_id, "", reason=f"the stored claim does not load: {exc}")
    return index_claim(claim, rulesets)

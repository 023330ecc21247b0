"""Adopting a legacy trail: one ``adoption`` batch tag over the events written before tags.

A trail written before batch tags (:mod:`audit.batch_tags`) has a prefix no tag covers;
verify reports it as *untagged* rather than failing or passing it silently. Adoption is the
explicit, audited step that ends that state: :func:`adopt_legacy_prefix` verifies the prefix
(links, hashes, every signed checkpoint in it), writes one tag of kind ``adoption`` over
events ``1..L`` with the batch key, and appends an ``audit.trail_adopted`` event saying who
adopted what and why, all in one transaction. From then on every event of the trail is
covered by a tag, and verify checks them all.

What adoption cannot do: it attests the prefix *as it stands*. Events after the prefix's
last signed checkpoint were protected by nothing but the database until now; the event
records how many there were (``unsigned_tail``), and the operator should compare the trail
with a witness or a trusted checkpoint (``claims audit verify --witness``) first.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from audit.batch_tag_store import first_tag, insert_tag
from audit.chain import StoredEvent, verify_chain
from audit.checkpoints import list_checkpoints
from audit.config import AuditConfig
from audit.errors import ConfigError, StoreError
from audit.store import append_event, chain_head, entry_hashes, iter_events, write_transaction

__all__ = ["ADOPTED_EVENT", "Adoption", "adopt_legacy_prefix"]

#: Event type of the audited adoption.
ADOPTED_EVENT = "audit.trail_adopted"


@dataclass(frozen=True, slots=True)
class Adoption:
    """What was adopted: events ``1..last_seq``, the last ``unsigned_tail`` of them under
    no signed checkpoint, and the audit event that records it."""

    last_seq: int
    unsigned_tail: int
    event: StoredEvent


def adopt_legacy_prefix(
    engine: Engine,
    *,
    config: AuditConfig,
    actor: str,
    reason: str,
    verifier_key: str | None = None,
) -> Adoption:
    """Tag the untagged legacy prefix once (module docstring).

    Raises :class:`StoreError` when there is nothing to adopt, the prefix's problem
    (:class:`~audit.errors.ChainError` / :class:`~audit.errors.TamperError`) when it does
    not verify, :class:`ConfigError` without a batch key. Nothing is written then. The
    prefix's checkpoints are checked with ``verifier_key`` (default: the signer's).
    """
    key = config.batch()
    if key is None:
        raise ConfigError("no audit batch key is configured: nothing can be tagged")
    if not reason.strip():
        raise ValueError("a reason is required to adopt a legacy trail")
    verifier = verifier_key or config.verifier_key()
    with Session(engine) as session:
        with write_transaction(session) as conn:
            first = first_tag(conn)
            head, _ = chain_head(conn)
            last = head if first is None else first.first_seq - 1
            if last <= 0:
                raise StoreError("nothing to adopt: every event is covered by a batch tag already")
            checkpoints = [c for c in list_checkpoints(conn) if c.tree_size <= last]
            reports = verify_chain(
                iter_events(conn, to_seq=last),
                checkpoints,
                verifier_key=verifier,
                origin=config.origin,
            )
            report = deque(reports, maxlen=1).pop()
            if report.problem is not None:
                raise report.problem
            signed = max((c.tree_size for c in checkpoints), default=0)
            hashes = [h.hex() for h in entry_hashes(conn, to_seq=last)]
            insert_tag(
                conn,
                first_seq=1,
                entry_hashes=hashes,
                key=key,
                origin=config.origin,
                kind="adoption",
            )
        event = append_event(
            session,
            event_type=ADOPTED_EVENT,
            claim_id=None,
            payload={
                "first_seq": 1,
                "last_seq": last,
                "unsigned_tail": last - signed,
                "junk_checkpoint_rows": [size for size, _ in report.junk],
                "batch_key_id": key.key_id,
                "reason": reason,
            },
            actor=actor,
            config=config,
        )
        session.commit()
    return Adoption(last, last - signed, event)

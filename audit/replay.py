"""Decision events: how a decision is recorded, and replaying it years later.

A ``decision`` event's payload holds everything needed to make the decision again::

    {"as_of": "<the decision's as_of>", "backend": "native|durable",
     "claim": <the validated claim, JSON form>, "decision": <the decision>,
     "ruleset": {"content_hash": "sha256:...", "revision": "<git revision>"}}

and the ruleset source itself is a content-addressed snapshot (:mod:`audit.snapshot`) stored
before the event. :func:`record_decision` writes both; the caller has already evaluated the
claim with the program compiled from that snapshot (:func:`audit.snapshot.snapshot_ruleset`).
The decision is stored as its JSON form (:meth:`engine.decision.Decision.json_form`), and
:func:`recorded_decision` reads it back into the model, losslessly: a stored decision that
does not parse is reported, never patched up.

:class:`Replayer` re-evaluates a decision event: it checks the event's own hashes, loads and
checks the snapshot, compiles it (once per snapshot and revision), evaluates the recorded
claim at the recorded ``as_of`` on the recorded backend under the recorded engine semantics
(:mod:`engine.semantics`, read from ``engine.version``), and compares the canonical JSON of
the new decision with the recorded one **byte for byte**: the RFC 8785 text of the JSON as
stored against that of the new decision's JSON form. Replaying on another backend
(``backend=``) compares everything but the ``engine`` block, which names the backend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError

from audit.canonical import JsonValue, canonical_json, sha256_hex
from audit.chain import StoredEvent
from audit.config import AuditConfig
from audit.errors import ReplayError, SnapshotError, TamperError
from audit.snapshot import RulesetSnapshot
from audit.store import Target, append_event, get_event, get_snapshot, save_snapshot
from engine.backends import available_backends
from engine.claim import Claim, claim_to_json_dict, load_claim
from engine.decision import Decision
from engine.errors import EngineError
from engine.evaluate import evaluate
from engine.program import Program
from engine.semantics import UnknownSemanticsError, semantics_of_engine_version

__all__ = [
    "DECISION_EVENT",
    "ReplayResult",
    "Replayer",
    "decision_payload",
    "record_decision",
    "record_payload",
    "recorded_decision",
]

#: A claim as :func:`engine.claim.load_claim` takes it, or already validated.
ClaimInput = Claim | Mapping[str, Any] | str | bytes

#: ``event_type`` of an audited decision.
DECISION_EVENT = "decision"

_PAYLOAD_KEYS = {"as_of", "backend", "claim", "decision", "ruleset"}


def decision_payload(
    *, snapshot: RulesetSnapshot, claim: ClaimInput, decision: Decision
) -> dict[str, JsonValue]:
    """The payload of a decision event (module docstring); checks the pieces belong together."""
    parsed = claim if isinstance(claim, Claim) else load_claim(claim)
    if decision.ruleset.content_hash != snapshot.content_hash:
        raise ValueError(
            f"the decision was made with ruleset {decision.ruleset.content_hash}, "
            f"not with snapshot {snapshot.content_hash}"
        )
    if decision.claim_id != parsed.claim_id:
        raise ValueError("the decision is for another claim")
    decision_json = cast(JsonValue, decision.json_form())  # engine JSON holds no floats
    return {
        "as_of": decision.as_of,
        "backend": decision.engine.backend,
        "claim": claim_to_json_dict(parsed),
        "decision": decision_json,
        "ruleset": {"content_hash": snapshot.content_hash, "revision": decision.ruleset.revision},
    }


def record_decision(
    target: Target,
    *,
    snapshot: RulesetSnapshot,
    claim: ClaimInput,
    decision: Decision,
    actor: str,
    occurred_at: dt.datetime | None = None,
    config: AuditConfig | None = None,
) -> StoredEvent:
    """Store the snapshot (if new) and append the decision event; returns after commit."""
    payload = decision_payload(snapshot=snapshot, claim=claim, decision=decision)
    return record_payload(
        target,
        snapshot=snapshot,
        payload=payload,
        actor=actor,
        occurred_at=occurred_at,
        config=config,
    )


def record_payload(
    target: Target,
    *,
    snapshot: RulesetSnapshot,
    payload: dict[str, JsonValue],
    actor: str,
    occurred_at: dt.datetime | None = None,
    config: AuditConfig | None = None,
) -> StoredEvent:
    """:func:`record_decision` for a payload :func:`decision_payload` already made, for a
    caller that needs the payload too (the service answers with the decision's JSON exactly
    as audited, dumped once)."""
    save_snapshot(target, snapshot=snapshot)
    decision = payload["decision"]
    return append_event(
        target,
        event_type=DECISION_EVENT,
        claim_id=str(decision["claim_id"]) if isinstance(decision, dict) else None,
        payload=payload,
        actor=actor,
        occurred_at=occurred_at,
        config=config,
    )


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """The outcome of one replay: both canonical texts and whether they are identical."""

    event_id: str
    seq: int
    claim_id: str | None
    backend: str
    recorded: str
    replayed: str
    engine_block_ignored: bool = False

    @property
    def matches(self) -> bool:
        """True when the replayed decision is byte-identical to the recorded one."""
        return self.recorded == self.replayed

    def first_difference(self) -> int | None:
        """Offset of the first differing character, or ``None`` when they match."""
        if self.matches:
            return None
        for i, (a, b) in enumerate(zip(self.recorded, self.replayed, strict=False)):
            if a != b:
                return i
        return min(len(self.recorded), len(self.replayed))


def _check_integrity(event: StoredEvent) -> None:
    if sha256_hex(event.payload) != event.payload_hash:
        raise TamperError(event.seq, "payload does not match payload_hash (payload was changed)")
    if event.computed_entry_hash() != event.entry_hash:
        raise TamperError(event.seq, "entry_hash does not match the event's fields")


def recorded_decision(event: StoredEvent) -> Decision:
    """The decision a ``decision`` event recorded, read back into the model.

    Raises :class:`~audit.errors.ReplayError` when the event is not a decision event or its
    decision does not parse (a stored decision is never patched up to fit).
    """
    if event.event_type != DECISION_EVENT:
        raise ReplayError(event.event_id, f"is a {event.event_type!r} event, not a decision")
    payload = event.payload_value()
    stored = payload.get("decision") if isinstance(payload, dict) else None
    try:
        return Decision.model_validate(stored)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "decision"
        newer = _unknown_semantics(stored)
        raise ReplayError(
            event.event_id,
            f"holds no readable decision ({where}: {problem['msg']})"
            + (f"; it names {newer}" if newer else ""),
        ) from None


def _unknown_semantics(stored: object) -> str:
    """Why a decision may not read: a newer engine wrote it (its ``engine.version`` names a
    semantics this engine does not know), else ``""``."""
    engine = stored.get("engine") if isinstance(stored, dict) else None
    version = engine.get("version") if isinstance(engine, dict) else None
    if not isinstance(version, str):
        return ""
    try:
        semantics_of_engine_version(version)
    except UnknownSemanticsError as exc:
        return str(exc)
    return ""


class Replayer:
    """Replays decision events of one store, compiling each ruleset snapshot once."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._programs: dict[tuple[str, str], Program] = {}

    def _program(self, content_hash: str, revision: str) -> Program:
        key = (content_hash, revision)
        if key not in self._programs:
            snapshot = get_snapshot(self._target, content_hash=content_hash)
            try:
                self._programs[key] = snapshot.compile(revision=revision)
            except EngineError as exc:
                raise SnapshotError(content_hash, f"does not compile: {exc}") from None
        return self._programs[key]

    def replay(self, event_id: str, *, backend: str | None = None) -> ReplayResult:
        """Replay the decision event ``event_id`` (module docstring)."""
        return self.replay_event(get_event(self._target, event_id=event_id), backend=backend)

    def replay_event(self, event: StoredEvent, *, backend: str | None = None) -> ReplayResult:
        """Replay an event already read from the store."""
        _check_integrity(event)
        if event.event_type != DECISION_EVENT:
            raise ReplayError(event.event_id, f"is a {event.event_type!r} event, not a decision")
        payload = event.payload_value()
        if not isinstance(payload, dict) or set(payload) != _PAYLOAD_KEYS:
            raise ReplayError(event.event_id, "payload is not a decision payload")
        stored, ruleset = payload["decision"], payload["ruleset"]
        as_of_text, recorded_backend = payload["as_of"], payload["backend"]
        if not (
            isinstance(stored, dict)
            and isinstance(ruleset, dict)
            and isinstance(ruleset.get("content_hash"), str)
            and isinstance(ruleset.get("revision"), str)
            and isinstance(as_of_text, str)
            and isinstance(recorded_backend, str)
        ):
            raise ReplayError(event.event_id, "payload is not a decision payload")
        recorded = recorded_decision(event)
        chosen = backend or recorded_backend
        if chosen not in available_backends():
            raise ReplayError(
                event.event_id,
                f"backend {chosen!r} is not available here "
                f"(available: {', '.join(available_backends())}); choose one with --backend",
            )
        program = self._program(str(ruleset["content_hash"]), str(ruleset["revision"]))
        try:
            as_of = dt.datetime.fromisoformat(as_of_text)
            claim = load_claim(payload["claim"])  # type: ignore[arg-type]
            semantics = semantics_of_engine_version(recorded.engine.version)
            replayed = evaluate(program, claim, as_of=as_of, backend=chosen, semantics=semantics)
        except (EngineError, ValueError) as exc:
            raise ReplayError(event.event_id, f"cannot be evaluated again: {exc}") from None
        ignore_engine = chosen != recorded_backend
        # The stored JSON itself, not the model read from it: a lossy read could hide a change.
        recorded_value = dict(stored)
        replayed_value: dict[str, Any] = replayed.json_form()
        if ignore_engine:
            recorded_value.pop("engine", None)
            replayed_value.pop("engine", None)
        return ReplayResult(
            event_id=event.event_id,
            seq=event.seq,
            claim_id=event.claim_id,
            backend=chosen,
            recorded=canonical_json(recorded_value),
            replayed=canonical_json(replayed_value),
            engine_block_ignored=ignore_engine,
        )

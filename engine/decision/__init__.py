"""The decision: frozen pydantic models of what the engine decides, and its canonical JSON.

``engine.evaluate.evaluate`` returns a :class:`Decision`; ``engine.evaluate.clocks`` returns
:class:`Clock` models and ``portfolio_sweep`` :class:`ClaimClock` models. Everything that reads
a decision (audit, the review assistant, the API, the CLI, the ruleset tests) reads these
models; the README's JSON contract is their JSON form. The outcome vocabulary is
:mod:`engine.outcome`; how a decision is put together is :mod:`engine.decision.assembly`.

Canonical JSON. :meth:`Decision.canonical_json` is :func:`canonical_json` (sorted keys, no
spaces, UTF-8 kept) of :meth:`Decision.json_form` (``model_dump(mode="json")``), byte for
byte the text the engine wrote before these models existed: audited decisions replay against
it (``tests/fixtures/decision_corpus``, ``tests/fixtures/audit_trail``). So values keep their
JSON form where a richer type would not round-trip exactly (:mod:`engine.decision.values`):
instants and dates are the engine's ISO 8601 text, amounts are ``Decimal`` with two places
written as strings. ``Decision.model_validate(json)`` of any canonical decision gives a model
whose canonical JSON is the same bytes (property-tested); unknown keys are refused, so
reading a decision back loses nothing.

Fields added later. A field a later engine adds (a notice's source id, the backend fallbacks
of the ``engine`` block...) must be *absent* from the JSON of the decisions made before it,
or their bytes change. Declare it with :func:`optional_field`: its default is ``None`` and
pydantic's ``exclude_if`` leaves it out of the dump while it is ``None``. Fields that are
``null`` in today's JSON (``line_id``, ``stopped_at``, ...) are plain ``X | None`` fields and
stay ``null``. :attr:`ClockEvent.note` is such a field: the engine has always left it out
when there is nothing to note. A field whose value would change the decision of an unchanged
ruleset also needs an engine semantics flag (:mod:`engine.semantics`).

Building. The engine builds the models from values it made itself with :func:`trusted`:
``model_construct`` without its per-field alias lookups. A decision has ~50 parts and
evaluating a claim takes ~0.5 ms, so validating (or ``model_construct``-ing) each part would
add a fifth to it. ``tests/engine/test_decision_model.py`` proves that what the engine builds
validates and round-trips, and that :func:`trusted` builds what ``model_validate`` does.
Sequences are tuples, so no list of a decision can be appended to; the mappings (``codes``,
``facts``, ``benefit_balance``) are plain dicts: treat them as read-only.
"""

from engine.decision.clock import (
    CLOCK_STATUSES,
    ClaimClock,
    Clock,
    ClockEffect,
    ClockEvent,
    ClockStatus,
    ClockUnit,
)
from engine.decision.model import (
    Amounts,
    Decision,
    EngineRef,
    Fallback,
    Line,
    Notice,
    Reason,
    RulesetRef,
    TraceEntry,
)
from engine.decision.values import (
    Amount,
    Day,
    Explanation,
    Instant,
    Scope,
    canonical_json,
    optional_field,
    trusted,
)

__all__ = [
    "CLOCK_STATUSES",
    "Amount",
    "Amounts",
    "ClaimClock",
    "Clock",
    "ClockEffect",
    "ClockEvent",
    "ClockStatus",
    "ClockUnit",
    "Day",
    "Decision",
    "EngineRef",
    "Explanation",
    "Fallback",
    "Instant",
    "Line",
    "Notice",
    "Reason",
    "RulesetRef",
    "Scope",
    "TraceEntry",
    "canonical_json",
    "optional_field",
    "trusted",
]

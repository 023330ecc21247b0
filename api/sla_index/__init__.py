"""The SLA index: which stored claims can have a clock breached or due soon at an instant.

Why: ``GET /sla/breaches`` looks across every stored claim. Parsing each one and computing
its clocks on every request grows with the whole book, while at any instant only a few
claims need attention. The index keeps, per clock, bounds that hold for *every* ``as_of``
(the engine's semantics, :mod:`engine.sla.clock`), so SQL leaves out the claims that cannot
need attention at the instant asked and only the others are computed, by the engine, exactly
as before.

What a ``sla_clock`` row promises, whatever part of the timeline ``as_of`` sees:

- the clock is not started before ``started_at``: the first start event (or the start fact)
  starts it for every ``as_of`` that sees it, and a restart only moves the start later;
- its deadline is never before ``due_at``, the deadline counted from that start with no
  pause, extension or restart: each of those only moves a deadline later;
- so it is neither due soon nor breached before ``due_soon_at`` = ``due_at`` - due soon - 1 s
  (``remaining_seconds`` is truncated to whole seconds);
- once stopped it stays as it was at the stop (only events up to the stop count): ``met``
  is never urgent again from ``stopped_at`` on, ``breached`` always is.

Instants are whole Unix seconds rounded down, like the ``as_of`` asked, so every bound stays
a bound. A claim whose rows cannot promise this is *undecided* (``sla_claim.decided`` false)
and always computed in full: its ruleset was unavailable, its clocks raise (the endpoint
then lists it as skipped, with the reason), the ruleset reads ``as_of``/``today`` where
the clocks' facts come from, or a clock would apply (or start from a fact) differently before
the claim's last event or document arrived (the engine reads ``events`` and ``documents`` as of
``as_of``, so facts derived from them change as things arrive). Rows made with another version
of the ruleset than the one the asking process uses are not trusted either, so a reload in one
worker never makes another worker's answer wrong, only slower until :func:`rebuild` has run.
"""

from api.sla_index.bounds import (
    ClaimIndex,
    ClockBounds,
    Rulesets,
    arrival_dependence,
    index_claim,
    seconds,
    time_dependence,
)
from api.sla_index.store import (
    candidates,
    could_be_urgent,
    current_hashes,
    forget,
    indexed_folders,
    rebuild,
    replace_rows,
)

__all__ = [
    "ClaimIndex",
    "ClockBounds",
    "Rulesets",
    "arrival_dependence",
    "candidates",
    "could_be_urgent",
    "current_hashes",
    "forget",
    "index_claim",
    "indexed_folders",
    "rebuild",
    "replace_rows",
    "seconds",
    "time_dependence",
]

"""The outcome vocabulary: what a decision (a rule, a line, a person's override) can say.

Defined once, here, and imported by the ruleset compiler (a rule's ``outcome:``), the
decision model, the claim model (a prior claim's outcome), the review assistant and the API:
a new outcome is a change of this module and of every ``Mapping[Outcome, ...]`` that mypy
then finds incomplete.

Precedence when several rules apply (higher rank wins): a claim-scope ``deny`` > ``refer`` >
``pend`` > ``partial`` > ``approve`` (see :mod:`engine.assembly` for how line-scope outcomes
count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal, get_args

__all__ = [
    "ADVERSE", "HELD", "OUTCOMES", "OUTCOME_RANK", "PAYING", "Outcome", "Scope", "most_severe",
]  # fmt: skip

Outcome = Literal["approve", "partial", "deny", "pend", "refer"]

#: What a rule (and its reason) decides: the whole claim, or one line.
Scope = Literal["claim", "line"]

#: Every outcome, in the order rule authors read them (schemas, error hints).
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)

#: Precedence when several rules hit: the highest rank wins.
OUTCOME_RANK: Final[Mapping[Outcome, int]] = {
    "approve": 0,
    "partial": 1,
    "pend": 2,
    "refer": 3,
    "deny": 4,
}

#: Outcomes adverse to the member: made by rules alone, they carry the PIPL art. 24 notice.
ADVERSE: Final[tuple[Outcome, ...]] = ("deny", "partial")

#: Outcomes that release the payable amount.
PAYING: Final[tuple[Outcome, ...]] = ("approve", "partial")

#: Outcomes that hold the claim (and every line) for information or for a person.
HELD: Final[tuple[Outcome, ...]] = ("pend", "refer")


def most_severe(outcomes: Iterable[Outcome], *, default: Outcome = "approve") -> Outcome:
    """The outcome of highest precedence among ``outcomes`` (``default`` if there is none)."""
    return max(outcomes, key=OUTCOME_RANK.__getitem__, default=default)

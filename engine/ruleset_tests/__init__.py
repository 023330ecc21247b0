"""Ruleset tests: YAML cases beside a ruleset, run through ``evaluate``, with rule coverage.

Every ``tests/*.yaml`` file of a ruleset folder holds cases (``claims rules test PATHS``)::

    base: ../../../examples/claim.json     # base claim JSON, relative to this test file
    as_of: 2025-07-01T09:00:00+08:00       # default evaluation time of the cases
    cases:
      - name: lapsed policy is denied
        base: claims/outpatient.json       # optional: another base claim for this case
        patch: {policy: {status: lapsed}}  # optional RFC 7396 merge patch (lists replaced whole,
                                           #   null deletes a key)
        set: {"items[1].category": dental} # optional path assignments, applied after ``patch``;
                                           #   ``a.b[0].c``: keys by name, lists by 0-based index
        as_of: 2025-08-01T09:00:00+08:00   # optional: overrides the file's as_of
        expect:                            # at least one check:
          outcome: deny                    # the claim outcome
          reasons: [ELIG-INACTIVE]         # exact multiset of reason codes, order-insensitive
          fired: [policy_in_force]         # exact set of rule/step ids that applied
          not_fired: [waiting_period]      # ids that must not apply
          amounts: {payable: "0.00"}       # subset of decision.amounts, compared as strings
          lines:                           # per line id: outcome, reason_codes (multiset),
            "2": {outcome: deny, payable: "0.00", reason_codes: [DUP-INVOICE]}  # amounts
          explanation_contains:            # each text must occur in some reason's explanation
            en: ["policy"]
            zh: ["保单"]
          sla:                             # per SLA clock id: status, due_date, extended_by,
            determination:                 #   and instants as quoted strings
              {status: breached, due_date: 2025-07-23, due_at: "2025-07-24T00:00:00+08:00"}
          error: "items[0].amount"         # the claim must be rejected; the message contains this

``error`` excludes every other check. A case whose ``expect`` holds ``timeline`` checks the
ruleset's lifecycle instead of evaluating (``add: {type, at, detail}`` a new event, ``void: N``
an event, or neither: the claim's timeline as taken in), expecting ``timeline: accepted`` or
``timeline: {refused: RULE_ID, index: N}`` (:mod:`engine.ruleset_tests.timeline_cases`); every
lifecycle rule refused in some case counts as covered (``lifecycle:<id>``).

Amounts are written as quoted strings ("3648.40"); a YAML number there is reported, since
3648.40 would arrive as the float 3648.4.

Problems in a test file (bad YAML, unknown keys, wrong value kinds, a bad ``set`` path, an
unknown rule id) are failures reported with ``file:line:col``; they never stop the run.

The report also computes rule coverage: which rules, and which benefit steps that carry a
reason, applied (appear in ``decision.reasons``) in at least one case. With
``compare_backends`` every case is evaluated on every available backend, and a case fails when
their canonical decision JSON (without the ``engine`` block) differs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.ruleset_tests.runner import CaseResult, RulesetTestReport, run_ruleset_tests
    from engine.ruleset_tests.shapes import RulesetTestError

__all__ = ["CaseResult", "RulesetTestError", "RulesetTestReport", "run_ruleset_tests"]

# Resolved on first use: ``claims rules lint`` imports engine.ruleset_tests.lint, and the
# runner (claims, decisions, lifecycle) would add to every lint's start-up for nothing.
_HOME = {
    "CaseResult": "engine.ruleset_tests.runner",
    "RulesetTestReport": "engine.ruleset_tests.runner",
    "run_ruleset_tests": "engine.ruleset_tests.runner",
    "RulesetTestError": "engine.ruleset_tests.shapes",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'engine.ruleset_tests' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)

"""Which bundled ruleset decides a claim, when none is named.

One rule, in one place: complaints go to ``cn-complaints``, claims under US jurisdiction to
``us-erisa``, everything else to ``cn-health``. A deployment with other products would route
by ``policy.product``; this is the mapping of the bundled sample rulesets.
"""

from __future__ import annotations

from pathlib import Path

from engine.claim import Claim

RULESETS = Path("rulesets")


def ruleset_for_claim(claim: Claim, root: Path = RULESETS) -> Path:
    if claim.claim_type == "complaint":
        return root / "cn-complaints"
    if claim.jurisdiction == "US":
        return root / "us-erisa"
    return root / "cn-health"

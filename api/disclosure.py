"""What personal data each role sees of a claim (domain README section 3; PIPL art. 28, 51).

Least privilege is a legal duty: staff see the display defaults of :mod:`engine.masking`
(ID number first 1 + last 1, bank card first 6 + last 4, phone first 3 + last 4, name:
surname only); a member sees their own claim with the same masks except the bank card,
of which members see the last 4 digits only. Clear values are only ever answered to a
supervisor who gives a reason, after the audit trail has recorded it (:mod:`api.unmasking`).
"""

from __future__ import annotations

from typing import Any

from engine.claim import Claim, claim_to_json_dict
from engine.masking import PII_MASKS, mask_middle

__all__ = ["masked_claim"]


def _member_card(value: str) -> str:
    return mask_middle(value, 0, 4)


def masked_claim(claim: Claim, role: str) -> dict[str, Any]:
    """The claim's JSON form with the member's personal data masked for ``role``."""
    data = claim_to_json_dict(claim)
    member = dict(data["member"])
    for path, mask in PII_MASKS.items():
        field = path.split(".", 1)[1]
        value = member.get(field)
        if isinstance(value, str) and value:
            member[field] = mask(value)
    card = claim.member.bank_card
    if role == "member" and card:
        member["bank_card"] = _member_card(card)
    data["member"] = member
    return data

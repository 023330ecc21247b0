"""Display masks for personal data (domain README section 3; PIPL art. 28, 51).

Decisions and their traces are stored, shown to adjusters and fed (after redaction) to
language models, so they never carry raw personal data: a rule that reads an ID number
records it masked. Defaults: ID number first 1 + last 1, bank card first 6 + last 4, phone
first 3 + last 4, name: surname only.
"""

from __future__ import annotations

from collections.abc import Callable


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + (value[-keep_end:] if keep_end else "")


def mask_name(value: str) -> str:
    if not value:
        return value
    if value.isascii() and " " in value.strip():
        return value.split()[-1] + " *"  # Western order: keep the family name
    return value[0] + "*" * (len(value) - 1)


PII_MASKS: dict[str, Callable[[str], str]] = {
    "member.id_number": lambda v: mask_middle(v, 1, 1),
    "member.bank_card": lambda v: mask_middle(v, 6, 4),
    "member.phone": lambda v: mask_middle(v, 3, 4),
    "member.name": mask_name,
}


def mask_fact(path: str, value: object) -> object:
    mask = PII_MASKS.get(path)
    if mask is None or not isinstance(value, str):
        return value
    return mask(value)

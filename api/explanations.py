"""The member's explanation of their claim, in Chinese or English (domain README section 4).

Built from the latest audited decision (and a person's override of it, if any): what was
decided in plain words and by whom, the amounts per line, the SLA timeline with its dates,
what is still missing and why, and the member's rights and remedies: the reminders of the
rights knowledge base (``rulesets/rights/``) that apply to this decision, selected by rule
(:meth:`llm_assist.rights.RightsBase.select`: e.g. human review under PIPL art. 24 for an
automated result, written reasons within 3 days for a refusal, the regulator's 12378
hotline). Nothing here decides anything: it only says what the audit trail holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from api.decisions import ClaimHistory
from api.routing import ruleset_for_claim
from audit.replay import recorded_decision
from engine.claim import Claim
from engine.decision import Decision, Explanation
from engine.outcome import OUTCOMES, Outcome
from llm_assist.rights import DecisionFacts, RightsBase

__all__ = ["explanation", "language_of"]

_OUTCOME: Mapping[Outcome, tuple[str, str]] = {
    "approve": ("您的理赔申请已获赔付。", "Your claim has been approved."),
    "partial": ("您的理赔申请部分获赔。", "Part of your claim has been approved."),
    "deny": ("很抱歉，您的理赔申请未获赔付。", "We are sorry: your claim has not been approved."),
    "pend": (
        "您的理赔申请正在处理，还需要补充信息。",
        "Your claim is on hold until we have more information.",
    ),
    "refer": (
        "您的理赔申请已转交理赔人员审核。",
        "Your claim has been passed to a claims handler to review.",
    ),
}
_BY_RULES = (
    "本结果由系统依据规则自动作出。",
    "This result was made automatically by our rules.",
)
_BY_PERSON = (
    "本结果由理赔人员审核后作出。",
    "A claims handler (a person) made this decision after reviewing your claim.",
)
_NOT_DECIDED = (
    "我们已收到您的理赔申请，尚未作出决定。",
    "We have your claim and have not decided it yet.",
)


def language_of(accept_language: str | None) -> str:
    """``zh`` or ``en``: the first of them named in ``Accept-Language`` (default ``zh``)."""
    best: tuple[float, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        if lang not in ("zh", "en"):
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > 0 and (best is None or q > best[0]):
            best = (q - position * 1e-6, lang)
    return best[1] if best else "zh"


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _said(text: Explanation, lang: str) -> str:
    return text.zh if lang == "zh" else text.en


def _missing(claim: Claim, decision: Decision, lang: str) -> list[dict[str, Any]]:
    """Documents asked for and not yet completed, and the reasons a decision is on hold."""
    out: list[dict[str, Any]] = []
    outstanding: list[str] = []
    for event in claim.events:
        if event.type == "documents_requested":
            outstanding = [str(m) for m in event.detail.get("missing") or []]
        elif event.type == "documents_completed":
            outstanding = []
    out.extend({"document": name} for name in outstanding)
    out.extend(
        {"reason_code": r.code, "why": _said(r.explanation, lang)}
        for r in decision.reasons
        if r.outcome == "pend"
    )
    return out


_LINE_KEYS = {"line_id", "submitted", "eligible", "deductible", "copay", "payable", "outcome"}
_CLOCK_KEYS = {"id", "status", "started_at", "due_at", "due_date", "stopped_at"}


def _lines(decision: Decision, lang: str) -> list[dict[str, Any]]:
    by_line: dict[int, list[str]] = {}
    for reason in decision.reasons:
        if reason.line_id is not None:
            by_line.setdefault(reason.line_id, []).append(_said(reason.explanation, lang))
    return [
        {
            **line.model_dump(mode="json", include=_LINE_KEYS),
            "explanations": by_line.get(line.line_id, []),
        }
        for line in decision.lines
    ]


def _sla(decision: Decision, lang: str) -> list[dict[str, Any]]:
    return [
        {
            **clock.model_dump(mode="json", include=_CLOCK_KEYS),
            "explanation": _said(clock.explanation, lang),
        }
        for clock in decision.sla
        if clock.status != "not_applicable"
    ]


def _rights(
    rights: RightsBase, facts: DecisionFacts, decided_by: str, lang: str
) -> list[dict[str, Any]]:
    return [
        {"id": e.id, "legal_basis": list(e.source), "text": e.zh if lang == "zh" else e.en}
        for e in rights.select(facts, decided_by=decided_by)
    ]


def explanation(
    claim: Claim, history: ClaimHistory, lang: str, rights: RightsBase
) -> dict[str, Any]:
    """The member's explanation of ``claim`` (module docstring)."""
    base = {"claim_id": claim.claim_id, "language": lang, "hotline": "12378"}
    latest = history.latest_decision()
    if latest is None:
        # Not decided yet: only the reminders that hold for any claim under its ruleset.
        undecided = DecisionFacts(ruleset=ruleset_for_claim(claim).name)
        return {
            **base,
            "status": "received",
            "summary": _pick(_NOT_DECIDED, lang),
            "rights": _rights(rights, undecided, "rules", lang),
        }
    decision = recorded_decision(latest)
    override = history.latest_override()
    outcome: Outcome = decision.outcome
    amounts = decision.amounts.model_dump(mode="json")
    decided_by = "rules"
    if override is not None:
        value = override.payload_value()
        changed = value if isinstance(value, dict) else {}
        outcome = next((o for o in OUTCOMES if o == changed.get("outcome")), outcome)
        if changed.get("payable") is not None:
            amounts["payable"] = changed["payable"]
        decided_by = "person"
    by = _BY_PERSON if decided_by == "person" else _BY_RULES
    facts = dataclasses.replace(
        DecisionFacts.of(decision), outcome=outcome, automated=decided_by == "rules"
    )
    return {
        **base,
        "rights": _rights(rights, facts, decided_by, lang),
        "status": "decided",
        "outcome": outcome,
        "decided_by": decided_by,
        "summary": ("" if lang == "zh" else " ").join(
            (_pick(_OUTCOME[outcome], lang), _pick(by, lang))
        ),
        "decided_at": (override or latest).recorded_at,
        "currency": decision.currency,
        "amounts": amounts,
        "lines": _lines(decision, lang),
        "reasons": [_said(r.explanation, lang) for r in decision.reasons],
        "sla": _sla(decision, lang),
        "missing": _missing(claim, decision, lang),
        "ruleset": decision.ruleset.model_dump(),
    }

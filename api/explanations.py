"""The member's explanation of their claim, in Chinese or English (domain README section 4).

Built from the claim's state (the projection, :mod:`api.claim_states.views`) alone: its
status in words that follow it (:func:`engine.lifecycle.status_sentence`: "paid" only once a
payment exists, with its date and amount; "approved, payment due by ..." before), the current
decision and whether the rules or a person made it, the amounts per line, every earlier
decision, the payments, the SLA clocks at ``as_of`` (computed on the state's claim as
``/sla/breaches`` computes them), what is still missing and why, and the member's rights
and remedies: the reminders of the rights knowledge base (``rulesets/rights/``) that apply
to this decision, selected by rule (:meth:`llm_assist.rights.RightsBase.select`: e.g.
human review under PIPL art. 24 for an automated result, written reasons within 3 days for
a refusal, the regulator's 12378 hotline). Nothing here decides anything.
"""

from __future__ import annotations

from typing import Any

from api.claim_states.views import CurrentView
from api.routing import ruleset_for_claim
from engine.decision import Decision, Explanation
from engine.lifecycle import ClaimState, status_sentence, summarize_clocks
from llm_assist.rights import DecisionFacts, RightsBase

__all__ = ["explanation", "language_of"]

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


def _rights(
    rights: RightsBase, facts: DecisionFacts, decided_by: str, lang: str
) -> list[dict[str, Any]]:
    return [
        {"id": e.id, "legal_basis": list(e.source), "text": e.zh if lang == "zh" else e.en}
        for e in rights.select(facts, decided_by=decided_by)
    ]


def _history(state: ClaimState) -> list[dict[str, Any]]:
    """Every decision that was the claim's, oldest first: who decided (rules or a person,
    never which person), what and when."""
    return [
        {
            "decision_id": d.decision_id,
            "decided_by": d.source,
            "outcome": d.outcome,
            "payable": f"{d.payable:.2f}",
            "at": d.at.isoformat(),
        }
        for d in state.decisions
    ]


def _payments(state: ClaimState) -> list[dict[str, Any]]:
    return [
        {"amount": f"{p.amount:.2f}", "paid_at": p.paid_at.isoformat(), "kind": p.kind}
        for p in state.payments
    ]


def explanation(view: CurrentView, lang: str, rights: RightsBase) -> dict[str, Any]:
    """The member's explanation of the claim's state (module docstring)."""
    state = view.state
    assert state.claim is not None
    claim = state.claim
    sentence = status_sentence(state, clocks=summarize_clocks(view.clocks))
    said = sentence.zh if lang == "zh" else sentence.en
    base: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "language": lang,
        "hotline": "12378",
        "status": state.status,
        "status_text": said,
        "as_of": view.as_of.isoformat(),
        "sla": [
            {
                **c.model_dump(mode="json", include=_CLOCK_KEYS),
                "explanation": _said(c.explanation, lang),
            }
            for c in view.clocks
            if c.status != "not_applicable"
        ],
        "missing": [{"document": d} for d in state.outstanding_documents],
        "payments": _payments(state),
        "paid": f"{state.paid:.2f}",
        "decisions": _history(state),
    }
    current, decision = state.decision, view.decision
    if current is None or decision is None:
        # Not decided yet: only the reminders that hold for any claim under its ruleset.
        undecided = DecisionFacts(ruleset=ruleset_for_claim(claim).name)
        return {
            **base,
            "summary": said if state.outstanding_documents else _pick(_NOT_DECIDED, lang),
            "rights": _rights(rights, undecided, "rules", lang),
        }
    decided_by = "person" if current.source == "person" else "rules"
    by = _BY_PERSON if decided_by == "person" else _BY_RULES
    facts = DecisionFacts.of(decision)
    held = [
        {"reason_code": r.code, "why": _said(r.explanation, lang)}
        for r in decision.reasons
        if r.outcome == "pend" and decided_by == "rules"
    ]
    return {
        **base,
        "rights": _rights(rights, facts, decided_by, lang),
        "outcome": current.outcome,
        "decided_by": decided_by,
        "summary": ("" if lang == "zh" else " ").join((said, _pick(by, lang))),
        "decided_at": current.at.isoformat(),
        "decision_id": current.decision_id,
        "currency": decision.currency,
        "amounts": decision.amounts.model_dump(mode="json"),
        "lines": _lines(decision, lang),
        "reasons": [_said(r.explanation, lang) for r in decision.reasons]
        if decided_by == "rules"
        else [],
        "missing": base["missing"] + held,
        "ruleset": decision.ruleset.model_dump(),
    }

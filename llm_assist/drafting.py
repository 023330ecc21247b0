"""One review note: redacted context -> prompt -> model -> parse -> guard -> retry once -> fallback.

The decision is an input here and never an output: whatever a model says, the note that
leaves this module either passed the grounding guard against the decision or is the
template's draft. Model trouble of any kind (timeouts, refused connections, HTTP errors,
malformed JSON, invalid notes) ends in the template draft marked ``fallback`` with the
reason; it never raises and never waits longer than the configured budget.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from llm_assist.config import AssistConfig
from llm_assist.context import DraftContext
from llm_assist.errors import NoteFormatError, ProviderError
from llm_assist.guard import Violation, check_draft
from llm_assist.note import NoteDraft, ReviewNote
from llm_assist.prompts import (
    PROMPT_TEMPLATE_VERSION,
    build_messages,
    prompt_hash,
    prompt_template_hash,
)
from llm_assist.providers import chat_model, provider_error, structured
from llm_assist.rendering import render_note
from llm_assist.slots import SlotError
from llm_assist.template import template_draft, template_note

__all__ = ["Draft", "Verdict", "deadline_s", "draft_review_note", "note_hash"]

Verdict = Literal["pass", "retried", "fallback"]

_REASON_LIMIT = 500
# Per-attempt allowance for the SDK's own back-off between transport retries.
_RETRY_SLACK_S = 1.0


@dataclass(frozen=True)
class Draft:
    """A review note and how it came to be: the payload of the ``review_note`` audit event."""

    note: ReviewNote
    provider: str
    model: str
    verdict: Verdict
    attempts: int
    reasons: tuple[str, ...]
    prompt_template_hash: str
    prompt_hash: str
    output_hash: str
    claim_id: str

    def audit_payload(self) -> dict[str, Any]:
        """JSON-safe; every text in it is guard-checked or redacted, none is personal data."""
        return {
            "claim_id": self.claim_id,
            "provider": self.provider,
            "model": self.model,
            "prompt_template_version": PROMPT_TEMPLATE_VERSION,
            "prompt_template_hash": self.prompt_template_hash,
            "prompt_hash": self.prompt_hash,
            "output_hash": self.output_hash,
            "verdict": self.verdict,
            "attempts": self.attempts,
            "reasons": list(self.reasons),
            "note": self.note.model_dump(mode="json"),
        }


def draft_review_note(
    context: DraftContext, config: AssistConfig, *, model: BaseChatModel | None = None
) -> Draft:
    """Draft a note for ``context``; ``model`` (tests) overrides the configured provider."""
    provider: str = config.provider
    if model is None and provider != "template":
        try:
            model = chat_model(config)
        except Exception as exc:  # a misconfigured provider must not block the adjuster
            reason = _reason(context, _provider_reason(exc, provider))
            return _fallback(context, config, provider, 0, "", [reason])
    if model is None:
        return _template_draft(context)
    if provider == "template":
        provider = _provider_name(model)
    return _model_draft(context, config, model, provider)


def deadline_s(config: AssistConfig) -> float:
    """Wall-clock bound of one model call, transport retries included.

    The client's own timeout bounds each HTTP exchange; this bounds the whole call, which
    also covers a server that trickles a streamed reply, or a client with no timeout.
    """
    return (config.timeout_s + _RETRY_SLACK_S) * (config.max_retries + 1)


def note_hash(note: ReviewNote) -> str:
    canonical = json.dumps(
        note.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _model_draft(
    context: DraftContext, config: AssistConfig, model: BaseChatModel, provider: str
) -> Draft:
    try:
        runnable = structured(model, method=config.structured_output)
    except Exception as exc:  # a model class that cannot be constrained at all
        reason = _reason(context, _provider_reason(exc, provider))
        return _fallback(context, config, provider, 0, "", [reason], model)
    reasons: list[str] = []
    violations: Sequence[Violation] = ()
    sent = ""
    for attempt in (1, 2):
        messages = build_messages(context, violations=violations)
        sent = prompt_hash(messages)
        try:
            note = _invoke(runnable, messages, config, provider)
        except (ProviderError, NoteFormatError) as exc:
            reasons.append(_reason(context, _error_reason(exc, config)))
            return _fallback(context, config, provider, attempt, sent, reasons, model)
        violations = check_draft(note, context)
        if not violations:
            try:
                rendered = render_note(note, context)
            except (SlotError, ValueError) as exc:  # the guard renders every slot it accepts
                reasons.append(_reason(context, f"render: {exc}"))
                return _fallback(context, config, provider, attempt, sent, reasons, model)
            return Draft(
                note=rendered,
                provider=provider,
                model=_model_name(model, config),
                verdict="pass" if attempt == 1 else "retried",
                attempts=attempt,
                reasons=tuple(reasons),
                prompt_template_hash=prompt_template_hash(),
                prompt_hash=sent,
                output_hash=note_hash(rendered),
                claim_id=context.claim_id,
            )
        reasons += [_reason(context, _violation_reason(v)) for v in violations]
    return _fallback(context, config, provider, 2, sent, reasons, model)


def _invoke(
    runnable: Runnable[LanguageModelInput, NoteDraft],
    messages: list[BaseMessage],
    config: AssistConfig,
    provider: str,
) -> NoteDraft:
    """Run one model call on a daemon thread and stop waiting at the deadline.

    An abandoned call finishes (or times out in its client) on its own; its result is
    dropped. Every exception is classified into ProviderError or NoteFormatError.
    """
    box: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

    def work() -> None:
        try:
            box.put((True, runnable.invoke(messages)))
        except Exception as exc:
            box.put((False, exc))

    limit = deadline_s(config)
    threading.Thread(target=work, name=f"review-note-{provider}", daemon=True).start()
    try:
        ok, value = box.get(timeout=limit)
    except queue.Empty:
        raise ProviderError(provider, "timeout") from None
    if ok:
        if not isinstance(value, NoteDraft):  # structured() promises a draft; trust nothing
            raise NoteFormatError(f"expected a NoteDraft, got {type(value).__name__}")
        return value
    raise provider_error(value, provider)


def _template_draft(context: DraftContext) -> Draft:
    note = template_note(context)
    problems = _template_problems(context)
    return Draft(
        note=note,
        provider="template",
        model="",
        verdict="fallback" if problems else "pass",
        attempts=0,
        reasons=tuple(problems),
        prompt_template_hash=prompt_template_hash(),
        prompt_hash="",
        output_hash=note_hash(note),
        claim_id=context.claim_id,
    )


def _fallback(
    context: DraftContext,
    config: AssistConfig,
    provider: str,
    attempts: int,
    sent: str,
    reasons: Sequence[str],
    model: BaseChatModel | None = None,
) -> Draft:
    """The template's note, with why the model's was not used (and any template flaw)."""
    note = template_note(context)
    problems = _template_problems(context)
    return Draft(
        note=note,
        provider=provider,
        model=_model_name(model, config),
        verdict="fallback",
        attempts=attempts,
        reasons=(*reasons, *problems),
        prompt_template_hash=prompt_template_hash(),
        prompt_hash=sent,
        output_hash=note_hash(note),
        claim_id=context.claim_id,
    )


def _template_problems(context: DraftContext) -> list[str]:
    """A template draft failing the guard is a bug; it is reported, never hidden."""
    violations = check_draft(template_draft(context), context)
    return [_reason(context, "template " + _violation_reason(v)) for v in violations]


def _error_reason(exc: ProviderError | NoteFormatError, config: AssistConfig) -> str:
    if isinstance(exc, NoteFormatError):
        return f"format: {exc.path}: {exc.reason}" if exc.path else f"format: {exc.reason}"
    if exc.reason == "timeout":
        return (
            f"provider: timeout ({exc.provider}, timeout_s={config.timeout_s:g}, "
            f"max_retries={config.max_retries})"
        )
    return f"provider: {exc.reason} ({exc.provider})"


def _provider_reason(exc: Exception, provider: str) -> str:
    error = provider_error(exc, provider)
    return f"provider: {error.reason if isinstance(error, ProviderError) else error}"


def _violation_reason(violation: Violation) -> str:
    return f"{violation.code} {violation.path}: {violation.message}"


def _reason(context: DraftContext, text: str) -> str:
    """Reasons go into the audit trail: redacted (they may quote a model), and bounded."""
    text = " ".join(context.redactor.redact(text).split())
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


def _provider_name(model: BaseChatModel) -> str:
    try:
        return str(model._llm_type)
    except Exception:  # a model class that leaves it abstract
        return type(model).__name__


def _model_name(model: BaseChatModel | None, config: AssistConfig) -> str:
    if config.model or model is None:
        return config.model
    for attribute in ("model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str):
            return value
    return ""

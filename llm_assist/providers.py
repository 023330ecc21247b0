"""LangChain chat models for the ``openai`` and ``ollama`` providers, and their one output shape.

Every provider is reduced to the same contract: :func:`structured` turns a chat model into a
runnable that returns a validated :class:`~llm_assist.note.NoteDraft` (a draft with slots)
or raises :class:`~llm_assist.errors.NoteFormatError`; :func:`provider_error` turns anything else a
provider can throw (timeouts, refused connections, HTTP errors, SDK surprises) into
:class:`~llm_assist.errors.ProviderError`. Drafting then needs to know only those two errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
import openai
from langchain_core.exceptions import (
    ModelConnectionError,
    ModelTimeoutError,
    OutputParserException,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI
from pydantic import SecretStr, ValidationError

from engine.strict_json import StrictJsonError, loads_strict
from llm_assist.config import AssistConfig, StructuredMethod
from llm_assist.errors import NoteFormatError, ProviderError
from llm_assist.note import NoteDraft

__all__ = [
    "NO_API_KEY",
    "StructuredMethod",
    "chat_model",
    "parse_note",
    "provider_error",
    "structured",
]


# Local servers (vLLM, llama.cpp, Ollama's OpenAI endpoint) ignore the key, but the OpenAI
# client refuses to start without one; an explicit placeholder also stops it from silently
# picking up an OPENAI_API_KEY from the environment and sending it to a third-party base_url.
NO_API_KEY = "not-needed"

_FENCE = re.compile(r"\A```(?:json|JSON)?[ \t]*\n(?P<body>.*?)\n?```\Z", re.DOTALL)
_REASON_LIMIT = 300
_STATUS_PREFIX = re.compile(r"^Error code: \d+ - ")  # the OpenAI SDK's, redundant here


def chat_model(config: AssistConfig) -> BaseChatModel | None:
    """The configured chat model, or ``None`` for the ``template`` provider.

    Only construction happens here (no network): a bad ``base_url`` or a server that is down
    surfaces on the first call, where drafting falls back to the template.
    """
    if config.provider == "template":
        return None
    if not config.model:
        raise ProviderError(config.provider, "no model configured")
    if config.provider == "openai":
        return ChatOpenAI(
            model=config.model,
            base_url=config.base_url,
            api_key=SecretStr(config.api_key or NO_API_KEY),
            timeout=config.timeout_s,
            max_retries=config.max_retries,
            temperature=config.temperature,
            # Chat Completions is what every OpenAI-compatible server implements; the
            # Responses API is OpenAI's own and would be picked for some model names.
            use_responses_api=False,
        )
    # Ollama's client has no retries of its own; its timeout bounds each HTTP exchange.
    return ChatOllama(
        model=config.model,
        base_url=config.base_url,
        temperature=config.temperature,
        client_kwargs={"timeout": config.timeout_s},
    )


def structured(
    model: BaseChatModel, *, method: StructuredMethod | None = None
) -> Runnable[LanguageModelInput, NoteDraft]:
    """``model`` constrained to :class:`NoteDraft`: returns a note or raises NoteFormatError
    (provider failures pass through, for :func:`provider_error`).

    Where the model supports it, ``with_structured_output`` is used (``json_schema`` by
    default for OpenAI-compatible servers and Ollama, i.e. constrained decoding with no tool
    offered to the model; ``function_calling`` for models that only have ``bind_tools``).
    A model without either is asked for plain JSON and read by the strict :func:`parse_note`.
    ``include_raw`` keeps the raw reply so a failed parse is reported with its JSON path.
    """
    bound: Runnable[LanguageModelInput, Any]
    if isinstance(model, ChatOpenAI | ChatOllama):
        bound = model.with_structured_output(
            NoteDraft, method=method or "json_schema", include_raw=True
        )
    elif type(model).bind_tools is not BaseChatModel.bind_tools:
        bound = model.with_structured_output(NoteDraft, include_raw=True)
    else:
        return _reading_errors(model | RunnableLambda(_note_from_message, name="parse_note"))
    return _reading_errors(bound | RunnableLambda(_settle, name="settle_note"))


def _reading_errors(
    inner: Runnable[LanguageModelInput, NoteDraft],
) -> Runnable[LanguageModelInput, NoteDraft]:
    """Reply-shape errors raised inside a client (the OpenAI SDK validates json_schema
    replies itself) become NoteFormatError; provider failures pass through untouched."""

    def call(value: LanguageModelInput, config: RunnableConfig) -> NoteDraft:
        try:
            return inner.invoke(value, config)
        except ValidationError as exc:
            raise _format_error(exc) from None
        except (OutputParserException, json.JSONDecodeError) as exc:
            raise NoteFormatError(_clip(_message(exc))) from None

    return RunnableLambda(call, name="review_note")


def parse_note(text: str) -> NoteDraft:
    """Strictly read a model's text reply as a NoteDraft.

    Exactly one JSON object, optionally inside one Markdown ```json fence (small models add
    it even when told not to); nothing before or after it, no unknown fields, every field
    valid. Anything else raises :class:`NoteFormatError` with the JSON path of the problem.
    """
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced is not None:
        body = fenced.group("body").strip()
    if not body:
        raise NoteFormatError("empty reply, expected one JSON object")
    try:
        value = loads_strict(body)
    except json.JSONDecodeError as exc:
        reason = f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise NoteFormatError(reason) from None
    except StrictJsonError as exc:
        raise NoteFormatError(_refusal(exc)) from None
    except ValueError as exc:  # an integer with too many digits
        raise NoteFormatError(str(exc)) from None
    if not isinstance(value, dict):
        raise NoteFormatError(f"expected one JSON object, got {type(value).__name__}")
    return note_from_json(value)


def note_from_json(value: Mapping[str, Any]) -> NoteDraft:
    """Validate an already decoded object (tool-call arguments) as a NoteDraft."""
    try:
        return NoteDraft.model_validate(dict(value))
    except ValidationError as exc:
        raise _format_error(exc) from None


def provider_error(exc: BaseException, provider: str) -> ProviderError | NoteFormatError:
    """Classify anything a model call raised: a bad reply, or a provider that failed."""
    if isinstance(exc, NoteFormatError | ProviderError):
        return exc
    if isinstance(exc, ValidationError):  # the OpenAI SDK validates json_schema replies itself
        return _format_error(exc)
    if isinstance(exc, OutputParserException | json.JSONDecodeError):
        return NoteFormatError(_clip(str(exc)))
    if _is_timeout(exc):
        return ProviderError(provider, "timeout")
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        detail = _STATUS_PREFIX.sub("", _message(exc))
        return ProviderError(provider, _clip(f"HTTP {status}: {detail}"))
    if isinstance(
        exc,
        httpx.TransportError | ConnectionError | openai.APIConnectionError | ModelConnectionError,
    ):
        return ProviderError(provider, _clip(f"connection failed: {_message(exc)}"))
    return ProviderError(provider, _clip(f"{type(exc).__name__}: {_message(exc)}"))


def _settle(output: Any) -> NoteDraft:
    """The ``include_raw`` triple to a note, or the precise reason there is none."""
    if not isinstance(output, Mapping):
        raise NoteFormatError(f"unexpected structured output {type(output).__name__}")
    parsed = output.get("parsed")
    if isinstance(parsed, NoteDraft):
        return parsed
    raw = output.get("raw")
    if not isinstance(raw, BaseMessage):
        raise NoteFormatError("the model returned no message")
    error = output.get("parsing_error")
    if isinstance(error, ValidationError):
        raise _format_error(error)
    # Re-reading the raw reply gives a path-precise reason, and accepts a JSON answer in the
    # text when a model ignored the tool it was bound to.
    return _note_from_message(raw)


def _note_from_message(message: BaseMessage) -> NoteDraft:
    if isinstance(message, AIMessage) and message.tool_calls:
        if len(message.tool_calls) != 1:
            raise NoteFormatError(f"expected one tool call, got {len(message.tool_calls)}")
        return note_from_json(message.tool_calls[0]["args"])
    if isinstance(message, AIMessage) and message.invalid_tool_calls:
        bad = message.invalid_tool_calls[0]
        raise NoteFormatError(_clip(f"tool call arguments are not JSON: {bad.get('error')}"))
    return parse_note(str(message.text))


def _format_error(exc: ValidationError) -> NoteFormatError:
    first = exc.errors(include_url=False)[0]
    path = ".".join(str(part) for part in first["loc"])
    count = exc.error_count()
    more = f" (and {count - 1} more)" if count > 1 else ""
    return NoteFormatError(_clip(f"{first['msg']}{more}"), path)


def _is_timeout(exc: BaseException) -> bool:
    """Timeouts by type along the cause chain: SDKs wrap httpx's own timeout errors."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(
            seen, TimeoutError | httpx.TimeoutException | openai.APITimeoutError | ModelTimeoutError
        ):
            return True
        # openai bundles its own httpx fork (httpx2): its timeouts are matched by name.
        if type(seen).__name__ in {"ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout"}:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _message(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _clip(text: str) -> str:
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


def _refusal(exc: StrictJsonError) -> str:
    """This module's wording of a strict-JSON refusal (replies and logs already use it)."""
    if exc.kind == "constant":
        return f"not JSON: {exc.token} is not a JSON number"
    return f"repeated key {exc.token!r}"

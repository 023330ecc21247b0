"""Providers end to end, offline: the real ChatOpenAI and ChatOllama clients against a stub
server on 127.0.0.1 (structured output both ways, bad replies, timeouts, transport retries),
the strict parser, and the classification of everything a provider can raise."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from llm_assist.config import AssistConfig
from llm_assist.context import DraftContext
from llm_assist.drafting import draft_review_note
from llm_assist.errors import NoteFormatError, ProviderError
from llm_assist.note import NoteDraft
from llm_assist.prompts import build_messages, prompt_hash
from llm_assist.providers import NO_API_KEY, chat_model, parse_note, provider_error, structured
from llm_assist.template import template_draft, template_note
from tests.llm_assist.fakes import (
    StubOpenAIServer,
    StubReply,
    ToolCallingFakeChatModel,
    context_for,
    example,
)

NOTE: dict[str, Any] = {
    "summary": "{outcome}{payable}。",
    "findings": [{"rule_id": "determination", "line_id": None, "text": "{status:determination}"}],
    "missing_information": [],
    "next_steps": ["{action}"],
    "member_reminders": ["human_explanation_and_review"],
    "decision_echo": "approve",
}
FAST_RETRY = {"retry-after-ms": "1"}  # the SDK honours it: retries without back-off sleeps


def openai_config(stub: StubOpenAIServer, **overrides: Any) -> AssistConfig:
    settings: dict[str, Any] = {
        "provider": "openai",
        "model": "qwen2.5-7b-instruct",
        "base_url": stub.base_url,
        "timeout_s": 5.0,
        "max_retries": 0,
    }
    return AssistConfig(**(settings | overrides))


def openai_model(stub: StubOpenAIServer, **overrides: Any) -> ChatOpenAI:
    model = chat_model(openai_config(stub, **overrides))
    assert isinstance(model, ChatOpenAI)
    return model


def secret(model: ChatOpenAI) -> str:
    key = model.openai_api_key
    assert isinstance(key, SecretStr)
    return key.get_secret_value()


# --- construction -----------------------------------------------------------------------------


def test_template_provider_has_no_model() -> None:
    assert chat_model(AssistConfig()) is None


def test_openai_model_carries_every_setting() -> None:
    config = AssistConfig(
        provider="openai",
        model="deepseek-chat",
        base_url="http://127.0.0.1:9/v1",
        timeout_s=7.5,
        max_retries=3,
        temperature=0.2,
    )
    model = chat_model(config)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "deepseek-chat"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.request_timeout == 7.5
    assert model.max_retries == 3
    assert model.temperature == 0.2
    assert model.use_responses_api is False
    assert secret(model) == NO_API_KEY


def test_openai_key_is_never_taken_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party base_url must not receive the operator's OpenAI key by accident."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-secret")
    model = chat_model(AssistConfig(provider="openai", model="m", base_url="http://127.0.0.1:9"))
    assert isinstance(model, ChatOpenAI)
    assert secret(model) == NO_API_KEY
    explicit = chat_model(AssistConfig(provider="openai", model="m", api_key="sk-given"))
    assert isinstance(explicit, ChatOpenAI)
    assert secret(explicit) == "sk-given"


def test_ollama_model_carries_every_setting() -> None:
    config = AssistConfig(
        provider="ollama", model="qwen2.5:7b", base_url="http://127.0.0.1:9", timeout_s=4.0
    )
    model = chat_model(config)
    assert isinstance(model, ChatOllama)
    assert (model.model, model.base_url, model.temperature) == ("qwen2.5:7b", config.base_url, 0.0)
    assert model.client_kwargs == {"timeout": 4.0}
    assert model._client is not None
    assert model._client._client.timeout == httpx.Timeout(4.0)


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_a_provider_without_a_model_name_is_refused(provider: str) -> None:
    with pytest.raises(ProviderError, match="no model configured"):
        chat_model(AssistConfig(provider=provider))  # type: ignore[arg-type]


# --- ChatOpenAI through the stub ----------------------------------------------------------------


def test_openai_json_schema_structured_output_end_to_end() -> None:
    with StubOpenAIServer([NOTE]) as stub:
        note = structured(openai_model(stub)).invoke("draft")
    assert note == NoteDraft.model_validate(NOTE)
    [request] = stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "qwen2.5-7b-instruct"
    assert request.body["temperature"] == 0.0
    fmt = request.body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "NoteDraft"
    described = json.dumps(fmt["json_schema"]["schema"])
    assert "{payable}" in described and "{due_date:CLOCK}" in described  # the slots travel
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert "tools" not in request.body  # structured output, no tool offered


def test_openai_function_calling_structured_output_end_to_end() -> None:
    with StubOpenAIServer([NOTE]) as stub:
        note = structured(openai_model(stub), method="function_calling").invoke("draft")
    assert note == NoteDraft.model_validate(NOTE)
    [request] = stub.requests
    assert [t["function"]["name"] for t in request.body["tools"]] == ["NoteDraft"]
    assert request.body["tool_choice"] == {"type": "function", "function": {"name": "NoteDraft"}}


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
@pytest.mark.parametrize(
    ("reply", "path", "reason"),
    [
        (StubReply(content="approve it!"), "", "JSON"),
        (StubReply(note={**NOTE, "approved": True}), "approved", "Extra inputs"),
        (StubReply(note={**NOTE, "decision_echo": "paid"}), "decision_echo", "Input should be"),
        (
            StubReply(note={k: v for k, v in NOTE.items() if k != "findings"}),
            "findings",
            "required",
        ),
    ],
)
def test_openai_bad_replies_are_note_format_errors(
    method: Any, reply: StubReply, path: str, reason: str
) -> None:
    with StubOpenAIServer([reply]) as stub, pytest.raises(NoteFormatError) as caught:
        structured(openai_model(stub), method=method).invoke("draft")
    assert caught.value.path == path
    assert reason in caught.value.reason


def test_openai_timeout_is_classified_and_bounded() -> None:
    with StubOpenAIServer([StubReply(note=NOTE, delay=5.0)]) as stub:
        started = time.monotonic()
        with pytest.raises(Exception) as caught:
            structured(openai_model(stub, timeout_s=0.3)).invoke("draft")
        elapsed = time.monotonic() - started
    error = provider_error(caught.value, "openai")
    assert isinstance(error, ProviderError) and error.reason == "timeout"
    assert elapsed < 2.0
    assert len(stub.requests) == 1


@pytest.mark.parametrize("max_retries", [0, 1, 2])
def test_openai_transport_retries_follow_max_retries(max_retries: int) -> None:
    failures = [StubReply(status=503, error="overloaded", headers=FAST_RETRY)] * 3
    with StubOpenAIServer(failures) as stub, pytest.raises(Exception) as caught:
        structured(openai_model(stub, max_retries=max_retries)).invoke("draft")
    assert len(stub.requests) == max_retries + 1
    error = provider_error(caught.value, "openai")
    assert isinstance(error, ProviderError)
    assert error.reason == "HTTP 503: overloaded"


def test_a_retry_that_succeeds_gives_the_note() -> None:
    replies = [StubReply(status=500, error="boom", headers=FAST_RETRY), StubReply(note=NOTE)]
    with StubOpenAIServer(replies) as stub:
        note = structured(openai_model(stub, max_retries=1)).invoke("draft")
    assert note.decision_echo == "approve"
    assert len(stub.requests) == 2


def test_a_refused_connection_is_a_provider_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = AssistConfig(
        provider="openai", model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )
    model = chat_model(config)
    assert model is not None
    with pytest.raises(Exception) as caught:
        structured(model).invoke("draft")
    error = provider_error(caught.value, "openai")
    assert isinstance(error, ProviderError)
    assert error.reason.startswith("connection failed")


# --- ChatOllama through the stub ----------------------------------------------------------------


def test_ollama_structured_output_end_to_end() -> None:
    with StubOpenAIServer([NOTE, NOTE]) as stub:
        config = AssistConfig(provider="ollama", model="qwen2.5:7b", base_url=stub.ollama_url)
        model = chat_model(config)
        assert model is not None
        assert structured(model).invoke("draft") == NoteDraft.model_validate(NOTE)
        tooled = structured(model, method="function_calling").invoke("draft")
    assert tooled == NoteDraft.model_validate(NOTE)
    first, second = stub.requests
    assert first.path == "/api/chat"
    assert first.body["format"]["title"] == "NoteDraft"
    assert first.body["options"]["temperature"] == 0.0
    assert [t["function"]["name"] for t in second.body["tools"]] == ["NoteDraft"]


def test_ollama_bad_reply_is_a_note_format_error() -> None:
    with StubOpenAIServer([StubReply(note={**NOTE, "summary": ""})]) as stub:
        model = chat_model(AssistConfig(provider="ollama", model="m", base_url=stub.ollama_url))
        assert model is not None
        with pytest.raises(NoteFormatError) as caught:
            structured(model).invoke("draft")
    assert caught.value.path == "summary"


def test_ollama_timeout_is_classified() -> None:
    with StubOpenAIServer([StubReply(note=NOTE, delay=5.0)]) as stub:
        config = AssistConfig(provider="ollama", model="m", base_url=stub.ollama_url, timeout_s=0.3)
        model = chat_model(config)
        assert model is not None
        started = time.monotonic()
        with pytest.raises(Exception) as caught:
            structured(model).invoke("draft")
        assert time.monotonic() - started < 2.0
    error = provider_error(caught.value, "ollama")
    assert isinstance(error, ProviderError) and error.reason == "timeout"


# --- models without structured output: the strict parser ----------------------------------------


def test_tool_calling_fake_goes_through_bind_tools() -> None:
    fake = ToolCallingFakeChatModel(replies=[NOTE])
    assert structured(fake).invoke("draft") == NoteDraft.model_validate(NOTE)
    [kwargs] = fake.call_kwargs
    assert [t["function"]["name"] for t in kwargs["tools"]] == ["NoteDraft"]


def test_a_tool_model_answering_in_text_is_still_read_strictly() -> None:
    fake = ToolCallingFakeChatModel(replies=[json.dumps(NOTE), "approved!"])
    assert structured(fake).invoke("draft").decision_echo == "approve"
    with pytest.raises(NoteFormatError, match="not JSON"):
        structured(fake).invoke("draft")


def test_a_model_without_tools_is_read_by_the_strict_parser() -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    model = FakeListChatModel(responses=["```json\n" + json.dumps(NOTE) + "\n```", "{}"])
    assert structured(model).invoke("draft") == NoteDraft.model_validate(NOTE)
    with pytest.raises(NoteFormatError) as caught:
        structured(model).invoke("draft")
    assert caught.value.path == "summary"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty reply"),
        ("Sure! " + json.dumps(NOTE), "not JSON"),
        (json.dumps(NOTE) + " Hope this helps", "not JSON"),
        (json.dumps([NOTE]), "expected one JSON object, got list"),
        (json.dumps(NOTE)[:-1] + ', "summary": "again"}', "repeated key 'summary'"),
        (json.dumps(NOTE).replace("[]", "NaN", 1), "NaN is not a JSON number"),
        ("```json\n" + json.dumps(NOTE) + "\n```\n```json\n{}\n```", "not JSON"),
    ],
)
def test_parse_note_refuses_anything_but_one_object(text: str, match: str) -> None:
    with pytest.raises(NoteFormatError, match=match):
        parse_note(text)


def test_parse_note_names_the_path_of_the_problem() -> None:
    bad = {**NOTE, "findings": [{"text": "x", "rule_id": "waiting_period", "line_id": "two"}]}
    with pytest.raises(NoteFormatError) as caught:
        parse_note(json.dumps(bad))
    assert caught.value.path == "findings.0.line_id"
    assert str(caught.value).startswith("findings.0.line_id: ")


_TEXT = st.text(min_size=1, max_size=40)
_NOTES: st.SearchStrategy[dict[str, Any]] = st.builds(
    dict,
    summary=_TEXT,
    findings=st.lists(
        st.fixed_dictionaries(
            {
                "rule_id": _TEXT,
                "line_id": st.none() | st.integers(min_value=1, max_value=99),
                "text": st.text(max_size=40),
            }
        ),
        max_size=3,
    ),
    missing_information=st.lists(_TEXT, max_size=3),
    next_steps=st.lists(_TEXT, max_size=3),
    member_reminders=st.lists(_TEXT, max_size=2),
    decision_echo=st.sampled_from(["approve", "partial", "deny", "pend", "refer"]),
)


@given(_NOTES, st.booleans(), st.sampled_from(["", "  ", "\n"]))
def test_parse_note_reads_every_valid_note(note: dict[str, Any], fenced: bool, pad: str) -> None:
    text = json.dumps(note, ensure_ascii=False)
    if fenced:
        text = f"```json\n{text}\n```"
    assert parse_note(pad + text + pad) == NoteDraft.model_validate(note)


@pytest.mark.parametrize(
    ("exc", "kind", "reason"),
    [
        (TimeoutError("slow"), ProviderError, "timeout"),
        (httpx.ReadTimeout("slow"), ProviderError, "timeout"),
        (ConnectionError("refused"), ProviderError, "connection failed: refused"),
        (RuntimeError("odd\n  failure"), ProviderError, "RuntimeError: odd failure"),
        (json.JSONDecodeError("bad", "x", 0), NoteFormatError, "bad: line 1 column 1 (char 0)"),
    ],
)
def test_provider_error_classifies(exc: Exception, kind: type, reason: str) -> None:
    error = provider_error(exc, "openai")
    assert type(error) is kind
    assert error.reason == reason


def test_provider_error_finds_a_timeout_behind_a_wrapper() -> None:
    try:
        try:
            raise httpx.ConnectTimeout("connect")
        except httpx.ConnectTimeout as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        error = provider_error(outer, "ollama")
    assert isinstance(error, ProviderError) and error.reason == "timeout"


# --- drafting through the stub: the whole path, with the configured provider --------------------


@pytest.fixture(scope="module")
def pend() -> DraftContext:
    return context_for(example("03-pend-missing-discharge-summary"))


def test_a_draft_through_chat_openai_passes(pend: DraftContext) -> None:
    reply = template_draft(pend).model_dump(mode="json")
    with StubOpenAIServer([reply]) as stub:
        result = draft_review_note(pend, openai_config(stub))
    assert (result.verdict, result.attempts, result.provider) == ("pass", 1, "openai")
    [request] = stub.requests
    sent = [m["content"] for m in request.body["messages"]]
    assert sent == [m.content for m in build_messages(pend)]
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    assert result.prompt_hash == prompt_hash(build_messages(pend))


def test_a_bad_json_reply_through_chat_openai_falls_back(pend: DraftContext) -> None:
    with StubOpenAIServer(['{"summary": "approved"']) as stub:
        result = draft_review_note(pend, openai_config(stub))
    assert result.verdict == "fallback"
    assert result.note == template_note(pend)
    [reason] = result.reasons
    assert reason.startswith("format: ") and "JSON" in reason
    assert len(stub.requests) == 1


def test_a_timeout_through_chat_openai_falls_back_in_time(pend: DraftContext) -> None:
    reply = template_draft(pend).model_dump(mode="json")
    with StubOpenAIServer([StubReply(note=reply, delay=5.0)]) as stub:
        started = time.monotonic()
        result = draft_review_note(pend, openai_config(stub, timeout_s=0.4))
        elapsed = time.monotonic() - started
    assert result.verdict == "fallback"
    assert result.reasons == ("provider: timeout (openai, timeout_s=0.4, max_retries=0)",)
    assert 0.4 <= elapsed < 1.5
    assert result.note.decision_echo == "pend"


def test_transport_retries_happen_inside_one_attempt(pend: DraftContext) -> None:
    reply = template_draft(pend).model_dump(mode="json")
    replies: list[Any] = [StubReply(status=502, error="bad gateway", headers=FAST_RETRY), reply]
    with StubOpenAIServer(replies) as stub:
        result = draft_review_note(pend, openai_config(stub, max_retries=1))
    assert (result.verdict, result.attempts) == ("pass", 1)
    assert len(stub.requests) == 2


def test_a_server_error_through_chat_openai_falls_back(pend: DraftContext) -> None:
    failures = [StubReply(status=500, error="model not loaded", headers=FAST_RETRY)] * 2
    with StubOpenAIServer(failures) as stub:
        result = draft_review_note(pend, openai_config(stub, max_retries=1))
    assert result.verdict == "fallback"
    assert result.reasons == ("provider: HTTP 500: model not loaded (openai)",)
    assert len(stub.requests) == 2


def test_a_draft_through_chat_ollama(pend: DraftContext) -> None:
    wrong = {**template_draft(pend).model_dump(mode="json"), "decision_echo": "approve"}
    with StubOpenAIServer([wrong, template_draft(pend).model_dump(mode="json")]) as stub:
        config = AssistConfig(provider="ollama", model="qwen2.5:7b", base_url=stub.ollama_url)
        result = draft_review_note(pend, config)
    assert (result.verdict, result.attempts, result.provider) == ("retried", 2, "ollama")
    assert result.model == "qwen2.5:7b"
    assert "ECHO-MISMATCH" in stub.requests[1].body["messages"][2]["content"]

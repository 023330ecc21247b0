"""Offline stand-ins for language models: a scripted LangChain chat model and a stub server.

``ToolCallingFakeChatModel`` is a real :class:`BaseChatModel` (so ``with_structured_output``
runs LangChain's own tool-calling path) that records every prompt it receives.
``StubOpenAIServer`` is a real HTTP server on 127.0.0.1 speaking enough of the OpenAI Chat
Completions API (and of Ollama's ``/api/chat``) to drive the real ``ChatOpenAI`` and
``ChatOllama`` clients end to end, with scripted replies, recorded requests and delays.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from api.routing import ruleset_for_claim
from engine.claim import Claim, load_claim
from engine.decision import Decision
from engine.evaluate import evaluate, load_program
from engine.program import Program
from llm_assist.context import DraftContext, build_context
from llm_assist.rights import RightsBase, load_rights

__all__ = [
    "AS_OF",
    "EXAMPLE_CLAIMS",
    "Delay",
    "ScriptExhausted",
    "StubOpenAIServer",
    "StubReply",
    "ToolCallingFakeChatModel",
    "context_for",
    "decide",
    "example",
    "program",
    "prompt_text",
    "rights",
]


class ScriptExhausted(AssertionError):
    """The code under test called a model more often than the test scripted."""


@dataclass(frozen=True)
class Delay:
    """Sleep, then give ``reply`` (to provoke timeouts)."""

    seconds: float
    reply: Any


# A scripted reply: a ReviewNote-shaped mapping (a tool call when tools are bound, JSON text
# otherwise), raw text, a ready AIMessage, an exception to raise, a Delay, or a callable that
# computes one of these from the prompt it receives.
Reply = Any


class ToolCallingFakeChatModel(BaseChatModel):
    """A scripted chat model that supports ``bind_tools`` and records every prompt."""

    replies: list[Any] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    call_kwargs: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """A bound view of this same model, so the recorded prompts are shared."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(list(messages))
        self.call_kwargs.append(dict(kwargs))
        if not self.replies:
            raise ScriptExhausted(f"model called {len(self.prompts)} times, script too short")
        reply = self.replies.pop(0)
        message = _message(reply, messages, kwargs.get("tools") or [], len(self.prompts))
        return ChatResult(generations=[ChatGeneration(message=message)])


def _message(reply: Reply, prompt: list[BaseMessage], tools: list[Any], n: int) -> AIMessage:
    while True:
        if isinstance(reply, Delay):
            time.sleep(reply.seconds)
            reply = reply.reply
        elif callable(reply) and not isinstance(reply, type):
            reply = reply(prompt)
        else:
            break
    if isinstance(reply, BaseException):
        raise reply
    if isinstance(reply, AIMessage):
        return reply
    if isinstance(reply, str):
        return AIMessage(content=reply)
    if isinstance(reply, Mapping):
        if tools:
            name = tools[0]["function"]["name"]
            call = {"name": name, "args": dict(reply), "id": f"call_{n}", "type": "tool_call"}
            return AIMessage(content="", tool_calls=[call])
        return AIMessage(content=json.dumps(reply, ensure_ascii=False))
    raise TypeError(f"cannot script a reply of type {type(reply).__name__}")


def prompt_text(messages: Sequence[BaseMessage]) -> str:
    """Every message of one prompt as one text, for containment checks."""
    return "\n".join(str(m.text) for m in messages)


# --------------------------------------------------------------------------------------------
# The stub OpenAI-compatible (and Ollama) server
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StubReply:
    """One scripted HTTP reply.

    ``note`` is a ReviewNote-shaped object sent the way the request asked for it (a tool call
    when the request offers tools, JSON message content otherwise); ``content`` is raw
    message content; ``status`` other than 200 sends ``error`` as an OpenAI error body.
    """

    note: Mapping[str, Any] | None = None
    content: str | None = None
    status: int = 200
    error: str = "stub error"
    delay: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    path: str
    body: dict[str, Any]
    at: float


class StubOpenAIServer:
    """A scripted OpenAI Chat Completions (and Ollama /api/chat) server on 127.0.0.1.

    Use as a context manager; ``base_url`` is for ChatOpenAI, ``ollama_url`` for ChatOllama.
    Replies are consumed in order; an exhausted script answers HTTP 500 (and the test sees
    it as a provider failure). Every request body is recorded in ``requests``.
    """

    def __init__(self, replies: Sequence[StubReply | Mapping[str, Any] | str] = ()) -> None:
        self.replies: list[StubReply] = [_as_stub_reply(r) for r in replies]
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: _StubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def script(self, *replies: StubReply | Mapping[str, Any] | str) -> None:
        with self._lock:
            self.replies.extend(_as_stub_reply(r) for r in replies)

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the stub server is not running"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ollama_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StubOpenAIServer:
        self._httpd = _StubHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.stub = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # cuts scripted delays short
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next(self, path: str, body: dict[str, Any]) -> StubReply | None:
        with self._lock:
            self.requests.append(Recorded(path, body, time.monotonic()))
            return self.replies.pop(0) if self.replies else None

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; True when the reply should still be sent."""
        return not self._stop.wait(seconds)

    def _completion(self, body: dict[str, Any], reply: StubReply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        finish = "stop"
        if reply.note is not None:
            arguments = json.dumps(reply.note, ensure_ascii=False)
            tools = body.get("tools") or []
            if tools and reply.content is None:
                name = _tool_name(body, tools)
                call_id = f"call_{next(self._ids)}"
                function = {"name": name, "arguments": arguments}
                message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
                finish = "tool_calls"
            else:
                message["content"] = arguments
        return {
            "id": f"chatcmpl-stub-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1_750_000_000,
            "model": body.get("model", "stub"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    def _ollama_lines(self, body: dict[str, Any], reply: StubReply) -> Iterator[dict[str, Any]]:
        stamp = "2025-07-01T00:00:00Z"
        model = body.get("model", "stub")
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or ""}
        if reply.note is not None:
            if body.get("tools") and reply.content is None:
                name = _tool_name(body, body["tools"])
                message["tool_calls"] = [{"function": {"name": name, "arguments": reply.note}}]
            else:
                message["content"] = json.dumps(reply.note, ensure_ascii=False)
        yield {"model": model, "created_at": stamp, "message": message, "done": False}
        yield {
            "model": model,
            "created_at": stamp,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 1,
            "load_duration": 1,
            "prompt_eval_count": 10,
            "prompt_eval_duration": 1,
            "eval_count": 5,
            "eval_duration": 1,
        }


def _tool_name(body: Mapping[str, Any], tools: list[Any]) -> str:
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping):
        return str(choice["function"]["name"])
    return str(tools[0]["function"]["name"])


def _as_stub_reply(reply: StubReply | Mapping[str, Any] | str) -> StubReply:
    if isinstance(reply, StubReply):
        return reply
    if isinstance(reply, str):
        return StubReply(content=reply)
    return StubReply(note=reply)


class _StubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    stub: StubOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout test) is expected; anything else is loud."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _StubHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows the recorded requests when a test fails."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": {"message": "body is not JSON", "type": "invalid"}})
            return
        stub = self.server.stub
        path = self.path.split("?", 1)[0]
        if path not in ("/v1/chat/completions", "/api/chat"):
            self._send(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
            return
        reply = stub._next(path, body)
        if reply is None:
            self._send(500, {"error": {"message": "stub script exhausted", "type": "server"}})
            return
        if reply.delay and not stub._wait(reply.delay):
            return
        if reply.status != 200:
            error = {"error": {"message": reply.error, "type": "server_error", "code": None}}
            self._send(reply.status, error, reply.headers)
        elif path == "/api/chat":
            lines = stub._ollama_lines(body, reply)
            if body.get("stream", True):
                text = "".join(json.dumps(line) + "\n" for line in lines)
                self._send_raw(200, text.encode(), "application/x-ndjson", reply.headers)
            else:
                *_, last = lines
                first = next(stub._ollama_lines(body, reply))
                self._send(200, {**last, "message": first["message"]}, reply.headers)
        else:
            self._send(200, stub._completion(body, reply), reply.headers)

    def _send(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self._send_raw(status, data, "application/json", headers or {})

    def _send_raw(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str]
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:
            pass  # the client timed out and left


# --------------------------------------------------------------------------------------------
# Claims, decisions and contexts for the drafting tests
# --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CLAIMS = REPO / "examples" / "claims"
AS_OF = dt.datetime.fromisoformat("2025-07-01T09:00:00+08:00")


@functools.cache
def program(ruleset: str) -> Program:
    """A bundled ruleset, compiled once per test session."""
    return load_program(REPO / "rulesets" / ruleset)


@functools.cache
def rights() -> RightsBase:
    return load_rights()


def example(name: str) -> dict[str, Any]:
    """An example claim as a dict (``01-approve-reference`` or a file name)."""
    path = EXAMPLE_CLAIMS / (name if name.endswith(".json") else f"{name}.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def decide(claim: Claim | Mapping[str, Any]) -> Decision:
    """The engine's decision for ``claim`` on the ruleset the API would route it to."""
    parsed = claim if isinstance(claim, Claim) else load_claim(dict(claim))
    ruleset = ruleset_for_claim(parsed, REPO / "rulesets").name
    return evaluate(program(ruleset), parsed, as_of=AS_OF, backend="native")


def context_for(claim: Claim | Mapping[str, Any], *, language: str = "zh") -> DraftContext:
    parsed = claim if isinstance(claim, Claim) else load_claim(dict(claim))
    return build_context(parsed, decide(parsed), rights(), language=language)

"""The assistant's configuration: a plain object built by ``api.settings`` (no env here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["PROVIDERS", "STRUCTURED_METHODS", "AssistConfig", "Provider", "StructuredMethod"]

Provider = Literal["template", "openai", "ollama"]
PROVIDERS: tuple[Provider, ...] = ("template", "openai", "ollama")
StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
STRUCTURED_METHODS: tuple[StructuredMethod, ...] = ("json_schema", "function_calling", "json_mode")


@dataclass(frozen=True)
class AssistConfig:
    """Which drafter to use and how patiently.

    ``template`` needs no model. ``openai`` talks to any OpenAI-compatible ``base_url``
    (vLLM, llama.cpp server, DeepSeek, Qwen endpoints); ``ollama`` to an Ollama server.
    ``timeout_s`` bounds each model call and ``max_retries`` the transport retries of one
    call; the guard's single retry with the violations fed back is separate.
    """

    provider: Provider = "template"
    model: str = ""
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 20.0
    max_retries: int = 1
    temperature: float = 0.0
    structured_output: StructuredMethod = "json_schema"

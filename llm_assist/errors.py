"""Typed errors of the LLM assistant.

Hierarchy (each carries structured fields)::

    AssistError
    ├── RightsError           the rights knowledge base cannot be loaded; ``diagnostics`` lists
    │                         every problem with file:line:column and a suggestion
    ├── ProviderError         the model provider failed or timed out (``provider``, ``reason``);
    │                         drafting falls back to the template, it never blocks a decision
    └── NoteFormatError       a model's output is not a valid ReviewNote (``reason``, ``path``)

None of these reaches a member: the API turns them into problem+json responses, and
drafting turns provider and format errors into a ``fallback`` draft with the reason.
"""

from __future__ import annotations

from engine.errors import Diagnostic

__all__ = ["AssistError", "NoteFormatError", "ProviderError", "RightsError"]


class AssistError(Exception):
    """Base class of every error the assistant raises on purpose."""


class RightsError(AssistError):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        lines = "\n".join(f"  {d}" for d in diagnostics)
        super().__init__(f"the rights knowledge base is invalid ({len(diagnostics)}):\n{lines}")


class ProviderError(AssistError):
    def __init__(self, provider: str, reason: str) -> None:
        self.provider = provider
        self.reason = reason
        super().__init__(f"provider {provider}: {reason}")


class NoteFormatError(AssistError):
    def __init__(self, reason: str, path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)

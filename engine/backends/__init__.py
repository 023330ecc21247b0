"""Rule-matching backends. Both answer one question: which (rule, line) pairs match."""

from __future__ import annotations

from engine.backends.base import Backend, Matches, available_backends, default_backend, get_backend

__all__ = ["Backend", "Matches", "available_backends", "default_backend", "get_backend"]

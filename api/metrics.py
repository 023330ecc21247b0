"""Prometheus metrics of one app (its own registry, so several apps in one process agree)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    """Request counts and latencies by route, and decisions by outcome."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "claims_http_requests",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "claims_http_request_duration_seconds",
            "Time to handle an HTTP request",
            ["method", "route"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "claims_decisions",
            "Decisions appended to the audit trail",
            ["outcome", "source"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

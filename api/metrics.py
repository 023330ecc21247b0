"""Prometheus metrics of one app (its own registry, so several apps in one process agree)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    """Request counts and latencies by route, decisions by outcome, review notes by verdict."""

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
        self.review_notes = Counter(
            "claims_review_notes",
            "Review notes drafted and audited, by provider and guard verdict",
            ["provider", "verdict"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

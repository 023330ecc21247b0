"""Prometheus metrics of one app (its own registry, so several apps in one process agree)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    """Request counts and latencies by route, decisions by outcome, review notes by verdict,
    claims by the status of their state."""

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

        self.claims = Gauge(
            "claims_by_status",
            "Claims by the status of their state (the claim-state projection), at scrape time",
            ["status"],
            registry=self.registry,
        )

    def claim_statuses(self, counts: Mapping[str, int], statuses: tuple[str, ...]) -> None:
        """Set the claims gauge from the projection's counts (0 for a status none has)."""
        for status in statuses:
            self.claims.labels(status).set(counts.get(status, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)

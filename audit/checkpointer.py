"""Checkpoints by time when no append comes: the unsigned tail of an idle log is bounded too.

Appends already sign a checkpoint once the oldest unsigned event has waited
``AuditConfig.checkpoint_interval_s`` (:mod:`audit.store`), but the last events before a
quiet spell would stay unsigned until the next append. :class:`IdleCheckpointer` is a daemon
thread that looks every few seconds and signs one (through :func:`create_checkpoint`, so
only over a chain that verifies, and witnessed) when the tail has waited long enough. Every
process of the service may run one: the append lock serializes them, and a checkpoint at a
size already signed is not signed again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import Engine, select

from audit.chain import StoredCheckpoint
from audit.checkpoints import checkpoint_at_or_below, create_checkpoint
from audit.config import AuditConfig
from audit.errors import AuditError
from audit.models import EVENTS
from audit.store import chain_head, read_connection

__all__ = ["IdleCheckpointer", "checkpoint_if_due"]

_LOG = logging.getLogger("audit")


def _age_s(text: str | None, now: dt.datetime) -> float:
    try:
        then = dt.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:  # a junk row's timestamp: treat the tail as overdue
        return float("inf")
    return (now - then).total_seconds()


def checkpoint_if_due(engine: Engine, config: AuditConfig) -> StoredCheckpoint | None:
    """Sign a checkpoint at the head when events are unsigned and the oldest of them has
    waited ``config.checkpoint_interval_s``; ``None`` when none is due."""
    if not config.checkpoint_interval_s or not config.signer_key:
        return None
    with read_connection(engine) as conn:
        head, _ = chain_head(conn)
        base = checkpoint_at_or_below(conn, head)
        size = base.tree_size if base is not None else 0
        if head <= size:
            return None
        since = (
            base.created_at
            if base is not None
            else conn.execute(select(EVENTS.c.recorded_at).where(EVENTS.c.seq == 1)).scalar()
        )
    if _age_s(since, dt.datetime.now(dt.UTC)) < config.checkpoint_interval_s:
        return None
    return create_checkpoint(engine, config=config)


class IdleCheckpointer:
    """A daemon thread running :func:`checkpoint_if_due` every ``poll_s`` seconds."""

    def __init__(self, engine: Engine, config: AuditConfig, *, poll_s: float | None = None) -> None:
        self._engine = engine
        self._config = config
        interval = config.checkpoint_interval_s
        self._poll_s = poll_s if poll_s is not None else max(min(interval / 4, 15.0), 0.05)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self._config.checkpoint_interval_s and self._config.signer_key:
            self._thread = threading.Thread(
                target=self._run, name="audit-checkpointer", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._poll_s):
            try:
                checkpoint_if_due(self._engine, self._config)
            except AuditError as exc:  # a trail that does not verify: logged, retried later
                _LOG.error("audit: timed checkpoint not signed: %s", exc)
            except Exception:  # the database is down, say: try again at the next tick
                _LOG.exception("audit: timed checkpoint failed")

"""Throughput of the audit trail: appends, verify, inclusion proofs.

Run: ``python bench/audit.py [--events N] [--appends N] [--writers W] [--per-writer N]
[--pg-url URL | --no-postgres]``.

- **appends/s**: :func:`audit.store.append_event` end to end (canonical JSON, lock, head,
  insert, a signed checkpoint every 100 events, commit), with durable commits: SQLite in WAL
  with ``synchronous=FULL``, PostgreSQL with ``fsync`` and ``synchronous_commit`` on (both
  printed). One writer; W writer *processes* released together by a barrier (they contend
  for the append lock, each commit its own); W writer *threads* of one process, as in a
  service worker under load, whose concurrent appends group commit (``audit/batching.py``)
  writes in shared transactions.
- **verify**: :func:`audit.verification.verify_store` over ``--events`` events (default
  100,000) with a checkpoint every 100: every payload hash, entry hash, link, Merkle root
  and Ed25519 signature. The log is loaded in bulk first (the same rows ``append_event``
  would write, inserted in batches, not timed).
- **inclusion proofs** at that size: generating one from the database (read every entry
  hash, build the tree, take the path), one from a tree already built, and verifying one the
  way a member does (:func:`audit.verifier.verify_event_proof`: event JSON, proof, signed
  checkpoint, public key, entry hash recomputed).

Payloads are decision summaries of about 0.9 KB (claim id, outcome, amounts, reason codes,
ruleset identity); full decisions with their trace are ~12 KB, which costs hashing and I/O
in proportion. The default run takes about a minute on 2 cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench/ would shadow the ``engine`` package
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import Engine, text

from audit.canonical import canonical_json, sha256_hex
from audit.chain import (
    GENESIS_HASH,
    StoredEvent,
    entry_hash_of,
    event_document,
    format_timestamp,
)
from audit.checkpoint import generate_key, sign_checkpoint
from audit.checkpoints import inclusion_proof_for, merkle_tree
from audit.config import AuditConfig
from audit.db import create_engine, upgrade
from audit.merkle import InclusionProof, MerkleAccumulator, entry_leaf, inclusion_proof
from audit.models import CHECKPOINTS, EVENTS
from audit.store import append_event, read_connection
from audit.verification import verify_store
from audit.verifier import verify_event_proof

ORIGIN = "claims.example/audit-bench"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EVERY = 100


def payload(i: int) -> dict[str, Any]:
    return {
        "claim_id": f"CLM-2026-{i:06d}",
        "outcome": ("approve", "partial", "deny", "pend", "refer")[i % 5],
        "amounts": {
            "submitted": f"{23860 + i % 997}.50",
            "eligible": "14560.50",
            "deductible": "10000.00",
            "copay": "912.10",
            "payable": f"{3648 + i % 101}.40",
        },
        "lines": [
            {"line_id": n, "payable": f"{1000 + n}.00", "reason_codes": ["COV-LIMIT"]}
            for n in range(1, 4)
        ],
        "reasons": ["ELIG-WAITING", "DOC-MISSING", "FRAUD-DUP-INVOICE"][: 1 + i % 3],
        "ruleset": {
            "id": "cn-health",
            "version": "1.0.0",
            "content_hash": "sha256:" + "d07f93f72ee4f03a" * 4,
            "revision": "fa8e6d6",
        },
        "as_of": "2025-07-01T09:00:00+08:00",
        "explanation": "您的疾病在保单生效后第20天发生，仍在90天等待期内。" * 4,
    }


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------


class Target:
    """A fresh, migrated store (a temporary SQLite file, or a PostgreSQL schema)."""

    def __init__(self, kind: str, pg_url: str = PG_URL) -> None:
        self.kind = kind
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._schema = ""
        if kind == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix="audit-bench-")
            self.url = f"sqlite:///{self._tmp.name}/audit.db"
        else:
            self._schema = f"audit_bench_{uuid.uuid4().hex[:10]}"
            self._admin = create_engine(pg_url)
            with self._admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self._schema}"'))
            sep = "&" if "?" in pg_url else "?"
            self.url = f"{pg_url}{sep}options=-csearch_path%3D{self._schema}"
        self.engine = create_engine(self.url)
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()
        if self._schema:
            with self._admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self._schema}" CASCADE'))
            self._admin.dispose()


def durability(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            return f"journal_mode={mode}, synchronous={'FULL' if sync == 2 else sync}"
        fsync = conn.exec_driver_sql("SHOW fsync").scalar()
        commit = conn.exec_driver_sql("SHOW synchronous_commit").scalar()
        return f"fsync={fsync}, synchronous_commit={commit}"


# ---------------------------------------------------------------------------------------------
# Appends
# ---------------------------------------------------------------------------------------------


def _writer(url: str, signer: str, count: int, tag: int, barrier: Any, results: Any) -> None:
    engine = create_engine(url)
    config = AuditConfig(url, ORIGIN, signer, EVERY)
    body = payload(tag)
    with engine.connect():
        pass  # connect before the clock starts
    barrier.wait()
    for _ in range(count):
        append_event(
            engine, event_type="decision", claim_id=f"W{tag}", payload=body, actor="bench",
            config=config,
        )  # fmt: skip
    results.put(time.perf_counter())
    engine.dispose()


def bench_threads(url: str, signer: str, writers: int, each: int) -> float:
    """Appends/s of ``writers`` threads of one process: what a service worker does under load,
    where group commit (audit/batching.py) shares one transaction and flush among them."""
    engine = create_engine(url, pool_size=writers)
    config = AuditConfig(url, ORIGIN, signer, EVERY)
    append_event(engine, event_type="decision", claim_id="T", payload=payload(0), actor="b")
    barrier = threading.Barrier(writers + 1)

    def write(tag: int) -> None:
        body = payload(tag)
        barrier.wait()
        for _ in range(each):
            append_event(
                engine, event_type="decision", claim_id=f"T{tag}", payload=body, actor="bench",
                config=config,
            )  # fmt: skip

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return writers * each / elapsed


def bench_appends(url: str, signer: str, writers: int, each: int) -> float:
    if writers == 1:
        engine = create_engine(url)
        config = AuditConfig(url, ORIGIN, signer, EVERY)
        body = payload(1)
        append_event(engine, event_type="decision", claim_id="W", payload=body, actor="b")
        start = time.perf_counter()
        for _ in range(each):
            append_event(
                engine, event_type="decision", claim_id="W", payload=body, actor="bench",
                config=config,
            )  # fmt: skip
        elapsed = time.perf_counter() - start
        engine.dispose()
        return each / elapsed
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(writers + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(url, signer, each, w, barrier, results))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    ends = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a writer failed with exit code {p.exitcode}")
    return writers * each / (max(ends) - start)


# ---------------------------------------------------------------------------------------------
# Bulk load, verify, proofs
# ---------------------------------------------------------------------------------------------


def bulk_load(engine: Engine, n: int, signer: str) -> None:
    """The rows ``append_event`` would write for n events (checkpoint every 100), in batches."""
    prev, acc = GENESIS_HASH, MerkleAccumulator()
    now = format_timestamp(dt.datetime.now(dt.UTC))
    batch: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            body = canonical_json(payload(seq))
            event = StoredEvent(
                seq, str(uuid.uuid4()), "decision", f"CLM-2026-{seq:06d}", now, now, "bench",
                body, sha256_hex(body), prev, "",
            )  # fmt: skip
            event = replace(event, entry_hash=event.computed_entry_hash())
            prev = event.entry_hash
            acc.append(entry_leaf(bytes.fromhex(prev)))
            batch.append(asdict(event))
            if seq % EVERY == 0:
                checkpoints.append(
                    {
                        "tree_size": seq,
                        "root_hash": acc.root().hex(),
                        "note": sign_checkpoint(ORIGIN, seq, acc.root(), signer),
                        "compact_range": canonical_json([h.hex() for h in acc.hashes]),
                        "created_at": now,
                    }
                )
            if len(batch) == 5000 or seq == n:
                conn.execute(EVENTS.insert(), batch)
                batch = []
        if checkpoints:
            conn.execute(CHECKPOINTS.insert(), checkpoints)


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_log(engine: Engine, n: int, signer: str, verifier: str) -> dict[str, float]:
    start = time.perf_counter()
    bulk_load(engine, n, signer)
    load = time.perf_counter() - start
    start = time.perf_counter()
    report = verify_store(engine, verifier_key=verifier, origin=ORIGIN)
    verify = time.perf_counter() - start
    if not report.ok or report.events_checked != n:
        raise SystemExit(f"verify failed: {report}")
    with read_connection(engine) as conn:
        ids = [
            str(r[0])
            for r in conn.execute(
                text("SELECT event_id FROM audit_event WHERE seq IN (1, :mid, :n)"),
                {"mid": n // 2 + 1, "n": n},
            )
        ]
    cold, proven = timed(lambda: inclusion_proof_for(engine, event_ids=ids[1:2]), 3)
    with read_connection(engine) as conn:
        tree = merkle_tree(conn, size=n)
    index = proven[0].event.seq - 1
    warm, _ = timed(lambda: inclusion_proof(index, n, tree), 200)
    item = proven[0]
    event_json = canonical_json(event_document(item.event))
    proof = InclusionProof.from_json(item.proof.to_json())
    check, _ = timed(
        lambda: verify_event_proof(
            event_json, proof.to_dict(), item.checkpoint.note, verifier,
            origin=ORIGIN, entry_hash_of=entry_hash_of,
        ),
        200,
    )  # fmt: skip
    return {
        "load_s": load,
        "verify_s": verify,
        "verify_rate": n / verify,
        "checkpoints": report.checkpoints_checked,
        "proof_cold_ms": cold * 1e3,
        "proof_warm_us": warm * 1e6,
        "proof_hashes": len(item.proof.hashes),
        "proof_verify_us": check * 1e6,
    }


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="log size for verify/proofs")
    parser.add_argument("--appends", type=int, default=1000, help="appends by the single writer")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=250)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)

    signer, verifier = generate_key(ORIGIN)
    kinds = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    print(f"audit trail benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {machine()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"payload: {len(canonical_json(payload(1)).encode())} bytes; checkpoint every {EVERY}")
    print()
    rows: list[tuple[str, str, str]] = []
    logs: dict[str, dict[str, float]] = {}
    for kind in kinds:
        try:
            target = Target(kind, args.pg_url)
        except Exception as exc:  # PostgreSQL down: report and go on with SQLite
            print(f"{kind}: skipped ({str(exc).splitlines()[0]})")
            continue
        try:
            with target.engine.connect() as conn:
                version = conn.exec_driver_sql(
                    "select sqlite_version()" if kind == "sqlite" else "show server_version"
                ).scalar()
            print(f"{kind} {version}: {durability(target.engine)}")
            one = bench_appends(target.url, signer, 1, args.appends)
            rows.append((kind, "1 writer", f"{one:,.0f}"))
            many = bench_appends(target.url, signer, args.writers, args.per_writer)
            rows.append((kind, f"{args.writers} writer processes", f"{many:,.0f}"))
            threads = bench_threads(target.url, signer, args.writers, args.per_writer)
            rows.append((kind, f"{args.writers} writer threads, one process", f"{threads:,.0f}"))
        finally:
            target.close()
        fresh = Target(kind, args.pg_url)
        try:
            logs[kind] = bench_log(fresh.engine, args.events, signer, verifier)
        finally:
            fresh.close()
    print()
    print("| engine | appends | appends/s |")
    print("|---|---|---:|")
    for kind, what, rate in rows:
        print(f"| {kind} | {what} | {rate} |")
    print()
    print(f"| at {args.events:,} events | " + " | ".join(logs) + " |")
    print("|---|" + "---:|" * len(logs))
    lines = [
        ("bulk load (not a benchmark, setup)", "load_s", "{:.1f} s"),
        ("verify: whole log", "verify_s", "{:.2f} s"),
        ("verify rate, events/s", "verify_rate", "{:,.0f}"),
        ("signed checkpoints checked", "checkpoints", "{:,.0f}"),
        ("inclusion proof from the database (read + tree + path)", "proof_cold_ms", "{:.0f} ms"),
        ("inclusion proof from a built tree", "proof_warm_us", "{:.0f} µs"),
        ("proof length, hashes", "proof_hashes", "{:.0f}"),
        ("verify one event proof (standalone, with signature)", "proof_verify_us", "{:.0f} µs"),
    ]
    for label, key, fmt in lines:
        print(f"| {label} | " + " | ".join(fmt.format(logs[k][key]) for k in logs) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

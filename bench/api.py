"""End-to-end decisions/s and latency of the HTTP API: ``POST /claims/{id}/evaluate``.

Run: ``python bench/api.py [--claims N] [--requests N] [--clients C] [--pg-url URL |
--no-postgres]``.

For each database real ``uvicorn`` servers are started on 127.0.0.1 (``uvicorn --factory
api.app:create_app``, ``--no-access-log``; the service's own request log is on): one on
SQLite, two worker processes on two ports on PostgreSQL, the clients spreading their
requests over both. (Two plain processes rather than ``uvicorn --workers 2``: on this
machine uvicorn's multi-worker mode adds about 40 ms to every keep-alive request, even
``/healthz``, which would hide what is measured here.) ``--claims`` claims are taken in (not
timed), a few evaluations warm the servers up, then:

- **peak**: ``--requests`` evaluations from ``--clients`` concurrent client threads, each
  sending its next request as soon as the previous one is answered (closed loop). Each call
  routes the claim, evaluates it (native backend where durable-rules is missing, else
  durable), appends the full decision (~12 KB with its trace and ruleset snapshot reference)
  to the audit trail and commits before answering. decisions/s = requests / wall time.
- **half rate**: the same number of evaluations sent on a fixed schedule at half the measured
  peak rate (open loop); latency is measured from the scheduled send time, so queueing
  behind a slow answer counts.

The load generator runs on the same machine (it takes a share of the cores); the durability
settings of the databases are printed (SQLite WAL with ``synchronous=FULL``, PostgreSQL with
``fsync`` on). So that runs on a shared machine can be compared, the CPU time the server
processes and the load generator spent per decision at the peak (from ``/proc``, where there
is one) and the load average before and after are printed too: decisions/s move with the
other work on the machine, CPU per decision much less.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench/ would shadow the ``engine`` package
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from api.auth import TokenService
from audit.checkpoint import generate_key
from bench.audit import PG_URL, Target, durability, machine

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "claim.json"
ORIGIN = "claims.example/audit-bench"
SECRET = "bench-secret-" + "b" * 40
AS_OF = "2025-07-01T09:00:00+08:00"
WARMUP = 20


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``uvicorn`` serving the app on a free loopback port (context manager)."""

    def __init__(self, url: str, workdir: str) -> None:
        signer, _ = generate_key(ORIGIN)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "CLAIMS_DATABASE_URL": url,
            "CLAIMS_JWT_SECRET": SECRET,
            "CLAIMS_AUDIT_SIGNER_KEY": signer,
            "CLAIMS_AUDIT_ORIGIN": ORIGIN,
            "CLAIMS_ENVIRONMENT": "production",
        }
        self.log = Path(workdir) / f"server-{self.port}.log"
        self._out = self.log.open("wb")
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
            "--app-dir", str(REPO), "--host", "127.0.0.1", "--port", str(self.port),
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("server not ready after 120 s")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux ``/proc``), else ``None``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run_load(
    pool_of: list[httpx.Client],
    claim_ids: list[str],
    requests: int,
    clients: int,
    rate: float | None,
) -> tuple[float, list[float]]:
    """Wall seconds and per-request latencies (s); closed loop, or open loop at ``rate``/s."""
    headers = {"Authorization": f"Bearer {TokenService(SECRET).issue(role='adjuster', sub='b')}"}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def call(n: int, scheduled: float | None) -> None:
        if scheduled is not None:
            time.sleep(max(0.0, scheduled - time.perf_counter()))
        started = scheduled if scheduled is not None else time.perf_counter()
        claim_id = claim_ids[n % len(claim_ids)]
        response = pool_of[n % len(pool_of)].post(
            f"/claims/{claim_id}/evaluate", params={"as_of": AS_OF}, headers=headers
        )
        elapsed = time.perf_counter() - started
        with lock:
            if response.status_code != 200 or "event_id" not in response.json():
                errors.append(f"{response.status_code}: {response.text[:200]}")
            latencies.append(elapsed)

    start = time.perf_counter()
    if rate is None:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(lambda n: call(n, None), range(requests)))
    else:  # enough threads that a slow answer does not hold back the schedule
        with ThreadPoolExecutor(max_workers=clients * 4) as pool:
            futures = [pool.submit(call, n, start + n / rate) for n in range(requests)]
            for future in futures:
                future.result()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} failed evaluations, first: {errors[0]}")
    return wall, latencies


def bench_backend(
    kind: str, pg_url: str, claims: int, requests: int, clients: int
) -> dict[str, Any]:
    target = Target(kind, pg_url)  # fresh, migrated
    try:
        with target.engine.connect() as conn:
            version = conn.exec_driver_sql(
                "select sqlite_version()" if kind == "sqlite" else "show server_version"
            ).scalar()
        settings = durability(target.engine)
        workers = 1 if kind == "sqlite" else 2
        with contextlib.ExitStack() as stack:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="api-bench-"))
            servers = [stack.enter_context(Server(target.url, workdir)) for _ in range(workers)]
            limits = httpx.Limits(
                max_connections=clients * 4, max_keepalive_connections=clients * 4
            )
            pool_of = [
                stack.enter_context(httpx.Client(base_url=s.base, timeout=120, limits=limits))
                for s in servers
            ]
            token = TokenService(SECRET).issue(role="adjuster", sub="bench")
            base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
            claim_ids = []
            for i in range(claims):  # intake, not timed
                claim = {**base, "claim_id": f"CLM-BENCH-{i:05d}"}
                response = pool_of[i % len(pool_of)].post(
                    "/claims", json=claim, headers={"Authorization": f"Bearer {token}"}
                )
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"intake failed: {response.status_code} {response.text}")
                claim_ids.append(claim["claim_id"])
            run_load(pool_of, claim_ids, WARMUP, clients, None)
            before = [cpu_seconds(s.process.pid) for s in servers]
            client_before = time.process_time()
            wall, peak = run_load(pool_of, claim_ids, requests, clients, None)
            client_cpu = (time.process_time() - client_before) / requests
            after = [cpu_seconds(s.process.pid) for s in servers]
            spent = [
                a - b for b, a in zip(before, after, strict=True) if a is not None and b is not None
            ]
            server_cpu = sum(spent) / requests if len(spent) == len(servers) else None
            rate = requests / wall
            half_wall, half = run_load(pool_of, claim_ids, requests, clients, rate / 2)
        return {
            "kind": kind,
            "version": version,
            "settings": settings,
            "workers": workers,
            "rate": rate,
            "server_cpu": server_cpu,
            "client_cpu": client_cpu,
            "p50": percentile(peak, 0.50),
            "p99": percentile(peak, 0.99),
            "mean": statistics.fmean(peak),
            "half_rate": requests / half_wall,
            "half_p50": percentile(half, 0.50),
            "half_p99": percentile(half, 0.99),
        }
    finally:
        target.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=50, help="claims taken in (not timed)")
    parser.add_argument("--requests", type=int, default=400, help="timed evaluations per phase")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)

    print(f"API benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {machine()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"POST /claims/{{id}}/evaluate (evaluate + audit append, committed), {args.requests} "
        f"timed requests per phase, {args.clients} concurrent clients, uvicorn on 127.0.0.1"
    )
    print(f"load average (1, 5, 15 min) before: {load_average()}")
    print()
    rows = []
    for kind in ("sqlite", *(() if args.no_postgres else ("postgres",))):
        try:
            row = bench_backend(kind, args.pg_url, args.claims, args.requests, args.clients)
        except Exception as exc:
            if kind == "postgres":
                print(f"postgres: skipped ({str(exc).strip().splitlines()[0]})")
                continue
            raise
        print(f"{kind} {row['version']}: {row['settings']}; {row['workers']} uvicorn process(es)")
        rows.append(row)
    print(f"load average (1, 5, 15 min) after: {load_average()}")
    print()
    print(
        "| database | workers | decisions/s | p50 | p99 | at half rate | p50 | p99 "
        "| CPU per decision: servers | load generator |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        server = "n/a" if r["server_cpu"] is None else f"{r['server_cpu'] * 1000:.2f} ms"
        print(
            f"| {r['kind']} | {r['workers']} | {r['rate']:.0f} | {r['p50'] * 1000:.1f} ms "
            f"| {r['p99'] * 1000:.1f} ms | {r['half_rate']:.0f}/s "
            f"| {r['half_p50'] * 1000:.1f} ms | {r['half_p99'] * 1000:.1f} ms "
            f"| {server} | {r['client_cpu'] * 1000:.2f} ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

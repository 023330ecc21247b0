"""End-to-end decisions/s and latency of the HTTP API: ``POST /claims/{id}/evaluate``.

Run: ``python bench/api.py [--claims N] [--requests N] [--clients C] [--servers S]
[--loadgen-processes P] [--pg-url URL | --no-postgres]``.

For each database real ``uvicorn`` servers are started on 127.0.0.1 (``uvicorn --factory
api.app:create_app``, ``--no-access-log``; the service's own request log is on): ``--servers``
processes on as many ports, by default one on SQLite and two on PostgreSQL, the load
generator's connections spread evenly over them, as a load balancer would (with ``uvicorn
--workers 2`` on one port the kernel hands out connections unevenly). ``--claims`` claims are
taken in (not timed), a few evaluations warm the servers up, then:

- **peak**: ``--requests`` evaluations over ``--clients`` (default 32) concurrent keep-alive
  connections, each sending its next request as soon as the previous one is answered (closed
  loop): enough decisions in flight that each server process's group commit
  (``audit/batching.py``) shares one transaction and flush among several of them. Each
  call routes the claim, evaluates it (native backend where durable-rules is missing, else
  durable), appends the full decision (~12 KB with its trace and ruleset snapshot reference)
  to the audit trail and commits before answering. decisions/s = requests / wall time.
- **half rate**: the same number of evaluations sent on a fixed schedule at half the measured
  peak rate (open loop), over four times as many connections so that a slow answer does not
  hold back the schedule; latency is measured from the scheduled send time, so queueing
  behind a slow answer (or for a free connection) counts.
- **peer**: ``GET /healthz`` (no database, no engine) over the same servers and connections,
  closed loop: decisions/s is also reported as a ratio to it, which moves less with the machine
  than either figure.

The load generator (``bench/loadgen.py``: ``--loadgen-processes`` asyncio processes sending
pre-encoded requests over raw keep-alive connections, about 0.05-0.2 ms of CPU a request)
runs on the same machine and takes a share of the cores; the durability settings of the
databases are printed (SQLite WAL with ``synchronous=FULL``, PostgreSQL with ``fsync`` on).
So that runs on a shared machine can be compared, the CPU time spent per decision at the peak
is printed (from ``/proc``, where there is one) for the server processes, for PostgreSQL (every
process named ``postgres``, so other sessions on the same cluster count too) and for the load
generator, with the load average before and after: decisions/s move with the other work on
the machine, CPU per decision much less.
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
import time
from typing import Any
from urllib.parse import quote

import httpx

from api.auth import TokenService
from audit.checkpoint import generate_key
from bench.audit import PG_URL, Target, durability, machine
from bench.loadgen import Load
from bench.loadgen import run as run_loadgen

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


def postgres_cpu() -> dict[int, float] | None:
    """CPU seconds so far of every process named ``postgres``, by pid; ``None`` if none is seen."""
    spent: dict[int, float] = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() != "postgres":
                continue
        except OSError:  # gone, or not ours to read
            continue
        pid = int(comm.parent.name)
        seconds = cpu_seconds(pid)
        if seconds is not None:
            spent[pid] = seconds
    return spent or None


def postgres_spent(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    """CPU seconds ``postgres`` processes spent in between (a backend started since counts whole;
    one that ended in between is missed, but the servers keep their pooled connections)."""
    if before is None or after is None:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def run_load(
    ports: list[int],
    claim_ids: list[str],
    requests: int,
    connections: int,
    processes: int,
    rate: float | None,
) -> tuple[float, list[float], float]:
    """Wall seconds, per-request latencies (s) and load-generator CPU seconds; closed loop, or
    open loop at ``rate``/s."""
    as_of = quote(AS_OF, safe="")
    load = Load(
        ports=tuple(ports),
        paths=tuple(f"/claims/{quote(c, safe='')}/evaluate?as_of={as_of}" for c in claim_ids),
        token=TokenService(SECRET).issue(role="adjuster", sub="b"),
        requests=requests,
        connections=connections,
        rate=rate,
        processes=processes,
    )
    result = run_loadgen(load)
    return result.wall, result.latencies, result.cpu


def peer_rate(ports: list[int], requests: int, connections: int, processes: int) -> float:
    """Requests/s of ``GET /healthz`` (no database, no engine) over the same servers and
    connections: the floor of one request through uvicorn, FastAPI and the middleware."""
    load = Load(
        ports=tuple(ports),
        paths=("/healthz",),
        token=TokenService(SECRET).issue(role="adjuster", sub="b"),
        requests=requests,
        connections=connections,
        processes=processes,
        expect='"ok"',
        method="GET",
    )
    return requests / run_loadgen(load).wall


def take_in(servers: list[Server], claims: int) -> list[str]:
    """Take ``claims`` claims in over the servers (not timed); their ids."""
    token = TokenService(SECRET).issue(role="adjuster", sub="bench")
    base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    claim_ids = []
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(httpx.Client(base_url=s.base, timeout=120)) for s in servers]
        for i in range(claims):
            claim = {**base, "claim_id": f"CLM-BENCH-{i:05d}"}
            response = clients[i % len(clients)].post(
                "/claims", json=claim, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code not in (200, 201):
                raise RuntimeError(f"intake failed: {response.status_code} {response.text}")
            claim_ids.append(claim["claim_id"])
    return claim_ids


def bench_backend(
    kind: str, pg_url: str, claims: int, requests: int, clients: int, workers: int, processes: int
) -> dict[str, Any]:
    target = Target(kind, pg_url)  # fresh, migrated
    try:
        with target.engine.connect() as conn:
            version = conn.exec_driver_sql(
                "select sqlite_version()" if kind == "sqlite" else "show server_version"
            ).scalar()
        settings = durability(target.engine)
        with contextlib.ExitStack() as stack:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="api-bench-"))
            servers = [stack.enter_context(Server(target.url, workdir)) for _ in range(workers)]
            ports = [s.port for s in servers]
            claim_ids = take_in(servers, claims)
            run_load(ports, claim_ids, WARMUP, clients, processes, None)
            before = [cpu_seconds(s.process.pid) for s in servers]
            pg_before = postgres_cpu() if kind == "postgres" else None
            wall, peak, client_cpu = run_load(ports, claim_ids, requests, clients, processes, None)
            pg_after = postgres_cpu() if kind == "postgres" else None
            after = [cpu_seconds(s.process.pid) for s in servers]
            spent = [
                a - b for b, a in zip(before, after, strict=True) if a is not None and b is not None
            ]
            server_cpu = sum(spent) / requests if len(spent) == len(servers) else None
            pg_spent = postgres_spent(pg_before, pg_after)
            rate = requests / wall
            # four times the connections: a slow answer must not hold back the schedule
            half_wall, half, _ = run_load(
                ports, claim_ids, requests, clients * 4, processes, rate / 2
            )
            peer = peer_rate(ports, requests, clients, processes)
        return {
            "kind": kind,
            "version": version,
            "settings": settings,
            "workers": workers,
            "rate": rate,
            "peer": peer,
            "server_cpu": server_cpu,
            "postgres_cpu": None if pg_spent is None else pg_spent / requests,
            "client_cpu": client_cpu / requests,
            "p50": percentile(peak, 0.50),
            "p99": percentile(peak, 0.99),
            "mean": statistics.fmean(peak),
            "half_rate": requests / half_wall,
            "half_p50": percentile(half, 0.50),
            "half_p99": percentile(half, 0.99),
        }
    finally:
        target.close()


def milliseconds(seconds: float | None) -> str:
    """A table cell: milliseconds, or ``n/a`` where there is no figure."""
    return "n/a" if seconds is None else f"{seconds * 1000:.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=50, help="claims taken in (not timed)")
    parser.add_argument("--requests", type=int, default=2000, help="timed evaluations per phase")
    parser.add_argument(
        "--clients", type=int, default=32, help="concurrent keep-alive connections in total"
    )
    parser.add_argument(
        "--servers", type=int, default=None, help="server processes (default: SQLite 1, PG 2)"
    )
    parser.add_argument("--loadgen-processes", type=int, default=1, help="load generator processes")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)

    print(f"API benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {machine()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"POST /claims/{{id}}/evaluate (evaluate + audit append, committed), {args.requests} "
        f"timed requests per phase, {args.clients} concurrent connections from "
        f"{args.loadgen_processes} load generator process(es), uvicorn on 127.0.0.1"
    )
    print(f"load average (1, 5, 15 min) before: {load_average()}")
    print()
    rows = []
    for kind in ("sqlite", *(() if args.no_postgres else ("postgres",))):
        try:
            workers = args.servers or (1 if kind == "sqlite" else 2)
            row = bench_backend(
                kind,
                args.pg_url,
                args.claims,
                args.requests,
                args.clients,
                workers,
                args.loadgen_processes,
            )
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
        "| database | servers | decisions/s | p50 | p99 | at half rate | p50 | p99 "
        "| CPU per decision: servers | postgres | load generator |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['kind']} | {r['workers']} | {r['rate']:.0f} | {r['p50'] * 1000:.1f} ms "
            f"| {r['p99'] * 1000:.1f} ms | {r['half_rate']:.0f}/s "
            f"| {r['half_p50'] * 1000:.1f} ms | {r['half_p99'] * 1000:.1f} ms "
            f"| {milliseconds(r['server_cpu'])} | {milliseconds(r['postgres_cpu'])} "
            f"| {milliseconds(r['client_cpu'])} |"
        )
    print()
    print("Peer in the same run: GET /healthz over the same servers and connections.")
    print()
    print("| database | healthz/s | decisions/s ÷ healthz/s |")
    print("|---|---:|---:|")
    for r in rows:
        print(f"| {r['kind']} | {r['peer']:.0f} | {r['rate'] / r['peer']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

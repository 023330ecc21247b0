"""A cheap HTTP/1.1 load generator: keep-alive ``POST`` requests from asyncio worker processes.

:func:`run` starts ``processes`` child interpreters (``python -m bench.loadgen``, stdlib only,
so they start in milliseconds). Each opens its share of the keep-alive TCP connections with
``asyncio.open_connection`` (connection *k* goes to ``ports[k % len(ports)]``), says it is
ready, and waits for a common start time, so that connecting and interpreter start-up are
outside the measurement. Requests are pre-encoded bytes (``POST <path> HTTP/1.1``, ``Host``,
``Authorization: Bearer``, ``Content-Length: 0``); answers are parsed no further than the
status line, the headers and a ``Content-Length`` body.

- **closed loop** (``rate=None``): request *n* belongs to process ``n % processes``; within a
  process each connection sends the next unsent request as soon as its previous answer
  arrives. Latency runs from send to answer.
- **open loop** (``rate`` per second): request *n* is due at ``start + n / rate``; a free
  connection of its process sends it then, or as soon as one is free, and latency runs from
  the due time, so waiting for a connection counts. Give enough connections that a slow
  answer does not hold back the schedule.

An answer is OK when its status is 200 and its body contains ``expect``. The generator's CPU
is the children's ``time.process_time()`` from start to their last answer plus the parent's
while it waits: what it takes from the machine while the servers are being measured.

The clock is ``time.monotonic()``, which on Linux (``CLOCK_MONOTONIC``) is shared by all
processes, so the children can be given one start time.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
START_MARGIN = 0.05  # s between announcing the start time and the start: every child hears it
FAILURES_KEPT = 3


@dataclass(frozen=True)
class Load:
    """What to send: ``requests`` bodiless ``method`` requests, request *n* to
    ``paths[n % len(paths)]``."""

    ports: tuple[int, ...]
    paths: tuple[str, ...]
    token: str
    requests: int
    connections: int
    rate: float | None = None
    processes: int = 1
    host: str = "127.0.0.1"
    expect: str = '"event_id"'
    method: str = "POST"


@dataclass(frozen=True)
class Result:
    """Wall seconds from the start to the last answer, latencies (s), generator CPU seconds."""

    wall: float
    latencies: list[float]
    cpu: float


class LoadFailed(RuntimeError):
    """Some answers were not OK (or a generator process failed)."""


# ---------------------------------------------------------------------------------------------
# Child process: one asyncio loop, several keep-alive connections
# ---------------------------------------------------------------------------------------------


def encode_request(host: str, port: int, path: str, token: str, method: str = "POST") -> bytes:
    """The bytes of one bodiless request (``path`` already URL-encoded)."""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode("ascii")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server will close the connection after this answer."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:  # uvicorn frames every non-streaming answer with Content-Length
        raise ValueError(f"answer without Content-Length: {head[:200]!r}")
    length = int(lowered[at + 17 : lowered.index(b"\r\n", at + 2)])
    body = await reader.readexactly(length) if length else b""
    return status, body, b"\r\nconnection: close" in lowered


class Connection:
    """One keep-alive connection with the pre-encoded requests for its port."""

    def __init__(self, host: str, port: int, requests: list[bytes]) -> None:
        self.host, self.port, self.requests = host, port, requests
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = False

    async def open(self) -> None:
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.used = False

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def exchange(self, n: int) -> tuple[int, bytes]:
        """Send request *n* and read its answer (reconnecting first if needed)."""
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(self.requests[n % len(self.requests)])
        try:
            status, body, close = await read_response(self.reader)
        except asyncio.IncompleteReadError as exc:
            if not self.used or exc.partial:
                raise
            # A kept-alive connection the server closed while idle never saw the request:
            # resending it is safe, as any HTTP client does.
            await self.open()
            return await self.exchange(n)
        self.used = True
        if close:
            self.close()
        return status, body


@dataclass
class Tally:
    """What one child process saw: every latency, and the failures (the first few in full)."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, latency: float, ok: bool, text: str) -> None:
        self.latencies.append(latency)
        if not ok:
            self.failed += 1
            if len(self.failures) < FAILURES_KEPT:
                self.failures.append(text)


async def drive(
    connection: Connection,
    due: Iterator[int],
    start: float,
    rate: float | None,
    expect: bytes,
    tally: Tally,
) -> None:
    """Send requests taken from ``due`` (shared by the process's connections) until none is left."""
    for n in due:
        if rate is None:
            sent = time.monotonic()
        else:
            sent = start + n / rate
            delay = sent - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        try:
            status, body = await connection.exchange(n)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            connection.close()
            tally.record(time.monotonic() - sent, False, f"{type(exc).__name__}: {exc}")
            continue
        ok = status == 200 and expect in body
        text = "" if ok else f"{status}: {body[:200].decode('utf-8', 'replace')}"
        tally.record(time.monotonic() - sent, ok, text)


async def child(plan: dict[str, Any]) -> dict[str, Any]:
    """Connect, report ready, wait for the start time on stdin, run, return the tally."""
    fields = plan["load"]  # JSON turned the tuples into lists
    load = Load(**{**fields, "ports": tuple(fields["ports"]), "paths": tuple(fields["paths"])})
    encoded = {
        port: [
            encode_request(load.host, port, path, load.token, load.method) for path in load.paths
        ]
        for port in load.ports
    }
    first = plan["first_connection"]
    ports = [load.ports[k % len(load.ports)] for k in range(first, first + plan["connections"])]
    connections = [Connection(load.host, port, encoded[port]) for port in ports]
    await asyncio.gather(*(c.open() for c in connections))
    print("ready", flush=True)
    start = float(sys.stdin.readline())  # blocking is fine: nothing else is under way yet
    cpu = time.process_time()
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    due = iter(range(plan["index"], load.requests, plan["processes"]))
    tally = Tally()
    expect = load.expect.encode()
    await asyncio.gather(*(drive(c, due, start, load.rate, expect, tally) for c in connections))
    end = time.monotonic()
    cpu = time.process_time() - cpu
    for c in connections:
        c.close()
    return {**asdict(tally), "end": end, "cpu": cpu}


def child_main() -> None:
    """Entry point of ``python -m bench.loadgen``: a plan on stdin, a JSON tally on stdout."""
    plan = json.loads(sys.stdin.readline())
    print(json.dumps(asyncio.run(child(plan))), flush=True)


# ---------------------------------------------------------------------------------------------
# Parent
# ---------------------------------------------------------------------------------------------


def plans(load: Load) -> list[dict[str, Any]]:
    """Split the connections over the processes (each process gets at least one)."""
    processes = max(1, min(load.processes, load.connections))
    counts = [
        load.connections // processes + (i < load.connections % processes) for i in range(processes)
    ]
    return [
        {
            "load": asdict(load),
            "index": i,
            "processes": processes,
            "connections": counts[i],
            "first_connection": sum(counts[:i]),
        }
        for i in range(processes)
    ]


def _started(plan: dict[str, Any]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen"],
        cwd=REPO,  # so that ``bench`` is importable
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(plan) + "\n")
    process.stdin.flush()
    return process


def _line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise LoadFailed(f"load generator process failed:\n{process.stderr.read()[-3000:]}")
    return line


def run(load: Load) -> Result:
    """Send ``load`` and return its result; raise :class:`LoadFailed` if any answer was not OK."""
    processes = [_started(plan) for plan in plans(load)]
    try:
        for process in processes:
            if _line(process).strip() != "ready":
                raise LoadFailed("load generator process did not get ready")
        cpu = time.process_time()
        start = time.monotonic() + START_MARGIN
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(f"{start!r}\n")
            process.stdin.flush()
        tallies = [json.loads(_line(process)) for process in processes]
        cpu = time.process_time() - cpu
    except BaseException:
        for process in processes:
            process.kill()
        raise
    finally:
        for process in processes:
            process.communicate()  # each has answered (or been killed): this does not wait long
    failures = [text for t in tallies for text in t["failures"]]
    failed = sum(t["failed"] for t in tallies)
    if failed:
        raise LoadFailed(f"{failed} of {load.requests} requests failed, first: {failures[0]}")
    return Result(
        wall=max(t["end"] for t in tallies) - start,
        latencies=[x for t in tallies for x in t["latencies"]],
        cpu=cpu + sum(t["cpu"] for t in tallies),
    )


if __name__ == "__main__":
    child_main()

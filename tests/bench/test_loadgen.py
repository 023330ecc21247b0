"""The load generator sends what it is told, reconnects when asked to, and reports failures.

Against tiny ``http.server`` servers in this process: no timing is checked beyond the open
loop keeping to its schedule.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.loadgen import Load, LoadFailed, plans, run  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    """200 with an event id, 500 for paths containing ``fail``; closes for ``close`` paths."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[int, str, str | None, str | None]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(
            (self.server.server_address[1], self.path, self.headers["Host"],
             self.headers["Authorization"])
        )  # fmt: skip
        status, body = (500, b"boom") if "fail" in self.path else (200, b'{"event_id": "e1"}')
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if "close" in self.path:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[list[int], list[tuple[int, str, str | None, str | None]]]]:
    seen: list[tuple[int, str, str | None, str | None]] = []
    handler = type("Recording", (Handler,), {"seen": seen})
    running = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in running]
    for thread in threads:
        thread.start()
    yield [s.server_address[1] for s in running], seen
    for server in running:
        server.shutdown()
        server.server_close()


def test_plans_spread_connections_over_processes_and_ports() -> None:
    load = Load(ports=(1, 2), paths=("/a",), token="t", requests=10, connections=5, processes=2)
    split = plans(load)
    assert [(p["index"], p["connections"], p["first_connection"]) for p in split] == [
        (0, 3, 0),
        (1, 2, 3),
    ]
    assert len(plans(Load((1,), ("/a",), "t", 10, connections=1, processes=4))) == 1


def test_closed_loop_sends_every_request_to_every_port(servers) -> None:
    ports, seen = servers
    paths = ("/claims/A/evaluate?as_of=x", "/claims/B/evaluate?as_of=x")
    result = run(Load(tuple(ports), paths, "tok", requests=40, connections=4, processes=2))
    assert len(result.latencies) == 40 and result.wall > 0 and result.cpu > 0
    assert {port for port, *_ in seen} == set(ports) and len(seen) == 40
    assert sorted(path for _, path, *_ in seen) == sorted(paths * 20)
    assert all(host == f"127.0.0.1:{port}" and auth == "Bearer tok" for port, _, host, auth in seen)


def test_connection_close_answers_are_followed_by_a_new_connection(servers) -> None:
    ports, seen = servers
    result = run(Load(tuple(ports[:1]), ("/close",), "tok", requests=12, connections=2))
    assert len(result.latencies) == 12 and len(seen) == 12


def test_open_loop_keeps_to_its_schedule(servers) -> None:
    ports, _ = servers
    result = run(Load(tuple(ports), ("/ok",), "tok", requests=20, connections=8, rate=100.0))
    assert len(result.latencies) == 20
    assert result.wall >= 19 / 100


def test_failed_answers_raise_with_the_first_text(servers) -> None:
    ports, _ = servers
    with pytest.raises(LoadFailed, match=r"5 of 10 requests failed, first: 500: boom"):
        run(Load(tuple(ports), ("/ok", "/fail"), "tok", requests=10, connections=2))
    with pytest.raises(LoadFailed, match=r"first: 200: "):  # 200 without the expected text
        run(Load(tuple(ports), ("/ok",), "tok", requests=2, connections=1, expect="nope"))

"""Real-browser fixtures: Debian's chromium driven by Playwright, one browser per session.

Skipped with the reason when ``/usr/bin/chromium`` or the ``playwright`` package is missing;
failed instead when ``CLAIMS_TEST_REQUIRE_BROWSER=1`` (``.ci/run`` sets it). The browser is
never downloaded (no ``playwright install``): ``executable_path`` names Debian's.

``site`` serves one app (SQLite under a session temp dir) with uvicorn in a thread on a free
port, with one claim of member M-1001 in each state of :data:`SAMPLES` and one claim of
another member; its page clock starts at the instant the sample decisions were made.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenService
from api.settings import Settings
from tests.api.conftest import SECRET, Service
from tests.api.member_pages.factories import NOW, SAMPLES, make_claim, make_state, sample
from tests.audit.conftest import SIGNER
from tests.engine.factories import REPO

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("CLAIMS_TEST_REQUIRE_BROWSER") == "1"
#: Where the tests put their screenshots (the README shows some of them).
SCREENSHOTS = REPO / "docs" / "member-pages" / "screenshots"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[dev]'"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        if Path(__file__).parent in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if reason and not REQUIRED:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Site:
    base: str
    service: Service
    claims: dict[str, str]  # state -> claim id
    other_claim: str


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    reason = _missing()
    if reason:
        pytest.fail(f"CLAIMS_TEST_REQUIRE_BROWSER=1 but {reason}")
    import uvicorn

    folder = tmp_path_factory.mktemp("member-site")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'claims.db'}",
        audit_signer_key=SIGNER,
        audit_origin="claims.example/audit-test",
        audit_checkpoint_every=3,
        jwt_secret=SECRET,
        jwt_secret_file=folder / "jwt-secret",
        audit_witness_dir=folder / "witness",
    )
    app = create_app(settings, rulesets_root=REPO / "rulesets")
    started = time.monotonic()
    app.state.member_pages.clock = lambda: NOW + dt.timedelta(seconds=time.monotonic() - started)
    service = Service(TestClient(app), app.state.claims, TokenService(SECRET))
    claims = {state: make_state(service, state) for state in SAMPLES}
    other = sample("deny") | {"claim_id": "CLM-OTHER-1"}
    other["member"] = other["member"] | {"member_id": "M-2002", "name": "李四"}
    make_claim(service, other)
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = sock.getsockname()[1]
    try:
        yield Site(f"http://127.0.0.1:{port}", service, claims, "CLM-OTHER-1")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.claims.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        pytest.fail(f"CLAIMS_TEST_REQUIRE_BROWSER=1 but {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()

"""Two ``uvicorn`` worker processes on one PostgreSQL database, under concurrent load.

Each worker is a separate process (``uvicorn --factory api.app:create_app``, settings from
``CLAIMS_*`` variables) on its own loopback port, both started at once on a fresh schema
(so both migrate it at the same time). From a bounded pool of client threads, each claim is
taken in by one worker and then evaluated a few times, alternately by both, so that intakes
and evaluations on both workers overlap. Afterwards: every evaluate
answered 200 with an event id, each claim's decision history lists exactly the decisions
made, and the whole audit trail verifies (hash chain, sequence, signed checkpoints).

Then the claim's life under races: amendments carrying the same ETag and overrides naming the
same decision, sent at once to both workers: exactly one of each succeeds, the others get 412
/ 409, every acknowledged write is in the trail, and each claim's stored state is what its
trail folds to.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.auth import TokenService
from api.claim_states.store import rebuild_states
from audit.batch_tags import generate_batch_key
from audit.checkpoint import generate_key
from audit.db import create_engine
from audit.verification import verify_store
from tests.api.conftest import AS_OF, example_claim
from tests.engine.factories import REPO

pytestmark = pytest.mark.postgres

SECRET = "workers-secret-" + "w" * 40
ORIGIN = "claims.example/audit-workers"
CLAIMS = 24  # claims taken in
EVALUATIONS = 3  # evaluations per claim, spread over both workers
CLIENTS = 8  # concurrent client threads
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"worker exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"worker {url} not ready after {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def workers(pg_url: str, tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """Two workers on ``pg_url``; yields their base URLs and the verifier key."""
    signer, verifier = generate_key(ORIGIN)
    env = {
        **os.environ,
        "CLAIMS_DATABASE_URL": pg_url,
        "CLAIMS_JWT_SECRET": SECRET,
        "CLAIMS_AUDIT_SIGNER_KEY": signer,
        "CLAIMS_AUDIT_ORIGIN": ORIGIN,
        "CLAIMS_AUDIT_CHECKPOINT_EVERY": "5",
        "CLAIMS_AUDIT_BATCH_KEY": generate_batch_key(),
        "CLAIMS_AUDIT_WITNESS_DIR": str(tmp_path / "witness"),  # one file witness for both
        "CLAIMS_ENVIRONMENT": "production",  # nothing generated: both use the keys above
    }
    processes: list[tuple[subprocess.Popen[bytes], Path, Any]] = []
    urls: list[str] = []
    try:
        for n in range(2):
            port = _free_port()
            log = tmp_path / f"worker-{n}.log"
            out = log.open("wb")
            command = [
                sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
                "--app-dir", str(REPO), "--host", "127.0.0.1", "--port", str(port),
                "--no-access-log",
            ]  # fmt: skip
            process = subprocess.Popen(
                command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            processes.append((process, log, out))
            urls.append(f"http://127.0.0.1:{port}")
        for (process, log, _), url in zip(processes, urls, strict=True):
            _wait_ready(url, process, log)
        yield urls, verifier
    finally:
        for process, _, _ in processes:
            process.terminate()
        for process, _, out in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            out.close()


def test_two_workers_lose_no_decision(workers: tuple[list[str], str], pg_url: str) -> None:
    urls, verifier = workers
    tokens = TokenService(SECRET)
    adjuster = {"Authorization": f"Bearer {tokens.issue(role='adjuster', sub='w-adjuster')}"}
    auditor = {"Authorization": f"Bearer {tokens.issue(role='auditor', sub='w-auditor')}"}
    clients = [httpx.Client(base_url=url, timeout=60) for url in urls]
    try:

        def intake_and_evaluate(i: int) -> list[tuple[str, int, str | None]]:
            """Intake on one worker, then evaluations alternating between both."""
            claim = example_claim(claim_id=f"CLM-W-{i:04d}")
            response = clients[i % 2].post("/claims", json=claim, headers=adjuster)
            assert response.status_code == 201, response.text
            made = []
            for n in range(EVALUATIONS):
                answer = clients[(i + n + 1) % 2].post(
                    f"/claims/{claim['claim_id']}/evaluate",
                    params={"as_of": AS_OF},
                    headers=adjuster,
                )
                body = answer.json() if answer.status_code == 200 else {}
                made.append((str(claim["claim_id"]), answer.status_code, body.get("event_id")))
            return made

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:  # intakes and evaluations mix
            results = [r for made in pool.map(intake_and_evaluate, range(CLAIMS)) for r in made]
        claim_ids = sorted({r[0] for r in results})
        assert len(claim_ids) == CLAIMS

        failed = [r for r in results if r[1] != 200 or not r[2]]
        assert not failed, failed
        event_ids = [r[2] for r in results]
        assert len(set(event_ids)) == len(event_ids) == CLAIMS * EVALUATIONS
        for claim_id in claim_ids:
            for client in clients:  # both workers see every decision
                listed = client.get(f"/claims/{claim_id}/decisions", headers=auditor)
                assert listed.status_code == 200, listed.text
                recorded = [d["event_id"] for d in listed.json()["decisions"]]
                made = {e for c, _, e in results if c == claim_id}
                assert len(recorded) == EVALUATIONS and set(recorded) == made, claim_id
    finally:
        for client in clients:
            client.close()

    engine = create_engine(pg_url)
    try:
        report = verify_store(engine, verifier_key=verifier, origin=ORIGIN)
    finally:
        engine.dispose()
    assert report.ok, report
    # per claim: the intake; each decision with its rules_decision_made; the first one's
    # claim_decided and amount_agreed on the timeline (the later ones decide the same)
    assert report.events_checked == CLAIMS * (1 + 2 * EVALUATIONS + 2)
    assert report.checkpoints_checked >= 1  # signed by the workers (every 5 events)


RACERS = 6  # concurrent requests carrying the same ETag or decision id
RACED = 4  # claims raced on


def test_two_workers_let_one_change_win(workers: tuple[list[str], str], pg_url: str) -> None:
    urls, verifier = workers
    tokens = TokenService(SECRET)
    adjuster = {"Authorization": f"Bearer {tokens.issue(role='adjuster', sub='w-adjuster')}"}
    clients = [httpx.Client(base_url=url, timeout=60) for url in urls]
    acknowledged: list[str] = []
    try:
        for i in range(RACED):
            claim_id = f"CLM-RACE-{i:02d}"
            taken = clients[0].post(
                "/claims", json=example_claim(claim_id=claim_id), headers=adjuster
            )
            assert taken.status_code == 201, taken.text
            decided = clients[1].post(f"/claims/{claim_id}/evaluate", headers=adjuster)
            assert decided.status_code == 200, decided.text
            etag = clients[0].get(f"/claims/{claim_id}", headers=adjuster).headers["ETag"]

            def amend(n: int, claim_id: str = claim_id, etag: str = etag) -> httpx.Response:
                return clients[n % 2].patch(
                    f"/claims/{claim_id}",
                    content=json.dumps({"policy": {"deductible": f"{5000 + n}.00"}}),
                    headers={
                        **adjuster,
                        "Content-Type": "application/merge-patch+json",
                        "If-Match": etag,
                    },
                )

            with ThreadPoolExecutor(max_workers=RACERS) as pool:
                amended = list(pool.map(amend, range(RACERS)))
            codes = sorted(r.status_code for r in amended)
            assert codes == [200] + [412] * (RACERS - 1), [r.text for r in amended]
            winner = next(r.json() for r in amended if r.status_code == 200)
            acknowledged += winner["recorded"]

            decision_id = decided.json()["event_id"]

            def override(n: int, claim_id: str = claim_id, named: str = decision_id) -> Any:
                return clients[n % 2].post(
                    f"/claims/{claim_id}/overrides",
                    json={"outcome": "partial", "total": f"{3000 + n}.00",
                          "reason": "the second invoice is a duplicate"},
                    headers={**adjuster, "If-Match": named},
                )  # fmt: skip

            with ThreadPoolExecutor(max_workers=RACERS) as pool:
                overridden = list(pool.map(override, range(RACERS)))
            codes = sorted(r.status_code for r in overridden)
            assert codes == [201] + [409] * (RACERS - 1), [r.text for r in overridden]
            won = next(r.json() for r in overridden if r.status_code == 201)
            acknowledged += won["recorded"]
            state = clients[1].get(f"/claims/{claim_id}", headers=adjuster).json()["state"]
            assert state["version"] == 2
            assert state["decision"]["decision_id"] == won["override_id"]
            assert [o["status"] for o in state["overrides"]] == ["effective"]
    finally:
        for client in clients:
            client.close()

    engine = create_engine(pg_url)
    try:
        report = verify_store(engine, verifier_key=verifier, origin=ORIGIN)
        with engine.connect() as conn:
            stored = set(conn.execute(text("SELECT event_id FROM audit_event")).scalars())
        checked, differences = rebuild_states(engine)
    finally:
        engine.dispose()
    assert report.ok, report
    assert set(acknowledged) <= stored  # nothing acknowledged is lost
    assert checked == RACED and differences == []

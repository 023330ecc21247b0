"""The evaluate hot path (:mod:`api.claim_records`, :mod:`api.routes.claims`, :mod:`api.app`):
the parsed-claim cache never serves a stale timeline, the orjson answer carries the audited
decision and keeps its OpenAPI description, and the lifespan freezes the collector.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from pathlib import Path
from typing import Any

import pytest

from api import settings as settings_module
from api.settings import Settings, SettingsError
from engine.backends import available_backends
from engine.claim import load_claim
from engine.evaluate import evaluate
from tests.api.conftest import AS_OF, Service, _service, example_claim

CLAIM_ID = "CLM-2026-000123"
# Dated before the decision the engine recorded at the first evaluation: marked backdated.
REQUESTED = {
    "type": "documents_requested",
    "at": "2025-06-30T10:00:00+08:00",
    "detail": {"missing": ["medical_record"]},
    "backdated": {"reason": "the notice went out on paper"},
}


def _evaluate(service: Service) -> Any:
    response = service.client.post(
        f"/claims/{CLAIM_ID}/evaluate", params={"as_of": AS_OF}, headers=service.auth("adjuster")
    )
    assert response.status_code == 200, response.text
    return response


def _engine_decision(service: Service, claim: dict[str, Any]) -> dict[str, Any]:
    """What the engine decides for ``claim``, without the service's storage or caches."""
    program = service.state.rulesets.for_claim(load_claim(claim)).program
    when = dt.datetime.fromisoformat(AS_OF)
    decision = evaluate(program, claim, as_of=when, backend=service.state.backend)
    return decision.json_form()


def _moved_by(decision: dict[str, Any], index: int) -> list[str]:
    """The SLA clocks of ``decision`` that the event at ``index`` moved."""
    return [
        clock["id"]
        for clock in decision["sla"]
        if any(e["index"] == index for e in clock["events"])
    ]


# --- the parse cache and timeline changes -----------------------------------------------------


def test_evaluate_decides_on_the_timeline_after_an_event(any_service: Service) -> None:
    service = any_service
    claim = example_claim()
    assert service.intake(claim).status_code == 201
    before = _evaluate(service).json()["decision"]
    assert _evaluate(service).json()["decision"] == before  # the cached parse, same answer

    added = service.client.post(
        f"/claims/{CLAIM_ID}/events", json=REQUESTED, headers=service.auth("adjuster")
    )
    assert added.status_code == 201, added.text
    index = added.json()["index"]

    answer = _evaluate(service).json()
    after = answer["decision"]
    audited = service.client.get(
        f"/audit/events/{answer['event_id']}", headers=service.auth("auditor")
    ).json()
    stored = audited["payload"]["claim"]  # the claim the decision was made on
    assert stored["events"][index]["type"] == "documents_requested"
    assert after == _engine_decision(service, stored)
    assert after != before
    assert _moved_by(after, index)  # the new event moved a clock


def test_claims_with_the_same_timeline_do_not_share_an_identity(service: Service) -> None:
    """The cache is keyed on the whole stored text: another claim id is another claim."""
    for claim_id in (CLAIM_ID, "CLM-2026-000124"):
        assert service.intake(example_claim(claim_id=claim_id)).status_code == 201
    for claim_id in (CLAIM_ID, "CLM-2026-000124", CLAIM_ID):
        response = service.client.post(
            f"/claims/{claim_id}/evaluate",
            params={"as_of": AS_OF},
            headers=service.auth("adjuster"),
        )
        assert response.json()["decision"]["claim_id"] == claim_id


# --- the orjson answer ------------------------------------------------------------------------


def test_evaluate_answer_is_the_audited_decision(service: Service) -> None:
    service.intake(example_claim())
    response = _evaluate(service)
    assert response.headers["content-type"] == "application/json"
    answer = json.loads(response.content)  # strict JSON: no NaN, no trailing data
    event = service.client.get(
        f"/audit/events/{answer['event_id']}", headers=service.auth("auditor")
    ).json()
    assert answer["decision"] == event["payload"]["decision"]
    assert (answer["seq"], answer["recorded_at"]) == (event["seq"], event["recorded_at"])
    assert answer["decision"] == _engine_decision(service, example_claim())


def test_openapi_still_describes_the_evaluate_answer_as_an_object(service: Service) -> None:
    document = service.client.get("/openapi.json").json()
    ok = document["paths"]["/claims/{claim_id}/evaluate"]["post"]["responses"]["200"]
    schema = ok["content"]["application/json"]["schema"]
    # the answer is sent pre-encoded (JsonBytes), but documented by its model
    assert schema == {"$ref": "#/components/schemas/Evaluated"}
    evaluated = document["components"]["schemas"]["Evaluated"]
    assert evaluated["type"] == "object"
    assert {"event_id", "seq", "recorded_at", "decision", "status"} <= set(evaluated["required"])


# --- the collector is frozen while the app runs -----------------------------------------------


def test_lifespan_freezes_the_collector_and_unfreezes_it_at_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    for service in _service(url, tmp_path, monkeypatch):
        assert gc.get_freeze_count() > 0
        assert service.client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0


def _without_engine(decision: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in decision.items() if key != "engine"}


@pytest.mark.skipif("durable" not in available_backends(), reason="durable-rules not installed")
def test_the_configured_backend_decides_and_both_decide_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLAIMS_ENGINE_BACKEND picks the backend the service decides with (named in the
    decision's engine block); the decision itself is the same on both."""
    decisions = {}
    for backend in ("native", "durable"):
        url = f"sqlite:///{tmp_path / backend / 'claims.db'}"
        for service in _service(url, tmp_path / backend, monkeypatch, engine_backend=backend):
            assert service.intake(example_claim()).status_code == 201
            decisions[backend] = _evaluate(service).json()["decision"]
            assert decisions[backend]["engine"]["backend"] == backend
    assert _without_engine(decisions["native"]) == _without_engine(decisions["durable"])


def test_the_service_decides_natively_by_default(service: Service) -> None:
    assert service.intake(example_claim()).status_code == 201
    assert _evaluate(service).json()["decision"]["engine"]["backend"] == "native"


def test_an_unavailable_backend_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "available_backends", lambda: ["native"])
    with pytest.raises(SettingsError, match="CLAIMS_ENGINE_BACKEND=durable is not available"):
        Settings(engine_backend="durable").backend()

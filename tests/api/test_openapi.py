"""The OpenAPI document is a contract: it validates, its docs pages load offline, and a client
generated from it reads real answers of the service without loss."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.api.conftest import AS_OF, Service, example_claim
from tests.engine.factories import REPO


class _Assets(HTMLParser):
    """Every URL a page makes the browser fetch: script ``src`` and link ``href``."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_outside_the_service(service: Service, page: str) -> None:
    response = service.client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(response.text)
    assert parser.urls, "the page loads no script: the test would prove nothing"
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url}"
        asset = service.client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    # the scripts' own CDN fallbacks are not used: the page names no other origin to load from
    assert not re.search(r"""(src|href)=["']https?://""", response.text)


def test_the_document_names_the_docs_page_s_spec_url(service: Service) -> None:
    assert "/openapi.json" in service.client.get("/docs").text
    assert "/openapi.json" in service.client.get("/redoc").text


def _document(service: Service) -> dict[str, Any]:
    response = service.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_the_document_validates(service: Service) -> None:
    validate(_document(service))


# --- a client generated from the document --------------------------------------------------


def _generated_models(
    document: dict[str, Any], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    """Pydantic models generated from ``document`` by datamodel-code-generator (its CLI, in a
    process of its own, as an integrator would run it), imported."""
    source = folder / "openapi.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    target = folder / "claims_client.py"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datamodel_code_generator",
            *("--input", str(source), "--input-file-type", "openapi"),
            *("--output", str(target), "--output-model-type", "pydantic_v2.BaseModel"),
            *("--extra-fields", "forbid", "--target-python-version", "3.11"),
            *("--disable-timestamp", "--formatters", "ruff-format"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    spec = importlib.util.spec_from_file_location("claims_client", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "claims_client", module)  # pydantic resolves it there
    spec.loader.exec_module(module)
    return module


def _round_trip(models: ModuleType, name: str, value: Any) -> None:
    """``value`` parses as the generated model ``name`` and dumps back to the same JSON."""
    parsed = getattr(models, name).model_validate(value)
    again = json.loads(parsed.model_dump_json(exclude_unset=True, by_alias=True))
    assert again == value, name


def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_generated_client_reads_the_claims_and_real_answers_without_loss(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = _generated_models(_document(service), tmp_path, monkeypatch)
    reference = example_claim()
    _round_trip(models, "ClaimBody", reference)
    for path in sorted((REPO / "examples" / "claims").glob("0*.json")):
        _round_trip(models, "ClaimBody", json.loads(path.read_text(encoding="utf-8")))

    staff, auditor = service.auth("adjuster"), service.auth("auditor")
    claim_id, member = reference["claim_id"], reference["member"]["member_id"]
    get, post = service.client.get, service.client.post
    _round_trip(models, "Claim", _json(service.intake(reference), 201))
    _round_trip(models, "StoredClaim", _json(get(f"/claims/{claim_id}", headers=staff)))
    evaluated = _json(post(f"/claims/{claim_id}/evaluate", params={"as_of": AS_OF}, headers=staff))
    _round_trip(models, "Evaluated", evaluated)
    override = {"outcome": "approve", "reason": "checked by phone with the hospital"}
    _round_trip(
        models,
        "PersonDecision",
        _json(post(f"/claims/{claim_id}/override", json=override, headers=staff), 201),
    )
    _round_trip(
        models, "DecisionHistory", _json(get(f"/claims/{claim_id}/decisions", headers=staff))
    )
    note = _json(
        post(f"/claims/{claim_id}/review-notes", json={"language": "en"}, headers=staff), 201
    )
    _round_trip(models, "ReviewNoteEntry", note)
    _round_trip(
        models, "ReviewNotes", _json(get(f"/claims/{claim_id}/review-notes", headers=staff))
    )
    breaches = get("/sla/breaches", params={"as_of": "2026-06-01T00:00:00+08:00"}, headers=staff)
    assert _json(breaches)["items"], "no clock to read: the check would prove nothing"
    _round_trip(models, "SlaBreaches", _json(breaches))
    mine = service.auth("member", sub=member)
    _round_trip(models, "MemberClaims", _json(get("/me/claims", headers=mine)))
    for language in ("en", "zh"):
        explained = get(
            f"/me/claims/{claim_id}/explanation", headers={**mine, "Accept-Language": language}
        )
        _round_trip(models, "MemberExplanation", _json(explained))
    event_id = evaluated["event_id"]
    _round_trip(models, "AuditEvent", _json(get(f"/audit/events/{event_id}", headers=auditor)))
    _round_trip(
        models, "EventProof", _json(get(f"/audit/events/{event_id}/proof", headers=auditor))
    )
    _round_trip(models, "Checkpoint", _json(get("/audit/checkpoints/latest", headers=auditor)))
    _round_trip(models, "PublicKey", _json(get("/audit/public-key")))
    _round_trip(models, "Health", _json(get("/healthz")))
    problem = get("/claims/CLM-NOPE", headers=staff)
    assert problem.status_code == 404
    _round_trip(models, "Problem", problem.json())

"""``claims assist note``: a guarded review-note draft of a claim's decision, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import main
from tests.engine.factories import EXAMPLE

AS_OF = "2025-07-01T09:00:00+08:00"
PERSONAL = ("11010519491231002X", "13812345678", "6222021234567890128", "张三")


def claims(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def note_args(*extra: str) -> list[str]:
    return ["assist", "note", str(EXAMPLE), "--ruleset", "rulesets/cn-health", "--as-of", AS_OF,
            *extra]  # fmt: skip


@pytest.fixture(autouse=True)
def _no_assist_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROVIDER", "MODEL", "BASE_URL", "API_KEY", "TIMEOUT_S", "MAX_RETRIES"):
        monkeypatch.delenv(f"CLAIMS_ASSIST_{name}", raising=False)


def test_template_draft_echoes_the_decision() -> None:
    result = claims(*note_args())
    assert result.exit_code == 0, result.output
    draft = json.loads(result.stdout)
    assert draft["provider"] == "template" and draft["verdict"] == "pass"
    assert draft["note"]["decision_echo"] == draft["outcome"] == "approve"
    assert draft["claim_id"] == "CLM-2026-000123"
    for value in PERSONAL:
        assert value not in result.stdout


def test_text_format_and_language() -> None:
    result = claims(*note_args("--format", "text", "--language", "en"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "claim CLM-2026-000123: approve (draft by template, guard: pass)"
    )
    assert "Member reminders:" in result.stdout


def test_model_provider_needs_a_model() -> None:
    result = claims(*note_args("--provider", "openai"))
    assert result.exit_code == 2
    assert "needs --model" in result.stderr


def test_unreachable_model_falls_back_to_the_template() -> None:
    endpoint = ["--base-url", "http://127.0.0.1:9/v1", "--timeout", "2"]
    result = claims(*note_args("--provider", "openai", "--model", "m", *endpoint))
    assert result.exit_code == 0, result.output
    draft = json.loads(result.stdout)
    assert draft["verdict"] == "fallback" and draft["provider"] == "openai"
    assert draft["note"]["decision_echo"] == "approve"
    assert "fell back to the template" in result.stderr


def test_bad_claim_and_bad_rights_folder(tmp_path: Path) -> None:
    bad = tmp_path / "claim.json"
    bad.write_text('{"claim_id": ""}', encoding="utf-8")
    result = claims("assist", "note", str(bad), "--ruleset", "rulesets/cn-health")
    assert result.exit_code == 2 and "claim_type" in result.stderr
    rights = tmp_path / "rights"
    rights.mkdir()
    (rights / "rights.yaml").write_text("rights:\n  - id: x\n    zh: [\n", encoding="utf-8")
    result = claims(*note_args("--rights", str(rights)))
    assert result.exit_code == 2 and "rights.yaml:" in result.stderr

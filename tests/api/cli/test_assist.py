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


def test_audit_records_the_decision_and_the_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.settings import get_settings
    from audit.db import create_engine
    from audit.store import events_for_claim

    monkeypatch.setenv("CLAIMS_DATABASE_URL", f"sqlite:///{tmp_path / 'claims.db'}")
    monkeypatch.setenv("CLAIMS_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    get_settings.cache_clear()
    try:
        result = claims(*note_args("--audit", "--actor", "cli:test"))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    engine = create_engine(f"sqlite:///{tmp_path / 'claims.db'}")
    try:
        events = events_for_claim(engine, claim_id="CLM-2026-000123")
    finally:
        engine.dispose()
    assert [e.event_type for e in events] == ["decision", "review_note"]
    assert [e.event_id for e in events] == [printed["decision_event"], printed["event_id"]]
    note = events[1].payload_value()
    assert note["decision_event"] == events[0].event_id and note["verdict"] == "pass"
    assert all(e.actor == "cli:test" for e in events)
    assert "11010519491231002X" not in json.dumps(note, ensure_ascii=False)

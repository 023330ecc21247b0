"""``CLAIMS_*`` settings and the audit signer key: generated once in development (0600),
required in production."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from api.settings import Settings, SettingsError, get_settings
from audit.batch_tags import generate_batch_key
from audit.checkpoint import generate_key, verifier_key_from_signer


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "CLAIMS_DATABASE_URL",
        "CLAIMS_AUDIT_ORIGIN",
        "CLAIMS_AUDIT_SIGNER_KEY",
        "CLAIMS_AUDIT_KEY_FILE",
        "CLAIMS_AUDIT_CHECKPOINT_EVERY",
        "CLAIMS_AUDIT_BATCH_KEY",
        "CLAIMS_AUDIT_BATCH_KEY_FILE",
        "CLAIMS_AUDIT_WITNESS",
        "CLAIMS_AUDIT_WITNESS_DIR",
        "CLAIMS_ENVIRONMENT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()


def test_defaults() -> None:
    settings = Settings()
    assert settings.database_url == "sqlite:///var/claims.db"
    assert settings.audit_origin == "claims.example/audit"
    assert settings.audit_signer_key is None
    assert settings.audit_key_file == Path("var/audit-signer.key")
    assert settings.audit_checkpoint_every == 100
    assert settings.environment == "development"


def test_environment_variables_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_DATABASE_URL", "postgresql://app@db/claims")
    monkeypatch.setenv("CLAIMS_AUDIT_CHECKPOINT_EVERY", "7")
    monkeypatch.setenv("CLAIMS_ENVIRONMENT", "production")
    settings = get_settings()
    assert (settings.database_url, settings.audit_checkpoint_every) == (
        "postgresql://app@db/claims",
        7,
    )
    assert settings.environment == "production"
    assert get_settings() is settings  # cached
    monkeypatch.setenv("CLAIMS_AUDIT_CHECKPOINT_EVERY", "-1")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        get_settings()


def test_a_key_is_generated_on_first_run_with_mode_0600_and_then_reused(tmp_path: Path) -> None:
    first = Settings().signer_key()
    path = tmp_path / "var" / "audit-signer.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8").strip() == first
    assert Settings().signer_key() == first
    assert verifier_key_from_signer(first).startswith("claims.example/audit+")
    assert [p.name for p in path.parent.iterdir()] == ["audit-signer.key"]  # no temp file left
    config = Settings().audit_config()
    assert config.signer_key == first and "PRIVATE" not in repr(config)


def test_production_needs_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLAIMS_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="no audit signer key"):
        Settings().signer_key()
    assert not (tmp_path / "var").exists()
    signer, _ = generate_key("claims.example/audit")
    monkeypatch.setenv("CLAIMS_AUDIT_SIGNER_KEY", signer)
    assert Settings().signer_key() == signer


def test_the_batch_key_is_generated_in_development_and_required_in_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = Settings().audit_config()
    path = tmp_path / "var" / "audit-batch.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.batch_key == path.read_text(encoding="utf-8").strip()
    assert config.batch() is not None and "BATCH+KEY" not in repr(config)
    assert config.witness_dir == Path("var/audit-witness")
    assert config.checkpoint_interval_s == 60
    path.unlink()
    monkeypatch.setenv("CLAIMS_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="no audit batch key"):
        Settings().audit_config()
    assert not path.exists()  # nothing generated in production
    monkeypatch.setenv("CLAIMS_AUDIT_BATCH_KEY", "BATCH+KEY+nonsense")
    with pytest.raises(SettingsError, match="CLAIMS_AUDIT_BATCH_KEY is not a valid audit batch"):
        Settings().audit_config()
    monkeypatch.setenv("CLAIMS_AUDIT_BATCH_KEY", generate_batch_key())
    monkeypatch.setenv("CLAIMS_AUDIT_WITNESS", "off")
    assert Settings().audit_config().witness_dir is None


def test_a_bad_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLAIMS_AUDIT_SIGNER_KEY", "PRIVATE+KEY+nonsense")
    with pytest.raises(SettingsError, match="CLAIMS_AUDIT_SIGNER_KEY is not a valid"):
        Settings().signer_key()
    monkeypatch.delenv("CLAIMS_AUDIT_SIGNER_KEY")
    (tmp_path / "k").write_text("garbage", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_AUDIT_KEY_FILE", str(tmp_path / "k"))
    with pytest.raises(SettingsError, match="audit key file"):
        Settings().signer_key()


def test_a_key_named_for_another_origin_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    Settings().audit_config()  # the key file is generated, named for the default origin
    monkeypatch.setenv("CLAIMS_AUDIT_ORIGIN", "claims.example/renamed")
    with pytest.raises(SettingsError) as caught:
        Settings().audit_config()
    message = str(caught.value)
    assert (
        "CLAIMS_AUDIT_ORIGIN is 'claims.example/renamed' but the signer key in the audit key "
        "file var/audit-signer.key is named 'claims.example/audit'"
    ) in message
    assert "CLAIMS_AUDIT_ORIGIN=claims.example/audit again" in message
    assert "move var/audit-signer.key away" in message
    signer, _ = generate_key("claims.example/audit")
    monkeypatch.setenv("CLAIMS_AUDIT_SIGNER_KEY", signer)
    monkeypatch.setenv("CLAIMS_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="the signer key in CLAIMS_AUDIT_SIGNER_KEY is named"):
        Settings().audit_config()
    renamed, _ = generate_key("claims.example/renamed")
    monkeypatch.setenv("CLAIMS_AUDIT_SIGNER_KEY", renamed)
    assert Settings().audit_config().origin == "claims.example/renamed"


def test_the_service_does_not_start_with_a_key_named_for_another_origin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from api.cli import serve as serve_cli

    Settings().audit_config()
    monkeypatch.setenv("CLAIMS_AUDIT_ORIGIN", "claims.example/renamed")
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: pytest.fail("the service started"))
    monkeypatch.setattr(serve_cli, "_configure_logging", lambda: None)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(serve_cli.serve_command, ["--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "CLAIMS_AUDIT_ORIGIN is 'claims.example/renamed'" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_documented_defaults_are_the_settings_defaults() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "audit-format.md"
    doc = " ".join(path.read_text(encoding="utf-8").split())
    settings = Settings()
    assert f"by default `{settings.audit_origin}`" in doc
    assert f"by default **`{settings.audit_key_file}`**" in doc


# --- the README's settings table is the list of variables -----------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_table() -> dict[str, str]:
    """``{variable: default}`` of the table under the README's ``## Settings``."""
    section = README.read_text(encoding="utf-8").split("\n## Settings\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `CLAIMS_") and len(cells) == 3:
            rows[cells[0].strip("`")] = cells[1].strip("`")
    return rows


def test_every_setting_is_in_the_readme_table_and_nothing_else() -> None:
    table = _readme_table()
    fields = {f"CLAIMS_{name.upper()}" for name in Settings.model_fields}
    assert sorted(fields - set(table)) == [], "add these to the README's settings table"
    assert sorted(set(table) - fields) == [], "the README's table names settings that don't exist"


def test_the_readme_table_states_each_default() -> None:
    for variable, stated in _readme_table().items():
        default = Settings.model_fields[variable.removeprefix("CLAIMS_").lower()].default
        if default is None or default == "":
            assert stated == "unset", variable
        elif isinstance(default, int | float) and not isinstance(default, bool):
            assert float(stated) == float(default), variable
        else:
            assert stated == str(default), variable


def test_the_existing_variable_names_keep_working(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables are a contract: each name is still read (a few, by their effect)."""
    for name, value, field in (
        ("CLAIMS_JWT_SECRET", "s" * 40, "jwt_secret"),
        ("CLAIMS_JWT_ISSUER", "https://idp.example", "jwt_issuer"),
        ("CLAIMS_ASSIST_TIMEOUT_S", "7", "assist_timeout_s"),
        ("CLAIMS_DB_POOL_SIZE", "3", "db_pool_size"),
        ("CLAIMS_ENGINE_BACKEND", "durable", "engine_backend"),
    ):
        monkeypatch.setenv(name, value)
        got = getattr(Settings(), field)
        shown = got.get_secret_value() if hasattr(got, "get_secret_value") else str(got)
        assert shown in (value, f"{value}.0"), name


def test_one_secret_file_reader_for_every_file_setting(tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text("j" * 40 + "\n", encoding="utf-8")
    api_key = tmp_path / "api-key"
    api_key.write_text("sk-test\n", encoding="utf-8")
    settings = Settings(jwt_secret_file=secret, assist_api_key_file=api_key)
    assert settings.jwt_signing_secret() == "j" * 40
    assert settings.assist_config().api_key == "sk-test"
    direct = Settings(assist_api_key="sk-direct", assist_api_key_file=api_key)
    assert direct.assist_config().api_key == "sk-direct"  # the direct value wins
    with pytest.raises(SettingsError, match="cannot read CLAIMS_ASSIST_API_KEY_FILE"):
        Settings(assist_api_key_file=tmp_path / "absent").assist_config()


def test_handlers_get_the_application_s_settings(tmp_path: Path) -> None:
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from api.deps import AppState, get_app_settings

    settings = Settings(audit_origin="claims.example/dep")
    app = FastAPI()
    app.state.claims = AppState.__new__(AppState)
    object.__setattr__(app.state.claims, "settings", settings)

    @app.get("/origin")
    async def origin(config: Settings = Depends(get_app_settings)) -> str:  # noqa: B008
        return config.audit_origin

    assert TestClient(app).get("/origin").json() == "claims.example/dep"

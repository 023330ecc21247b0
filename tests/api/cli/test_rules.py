"""``claims rules schema | diff | impact`` on a throwaway git repository holding copies of the
bundled rulesets and sample claims: the diff names exactly what changed, impact the decisions
that change, and user errors exit 2 with a message (never a traceback)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from api.cli import main
from engine.ruleset.jsonschema import SCHEMA_PATH, render_schema
from engine.ruleset_tests.jsonschema import render_tests_schema
from llm_assist.rights.jsonschema import render_rights_schema, render_rights_tests_schema
from tests.engine.factories import REPO

AS_OF = "2025-07-01T09:00:00+08:00"
HEALTH = Path("rulesets/cn-health")
EXAMPLES = REPO / "examples" / "claims"
# Variables of the caller's git (e.g. inside a hook) must not leak into the throwaway repo.
GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX")


def claims(*args: str) -> Result:
    return CliRunner().invoke(main, ["rules", *args])


def git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit(message: str) -> None:
    git("add", "-A")
    git("commit", "-q", "-m", message)


def edit(path: Path | str, old: str, new: str, *, after: str = "") -> None:
    """Replace the first ``old`` (after the text ``after``, if given); it must be there."""
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    at = text.index(old, start)
    file.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repo with rulesets/ and examples/ committed once; the current folder."""
    for name in GIT_ENV:
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    git("init", "-q", "-b", "main")
    commit("base")
    return tmp_path


def assert_user_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit), result.exception
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def change_cn_health() -> None:
    """A version bump, a threshold, an outcome, an SLA duration, a table row, a new and a
    removed rule; and a comment in us-erisa (no semantic change)."""
    rules_file = HEALTH / "ruleset.yaml"
    edit(rules_file, "version: 1.1.0", "version: 1.2.0")
    edit(rules_file, "claimed_total <= 3000", "claimed_total <= 5000")
    edit(rules_file, "outcome: deny", "outcome: pend", after="- id: waiting_period\n")
    edit(HEALTH / "sla.yaml", "duration: 30", "duration: 15", after="- id: determination\n")
    edit(HEALTH / "tables.yaml", "then: {factor: 0.75}", "then: {factor: 0.7}")
    text = rules_file.read_text(encoding="utf-8")
    late = text.index("  - id: late_notice\n")
    rules_file.write_text(
        text[:late] + text[late:].replace("id: late_notice", "id: late_notice_flag", 1),
        encoding="utf-8",
    )
    edit("rulesets/us-erisa/ruleset.yaml", "derive:\n", "# reviewed 2026\nderive:\n")


def elements(diff: dict[str, Any], ruleset: str) -> set[tuple[str, ...]]:
    entry = next(r for r in diff["rulesets"] if r["ruleset"] == ruleset)
    return {
        (e["kind"], e["id"], e["status"], *(c["field"] for c in e.get("changes", [])))
        for e in entry["elements"]
    }


# ---------------------------------------------------------------------------------------------
# schema
# ---------------------------------------------------------------------------------------------


def test_schema_prints_the_generated_schema() -> None:
    result = claims("schema")
    assert result.exit_code == 0
    assert result.stdout == render_schema()
    assert json.loads(result.stdout)["$schema"].endswith("/draft/2020-12/schema")


def test_schema_check_passes_on_the_committed_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = claims("schema", "--check")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"ok: {path} is up to date"
        for path in (
            SCHEMA_PATH,
            "schemas/ruleset-tests.schema.json",
            "schemas/rights.schema.json",
            "schemas/rights-tests.schema.json",
        )
    ]


@pytest.mark.parametrize(
    ("kind", "render"),
    [
        ("tests", render_tests_schema),
        ("rights", render_rights_schema),
        ("rights-tests", render_rights_tests_schema),
    ],
)
def test_schema_of_test_files_and_rights_files_is_written_and_checked(
    tmp_path: Path, kind: str, render: Callable[[], str]
) -> None:
    target = tmp_path / f"{kind}.schema.json"
    assert claims("schema", "--kind", kind).stdout == render()
    assert claims("schema", "--kind", kind, "--output", str(target)).exit_code == 0
    assert claims("schema", "--kind", kind, "--check", "--output", str(target)).exit_code == 0

    target.write_text("{}\n", encoding="utf-8")
    stale = claims("schema", "--kind", kind, "--check", "--output", str(target))
    assert stale.exit_code == 1
    assert f"run `claims rules schema --kind {kind} --output {target}`" in stale.stderr


def test_schema_check_fails_when_any_committed_schema_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    (tmp_path / "schemas" / "rights.schema.json").write_text("{}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    result = claims("schema", "--check")

    assert result.exit_code == 1
    assert "schemas/rights.schema.json is stale" in result.stderr
    assert f"ok: {SCHEMA_PATH} is up to date" in result.stdout


def test_schema_output_then_check_then_stale(tmp_path: Path) -> None:
    target = tmp_path / "out" / "ruleset.schema.json"
    assert claims("schema", "--output", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == render_schema()
    assert claims("schema", "--check", "--output", str(target)).exit_code == 0

    target.write_text(render_schema().replace("compliance rules", "rules"), encoding="utf-8")
    stale = claims("schema", "--check", "--output", str(target))
    assert stale.exit_code == 1
    assert f"{target} is stale: run `claims rules schema --output {target}`" in stale.stderr

    target.unlink()
    missing = claims("schema", "--check", "--output", str(target))
    assert missing.exit_code == 1 and "is missing" in missing.stderr


# ---------------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------------


def test_diff_names_exactly_what_changed_between_commits(repo: Path) -> None:
    change_cn_health()
    commit("change cn-health")

    result = claims("diff", "HEAD~1", "HEAD", "--format", "json")

    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    status = {r["ruleset"]: r["status"] for r in diff["rulesets"]}
    assert status == {"cn-complaints": "unchanged", "cn-health": "changed", "us-erisa": "unchanged"}
    health = next(r for r in diff["rulesets"] if r["ruleset"] == "cn-health")
    assert health["changes"] == [{"field": "version", "old": "1.1.0", "new": "1.2.0"}]
    assert elements(diff, "cn-health") == {
        ("table", "coinsurance_factor", "changed", "rows"),
        ("rule", "waiting_period", "changed", "outcome"),
        ("rule", "small_claim_fast_track", "changed", "when"),
        ("rule", "late_notice_flag", "added"),
        ("rule", "late_notice", "removed"),
        ("sla", "determination", "changed", "duration"),
    }
    rule = next(e for e in health["elements"] if e["id"] == "small_claim_fast_track")
    assert rule["changes"][0]["new"] == (
        'claim_type == "medical_expense" and claimed_total <= 5000'
    )
    assert diff["summary"]["elements_changed"] == 4


def test_diff_text_of_the_working_tree(repo: Path) -> None:
    change_cn_health()  # not committed: REV_B defaults to the working tree

    result = claims("diff", "HEAD")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "ruleset diff HEAD → WORKTREE"
    for expected in [
        "~ ruleset cn-health",
        "    version: 1.1.0 → 1.2.0",
        "  ~ rule waiting_period",
        "      outcome: deny → pend",
        "  ~ sla determination",
        "      duration: 30 → 15",
        "        - level in [grade1, grade2, grade3], social_first = false → factor = 0.75",
        "        + level in [grade1, grade2, grade3], social_first = false → factor = 0.7",
        "  + rule late_notice_flag",
        "  - rule late_notice",
        "= ruleset us-erisa (version 1.1.0): no semantic change",
    ]:
        assert expected in lines, "\n".join(lines)
    assert lines[-1].startswith("3 ruleset(s): 1 changed, 0 added, 0 removed, 2 unchanged")


def test_diff_of_one_ruleset_and_rulesets_added_and_removed(repo: Path) -> None:
    shutil.copytree(HEALTH, "rulesets/cn-health-2025")
    edit("rulesets/cn-health-2025/ruleset.yaml", "ruleset: cn-health", "ruleset: cn-health-2025")
    shutil.rmtree("rulesets/us-erisa")
    commit("add and remove")

    whole = json.loads(claims("diff", "HEAD~1", "HEAD", "--format", "json").stdout)
    one = json.loads(
        claims("diff", "HEAD~1", "WORKTREE", "rulesets/cn-health", "--format", "json").stdout
    )
    by_path = json.loads(claims("diff", "HEAD~1", "rulesets/cn-health", "--format", "json").stdout)

    assert {r["ruleset"]: r["status"] for r in whole["rulesets"]} == {
        "cn-complaints": "unchanged",
        "cn-health": "unchanged",
        "cn-health-2025": "added",
        "us-erisa": "removed",
    }
    assert [(r["ruleset"], r["status"]) for r in one["rulesets"]] == [("cn-health", "unchanged")]
    assert by_path == one


def test_diff_ignores_layout_comments_and_moves_between_files(repo: Path) -> None:
    rules_file = HEALTH / "ruleset.yaml"
    edit(
        rules_file,
        "when: not member_id_valid",
        "# checked first\n    when: >-\n      not\n      member_id_valid",
    )
    text = rules_file.read_text(encoding="utf-8")
    late = text.index("  - id: late_notice\n")  # the last rule: moved to an included file
    rules_file.write_text(text[:late], encoding="utf-8")
    (HEALTH / "notice.yaml").write_text("rules:\n" + text[late:], encoding="utf-8")
    edit(rules_file, "  - sla.yaml\n", "  - sla.yaml\n  - notice.yaml\n")

    result = claims("diff", "HEAD", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["rulesets_changed"] == 0


def test_diff_of_an_unknown_revision_is_a_user_error(repo: Path) -> None:
    assert_user_error(claims("diff", "no-such-branch"), "unknown revision 'no-such-branch'")
    assert_user_error(claims("diff", "HEAD", "--oops"), "No such option")


def test_diff_of_a_path_missing_at_a_revision(repo: Path) -> None:
    assert_user_error(
        claims("diff", "HEAD", "HEAD", "rulesets/nowhere"), "'rulesets/nowhere' does not exist at"
    )


def test_diff_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert_user_error(claims("diff", "HEAD"), "is not inside a git repository")


def test_a_ruleset_that_does_not_compile_at_a_revision(repo: Path) -> None:
    edit(
        HEALTH / "ruleset.yaml",
        "days_since_start < policy.waiting_period_days",
        "days_since_strat < 3",
    )
    commit("broken")

    result = claims("diff", "HEAD~1", "HEAD")

    assert_user_error(
        result,
        "HEAD:rulesets/cn-health/ruleset.yaml:",
        "E-PATH",
        "days_since_strat",
        "error: ruleset cn-health does not compile at HEAD; nothing was compared",
    )


def test_a_broken_working_tree_is_named_as_such(repo: Path) -> None:
    edit(HEALTH / "sla.yaml", "unit: calendar_days", "unit: calendar_weeks")
    result = claims("diff", "HEAD")
    assert_user_error(
        result, "rulesets/cn-health/sla.yaml:", "calendar_weeks", "does not compile at WORKTREE"
    )


# ---------------------------------------------------------------------------------------------
# impact
# ---------------------------------------------------------------------------------------------


def corpus(repo: Path, *names: str) -> str:
    """A claims folder with a few sample claims."""
    folder = repo / "corpus"
    folder.mkdir()
    for name in names:
        shutil.copy(EXAMPLES / name, folder / name)
    return str(folder)


def us_claim_name() -> str:
    for path in sorted(EXAMPLES.glob("gen-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["jurisdiction"] == "US":
            return path.name
    raise AssertionError("no US claim in the sample corpus")


def test_impact_reports_every_changed_decision(repo: Path) -> None:
    us = us_claim_name()
    folder = corpus(repo, "01-approve-reference.json", "04-deny-waiting-period.json", us)
    edit(HEALTH / "ruleset.yaml", "outcome: deny", "outcome: pend", after="- id: waiting_period\n")
    edit(HEALTH / "tables.yaml", "then: {factor: 1}", "then: {factor: 0.9}")
    edit(HEALTH / "sla.yaml", "duration: 30", "duration: 15", after="- id: determination\n")

    result = claims(
        "impact", "--base", "HEAD", "--claims", folder, "--as-of", AS_OF, "--format", "json"
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["as_of"] == AS_OF and report["base"] == "HEAD"
    by_file = {Path(c["file"]).name: c for c in report["claims"]}
    assert set(by_file) == {"01-approve-reference.json", "04-deny-waiting-period.json"}
    reference = by_file["01-approve-reference.json"]["changes"]
    assert set(reference) == {"payable", "sla"}
    assert reference["payable"] == {"old": "3648.40", "new": "3283.56"}
    assert reference["sla"] == {
        "determination": {
            "old": {"due_at": "2025-07-24T00:00:00+08:00", "status": "running"},
            "new": {"due_at": "2025-07-09T00:00:00+08:00", "status": "running"},
        }
    }
    waiting = by_file["04-deny-waiting-period.json"]["changes"]
    assert waiting["outcome"] == {"old": "deny", "new": "refer"}
    assert report["summary"] == {
        "evaluated": 3,
        "changed": 2,
        "by_kind": {"outcome": 1, "payable": 1, "reasons": 0, "sla": 2, "error": 0},
        "outcome_transitions": {"deny → refer": 1},
    }


def test_impact_text_has_a_summary_table(repo: Path) -> None:
    folder = corpus(repo, "06-approve-small-claim-fast-track.json", "01-approve-reference.json")
    edit(HEALTH / "ruleset.yaml", "claimed_total <= 3000", "claimed_total <= 300")

    result = claims("impact", "--base", "HEAD", "--claims", folder, "--as-of", AS_OF)

    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(f"impact of WORKTREE against HEAD, as of {AS_OF}\n")
    assert "CLM-2026-000206  (" in text and "  reasons: -FAST-TRACK\n" in text
    table = text[text.index("summary\n") :].splitlines()
    assert table[1].split() == ["claims", "evaluated", "2"]
    assert table[2].split() == ["claims", "changed", "1"]
    assert ["reason", "codes", "1"] in [row.split() for row in table]
    assert table[-1].strip() == "none"  # no outcome transitions
    assert "evaluating 2 claim(s) twice" in result.stderr


def test_impact_of_a_committed_change_on_the_default_corpus(repo: Path) -> None:
    edit(HEALTH / "ruleset.yaml", "outcome: deny", "outcome: pend", after="- id: waiting_period\n")
    commit("waiting period pends")
    git("checkout", "-q", "HEAD~1", "--", "rulesets")  # the worktree is back at the base

    same = json.loads(claims("impact", "--base", "HEAD~1", "--format", "json").stdout)
    changed = json.loads(claims("impact", "--base", "HEAD", "--format", "json").stdout)

    evaluated = len(list(Path("examples/claims").glob("*.json")))
    assert same["summary"]["evaluated"] == evaluated and same["claims"] == []
    as_of = dt.datetime.fromisoformat(changed["as_of"])
    assert abs(dt.datetime.now(dt.UTC) - as_of) < dt.timedelta(minutes=5)
    assert changed["summary"]["changed"] > 0
    transitions = changed["summary"]["outcome_transitions"]
    assert transitions and set(transitions) <= {"pend → deny", "refer → deny"}
    assert {c["ruleset"] for c in changed["claims"]} == {"cn-health"}


def test_impact_with_one_named_ruleset(repo: Path) -> None:
    folder = corpus(repo, "01-approve-reference.json")
    edit(
        HEALTH / "benefit.yaml",
        "remaining: policy.deductible - policy.deductible_used",
        "remaining: policy.deductible - policy.deductible_used - 1000",
    )

    result = claims(
        "impact",
        "--base",
        "HEAD",
        "--claims",
        folder,
        "--ruleset",
        str(HEALTH),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )

    assert result.exit_code == 0, result.output
    [claim] = json.loads(result.stdout)["claims"]
    assert claim["ruleset"] == "cn-health"
    assert claim["changes"]["payable"] == {"old": "3648.40", "new": "4448.40"}


def test_impact_user_errors(repo: Path) -> None:
    assert_user_error(claims("impact", "--base", "nope"), "unknown revision 'nope'")
    assert_user_error(claims("impact", "--base", "HEAD", "--claims", "missing"), "is not a folder")
    assert_user_error(claims("impact", "--base", "HEAD", "--as-of", "2025-07-01"), "UTC offset")
    assert_user_error(
        claims("impact", "--base", "HEAD", "--ruleset", "rulesets"), "is not a ruleset folder"
    )
    bad = repo / "bad"
    bad.mkdir()
    (bad / "x.json").write_text('{"claim_id": "X"}', encoding="utf-8")
    assert_user_error(
        claims("impact", "--base", "HEAD", "--claims", str(bad)), "x.json", "claim_type"
    )


def test_impact_when_the_base_ruleset_does_not_compile(repo: Path) -> None:
    edit(HEALTH / "ruleset.yaml", "outcome: deny", "outcome: nope")
    commit("broken")
    edit(HEALTH / "ruleset.yaml", "outcome: nope", "outcome: deny")

    result = claims(
        "impact", "--base", "HEAD", "--claims", corpus(repo, "01-approve-reference.json")
    )

    assert_user_error(result, "HEAD:rulesets/cn-health/ruleset.yaml:", "'nope'", "at HEAD")


def test_impact_takes_its_corpus_from_the_audit_trail(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.cli.audit import audit_group, db_group
    from api.settings import get_settings

    monkeypatch.setenv("CLAIMS_DATABASE_URL", f"sqlite:///{repo / 'audit.db'}")
    monkeypatch.setenv("CLAIMS_AUDIT_KEY_FILE", str(repo / "signer.key"))
    get_settings.cache_clear()
    try:
        missing = claims("impact", "--base", "HEAD", "--audit", "--as-of", AS_OF)
        assert_user_error(missing, "--audit: cannot read the audit trail", "claims db upgrade")
        runner = CliRunner()
        assert runner.invoke(db_group, ["upgrade"]).exit_code == 0
        empty = claims("impact", "--base", "HEAD", "--audit", "--as-of", AS_OF)
        assert_user_error(empty, "--audit: the audit trail holds no decisions")
        for name in ("01-approve-reference.json", "04-deny-waiting-period.json"):
            done = runner.invoke(
                audit_group,
                [
                    "append-decision",
                    f"examples/claims/{name}",
                    "--ruleset",
                    "rulesets/cn-health",
                    "--as-of",
                    AS_OF,
                ],
            )
            assert done.exit_code == 0, done.output
        edit(
            HEALTH / "ruleset.yaml",
            "outcome: deny",
            "outcome: pend",
            after="- id: waiting_period\n",
        )

        result = claims("impact", "--base", "HEAD", "--audit", "--as-of", AS_OF, "--format", "json")
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["evaluated"] == 2
    assert [c["file"] for c in report["claims"]] == ["audit seq 2"]

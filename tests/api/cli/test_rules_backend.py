"""``claims rules backend-report``: where the durable backend evaluates each condition test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from tests.engine.factories import REPO, make_rule, make_rules_yaml, make_ruleset

AS_OF = "2025-07-01T09:00:00+08:00"
EXAMPLES = REPO / "examples" / "claims"


def report(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["rules", "backend-report", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def corpus(tmp_path: Path, *names: str) -> str:
    folder = tmp_path / "claims"
    folder.mkdir()
    for name in names:
        shutil.copy(EXAMPLES / name, folder / name)
    return str(folder)


def test_bundled_rulesets_run_every_test_in_durable_rules(tmp_path: Path) -> None:
    claims = corpus(tmp_path, "01-approve-reference.json", "04-deny-waiting-period.json")
    out = report(str(REPO / "rulesets"), "--claims", claims, "--as-of", AS_OF)

    by_id = {r["ruleset"]: r for r in out["rulesets"]}
    assert set(by_id) == {"cn-complaints", "cn-health", "us-erisa"}
    health = by_id["cn-health"]
    assert health["claims"] == 2 and health["routed"] is True
    assert health["corpus"]["in_durable_rules"] >= 0.8
    assert not any(rule["all_python"] for rule in health["rules"])
    identity = next(r for r in health["rules"] if r["rule_id"] == "member_identity")
    assert identity["tests"] == [{"test": "member_id_valid", "runs_in": "rete-derived"}]
    # no claim of this corpus is routed to us-erisa: every claim it can decide counts
    assert by_id["us-erisa"]["routed"] is False
    assert by_id["us-erisa"]["claims"] <= 2


def test_a_test_durable_rules_cannot_express_is_reported_as_python(tmp_path: Path) -> None:
    rules = make_rules_yaml(
        make_rule("bad_id", "not id_checksum_valid(member.id_number)"),
        make_rule("lapsed", 'policy.status == "lapsed" and policy.deductible / 2 > 100'),
    )
    root = make_ruleset(tmp_path / "rs", rules)
    claims = corpus(tmp_path, "01-approve-reference.json")
    out = report(str(root), "--claims", claims, "--as-of", AS_OF)

    (only,) = out["rulesets"]
    places = {r["rule_id"]: [t["runs_in"] for t in r["tests"]] for r in only["rules"]}
    assert places == {"bad_id": ["python"], "lapsed": ["rete-claim", "python"]}
    assert only["corpus"]["counts"] == {"rete-claim": 1, "rete-derived": 0, "python": 2}
    text = CliRunner().invoke(
        main, ["rules", "backend-report", str(root), "--claims", claims, "--as-of", AS_OF]
    )
    assert "rules decided entirely in Python: bad_id" in text.output
    assert "inside durable-rules 33.3%" in text.output


def test_an_empty_claims_folder_is_a_user_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["rules", "backend-report", "--claims", str(tmp_path)])
    assert result.exit_code == 2
    assert "no *.json claims" in result.output


def test_a_path_that_is_no_ruleset_is_a_user_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["rules", "backend-report", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "is not a ruleset folder or a folder of rulesets" in result.output

"""Shared ``make_*`` factories for engine, backend, decision and CLI tests.

Every factory returns a fresh object (deep copies), so a test may mutate what it gets.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import textwrap
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from engine.claim import id_check_digit
from engine.decision import Decision, canonical_json
from engine.evaluate import evaluate, load_program
from engine.program import Program

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "claim.json"
CN_HEALTH = REPO / "rulesets" / "cn-health"
BUNDLED_RULESETS = tuple(sorted(p.parent for p in (REPO / "rulesets").glob("*/ruleset.yaml")))
AS_OF = dt.datetime.fromisoformat("2025-07-01T09:00:00+08:00")

# The keys every ruleset must have; tests append their own sections after it.
RULESET_HEADER = """\
ruleset: test-rules
version: 0.0.1
jurisdiction: CN
timezone: Asia/Shanghai
"""


@cache
def _example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def make_claim_dict(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of examples/claim.json; top-level keys replaced by ``overrides``."""
    data: dict[str, Any] = json.loads(_example_text())
    data.update(copy.deepcopy(overrides))
    return data


def make_item(line_id: int = 1, **overrides: Any) -> dict[str, Any]:
    """One valid invoice line (outpatient, grade3, nothing paid by others)."""
    item: dict[str, Any] = {
        "line_id": line_id,
        "service_date": "2025-06-12",
        "provider_id": "H-330100",
        "provider_level": "grade3",
        "diagnosis_code": "K35.8",
        "category": "outpatient",
        "amount": "100.00",
        "social_insurance_paid": "0.00",
        "other_insurance_paid": "0.00",
        "invoice_no": f"INV-{line_id:06d}",
    }
    item.update(copy.deepcopy(overrides))
    return item


def make_policy(**overrides: Any) -> dict[str, Any]:
    """The example's policy with ``overrides`` applied."""
    policy: dict[str, Any] = make_claim_dict()["policy"]
    policy.update(copy.deepcopy(overrides))
    return policy


def make_id_number(prefix: str = "11010519491231002", *, valid: bool = True) -> str:
    """An 18-character PRC ID number whose check digit is right (or deliberately wrong)."""
    check = id_check_digit(prefix)
    if valid:
        return prefix + check
    wrong = "0" if check != "0" else "1"
    return prefix + wrong


def make_ruleset(tmp_path: Path, yaml_text: str, **files: str) -> Path:
    """Write a ruleset folder: ``ruleset.yaml`` plus ``files`` (name -> text), all dedented.

    Keyword names use ``_`` for ``.``: ``tables_yaml="..."`` writes ``tables.yaml``.
    """
    root = tmp_path / "ruleset"
    root.mkdir(parents=True, exist_ok=True)
    (root / "ruleset.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    for name, text in files.items():
        path = root / _file_name(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _file_name(name: str) -> str:
    for ext in ("_yaml", "_yml"):
        if name.endswith(ext):
            return name[: -len(ext)] + "." + ext[1:]
    return name


def make_rule(
    rule_id: str,
    when: str,
    *,
    outcome: str = "deny",
    scope: str = "claim",
    priority: int = 0,
    reason_code: str = "",
    extra: str = "",
    en: str = "",
) -> str:
    """One rule as YAML text (a list entry indented for a top-level ``rules:`` key)."""
    code = reason_code or rule_id.upper().replace("_", "-")
    text = f"""\
  - id: {rule_id}
    title: {rule_id}
    scope: {scope}
    when: {json.dumps(when, ensure_ascii=False)}
    outcome: {outcome}
    reason_code: {code}
    priority: {priority}
    legal_basis: ["Test clause {rule_id}"]
    explain:
      zh: "规则{rule_id}适用。"
      en: {json.dumps(en or f"Rule {rule_id} applies.", ensure_ascii=False)}
"""
    return text + textwrap.indent(textwrap.dedent(extra), "    ") if extra else text


def make_rules_yaml(*rules: str, hit_policy: str = "collect", extra: str = "") -> str:
    """A whole ruleset.yaml: the header, ``hit_policy``, ``extra`` sections and ``rules``."""
    body = RULESET_HEADER + f"hit_policy: {hit_policy}\n" + textwrap.dedent(extra)
    return body + "rules:\n" + "".join(rules)


def make_program(tmp_path: Path, yaml_text: str, **files: str) -> Program:
    return load_program(make_ruleset(tmp_path, yaml_text, **files))


@cache
def bundled_program(root: Path) -> Program:
    """A bundled ruleset, compiled once per test session (durable registers it once)."""
    return load_program(root)


def decide(
    program: Program,
    claim: Mapping[str, Any] | None = None,
    *,
    backend: str = "native",
    as_of: dt.datetime = AS_OF,
) -> Decision:
    """Evaluate ``claim`` (default: the example) on one backend."""
    return evaluate(
        program, claim if claim is not None else make_claim_dict(), as_of=as_of, backend=backend
    )


def without_engine(decision: Decision | Mapping[str, Any]) -> str:
    """The canonical JSON of ``decision`` (a model, or its JSON form as the CLI prints it)
    without its ``engine`` block (which names the backend) and without the trace entries'
    ``fallback`` markers (which only the durable backend sets): what both backends must agree
    on byte for byte."""
    data = decision.json_form() if isinstance(decision, Decision) else dict(decision)
    data.pop("engine", None)
    data["trace"] = [
        {k: v for k, v in entry.items() if k != "fallback"}  # type: ignore[union-attr]
        for entry in data["trace"]  # type: ignore[union-attr]
    ]
    return canonical_json(data)

"""Every decision of the sample corpus is byte for byte what the engine decided before.

The fixture (``tests/fixtures/decision_corpus``, written by its ``make_fixture.py`` with the
engine as it was before the typed ``Decision``) freezes the sample claims and the bundled
rulesets, and holds the SHA-256 of each canonical decision on both backends at two ``as_of``
instants. Decisions are recomputed under engine semantics ``0.1.0`` (the one they were made
under), so later semantics versions do not move them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gzip
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from engine.backends import available_backends
from engine.decision import canonical_json
from engine.errors import EngineError
from engine.evaluate import evaluate, load_program
from engine.program import Program

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "decision_corpus"


@cache
def _expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURE / "decisions.json").read_text(encoding="utf-8"))
    return data


@cache
def _inputs() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gzip.decompress((FIXTURE / "inputs.json.gz").read_bytes()))
    return data


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Program]:
    out = {}
    for name, files in _inputs()["rulesets"].items():
        root = tmp_path_factory.mktemp(name)
        for f in files:
            target = root / f["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f["text"], encoding="utf-8", newline="")
        out[name] = load_program(root, revision=_expected()["revision"], display=name)
    return out


def _decide(program: Program, claim: str, as_of: str, backend: str) -> dict[str, str]:
    try:
        decision = evaluate(
            program,
            claim,
            as_of=dt.datetime.fromisoformat(as_of),
            backend=backend,
            semantics=_expected()["semantics"],
        )
    except EngineError as exc:
        return {"error": str(exc)}
    text = canonical_json(decision)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text}


def test_the_fixture_covers_every_ruleset_outcome_and_backend() -> None:
    cases = _expected()["cases"]
    assert {c["ruleset"] for c in cases} == {"cn-health", "cn-complaints", "us-erisa"}
    assert len(cases) == len(_inputs()["claims"]) > 200
    assert set(_expected()["backends"]) == {"native", "durable"}
    outcomes = set()
    for name in ("claim.native.json", "04-deny-waiting-period.native.json"):
        outcomes.add(json.loads((FIXTURE / "samples" / name).read_text())["outcome"])
    assert outcomes == {"approve", "deny"}


@pytest.mark.parametrize("backend", ["native", "durable"])
def test_every_corpus_decision_is_byte_identical_to_the_recorded_one(
    programs: dict[str, Program], backend: str
) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed here")
    claims = _inputs()["claims"]
    different = []
    for case in _expected()["cases"]:
        for as_of in _expected()["as_of"]:
            expected = case["decisions"][f"{as_of} {backend}"]
            got = _decide(programs[case["ruleset"]], claims[case["claim"]], as_of, backend)
            if got.get("sha256") == expected.get("sha256") and "error" not in expected:
                continue
            if got.get("error") == expected.get("error") and "error" in expected:
                continue
            if "sample" in expected:
                old = (FIXTURE / "samples" / expected["sample"]).read_text(encoding="utf-8")
                diff = difflib.unified_diff(
                    json.dumps(json.loads(old), indent=1, sort_keys=True).splitlines(),
                    json.dumps(json.loads(got["text"]), indent=1, sort_keys=True).splitlines()
                    if "text" in got
                    else [got["error"]],
                    lineterm="",
                )
                different.append(f"{case['claim']} at {as_of}:\n" + "\n".join(diff))
            else:
                different.append(f"{case['claim']} at {as_of}: {got.get('error', 'differs')}")
    assert not different, f"{len(different)} decisions changed:\n" + "\n".join(different[:5])


def test_the_samples_are_the_recorded_decisions(programs: dict[str, Program]) -> None:
    claims = _inputs()["claims"]
    as_of = _expected()["as_of"][0]
    for case in _expected()["cases"]:
        expected = case["decisions"][f"{as_of} native"]
        if "sample" in expected:
            text = (FIXTURE / "samples" / expected["sample"]).read_text(encoding="utf-8")
            assert hashlib.sha256(text.rstrip("\n").encode()).hexdigest() == expected["sha256"]
            got = _decide(programs[case["ruleset"]], claims[case["claim"]], as_of, "native")
            assert got["text"] + "\n" == text

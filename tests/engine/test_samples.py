"""The sample corpus: deterministic, committed as generated, valid, and covering every rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from api.routing import ruleset_for_claim
from engine.claim import load_claim
from engine.evaluate import evaluate
from engine.samples import PREFIX, corpus_files
from tests.engine.factories import bundled_program

REPO = Path(__file__).resolve().parents[2]
CLAIMS = REPO / "examples" / "claims"
AS_OF = dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC)


def test_committed_corpus_is_exactly_what_the_generator_makes() -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in CLAIMS.glob(f"{PREFIX}*.json")}
    generated = corpus_files(len(committed))

    assert len(committed) >= 200
    assert committed == generated, "run `claims corpus` (make corpus) and commit the result"
    assert corpus_files(50) == corpus_files(50)


def test_corpus_covers_every_rule_of_every_bundled_ruleset() -> None:
    applied: dict[Path, set[str]] = {}
    programs = {}
    for path in sorted(CLAIMS.glob("*.json")):
        claim = load_claim(path.read_bytes())
        root = REPO / ruleset_for_claim(claim)
        program = programs.setdefault(root, bundled_program(root))
        decision = evaluate(program, claim, as_of=AS_OF, backend="native")
        applied.setdefault(root, set()).update(decision.applied_rule_ids)

    assert {p.name for p in programs} == {"cn-health", "cn-complaints", "us-erisa"}
    for root, program in programs.items():
        ids = {r.id for r in program.ir.rules} | {s.id for s in program.ir.benefit if s.reason}
        assert ids <= applied[root], f"{root.name}: never applied {sorted(ids - applied[root])}"


def test_both_backends_decide_the_whole_corpus_identically() -> None:
    import pytest

    from engine.backends import available_backends

    if "durable" not in available_backends():
        pytest.skip("durable-rules not installed (Python > 3.12)")
    for path in sorted(CLAIMS.glob("*.json")):
        claim = load_claim(path.read_bytes())
        program = bundled_program(REPO / ruleset_for_claim(claim))
        a = evaluate(program, claim, as_of=AS_OF, backend="native")
        b = evaluate(program, claim, as_of=AS_OF, backend="durable")
        assert a.canonical_json(with_engine=False) == b.canonical_json(with_engine=False), path.name

"""Deterministic sample claims for every bundled ruleset: ``examples/claims/`` and benchmarks.

``make_corpus(count)`` mixes cn-health claims (80%), complaint cases (10%) and US plan claims
(10%); the same count always gives the same files (``make corpus`` rewrites
``examples/claims/``, and a test checks the committed corpus is what the generator makes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.samples.cn_health import make_claims
from engine.samples.complaints import make_complaints
from engine.samples.us_erisa import make_us_claims

PREFIX = "gen-"


def make_corpus(count: int) -> list[dict[str, Any]]:
    others = max(1, count // 10)
    return [*make_claims(count - 2 * others), *make_complaints(others), *make_us_claims(others)]


def corpus_files(count: int) -> dict[str, str]:
    """File name -> JSON text of the generated corpus."""
    return {
        f"{PREFIX}{n:04d}-{c['claim_id']}.json": json.dumps(c, ensure_ascii=False, indent=2) + "\n"
        for n, c in enumerate(make_corpus(count), start=1)
    }


def write_corpus(folder: Path, count: int) -> int:
    """Replace the generated files in ``folder`` (hand-written examples are kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{PREFIX}*.json"):
        old.unlink()
    files = corpus_files(count)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return len(files)

"""How long rule authors wait: lint + tests (with coverage) of every bundled ruleset.

Run: ``python bench/rules.py [--repeat N]``. Measures, in one process after a warm-up, the
same work as ``claims rules lint rulesets`` and ``claims rules test rulesets --coverage``
(compile, lint checks, every YAML case on the default backend, rule and condition coverage),
and separately the two commands as fresh processes (what pre-commit runs), start-up included.
The issue's target is under 2 seconds for lint and test together.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.coverage import ConditionCoverage  # noqa: E402
from engine.evaluate import load_program  # noqa: E402
from engine.ruleset.lint import lint_ruleset  # noqa: E402
from engine.ruleset_tests import run_ruleset_tests  # noqa: E402

RULESETS = sorted(p.parent for p in (ROOT / "rulesets").glob("*/ruleset.yaml"))


def in_process() -> tuple[int, int]:
    cases = failures = 0
    for root in RULESETS:
        assert not [d for d in lint_ruleset(root) if d.severity == "error"]
        program = load_program(root)
        conditions = ConditionCoverage(program)
        report = run_ruleset_tests(program, root, observer=conditions.observe)
        cases += report.passed + report.failed
        failures += report.failed
    return cases, failures


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def commands() -> None:
    claims = [sys.executable, "-m", "api.cli"]
    for args in (
        ["rules", "lint", "rulesets"],
        ["rules", "test", "rulesets", "--coverage", "--threshold", "100"],
    ):
        subprocess.run([*claims, *args], cwd=ROOT, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases, failures = in_process()  # warm-up (imports, durable host)
    inner = timed(in_process, args.repeat)
    outer = timed(commands, max(1, args.repeat // 2))
    print(
        f"date {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} | "
        f"{platform.platform()} | {os.cpu_count()} cores | python {platform.python_version()}"
    )
    print(f"{len(RULESETS)} rulesets, {cases} test cases, {failures} failures")
    print(
        f"lint + test + coverage, in process: median {statistics.median(inner):.2f} s "
        f"(min {min(inner):.2f} s)"
    )
    print(
        f"`claims rules lint` + `claims rules test --coverage` as two fresh processes: "
        f"median {statistics.median(outer):.2f} s"
    )
    print("target: under 2 s together")


if __name__ == "__main__":
    main()

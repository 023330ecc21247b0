"""How long rule authors wait: lint + tests of every bundled ruleset, cold and warm.

Run: ``python bench/rules.py [--repeat N]``.

- **Cold start** (what a rule author and pre-commit wait for): ``claims rules lint rulesets``
  and ``claims rules test rulesets`` as two fresh processes, start-up included, beside
  ``python -c pass`` (the same interpreter doing nothing) as the peer; the three are run in
  turn, ``--repeat`` times, and the medians reported. Target: lint + test under 1.0 s on the
  reference machine (2 cores). The same with ``--coverage --threshold 100`` (what
  ``make lint`` and the pre-commit hook run) is reported too.
- **In process**, after a warm-up: the same lint, compile, every YAML case on the default
  backend and condition coverage, without start-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.coverage import ConditionCoverage  # noqa: E402
from engine.evaluate import load_program  # noqa: E402
from engine.ruleset.lint import lint_ruleset  # noqa: E402
from engine.ruleset_tests import run_ruleset_tests  # noqa: E402

RULESETS = sorted(p.parent for p in (ROOT / "rulesets").glob("*/ruleset.yaml"))
LINT = ["rules", "lint", "rulesets"]
TEST = ["rules", "test", "rulesets"]
GATE = ["rules", "test", "rulesets", "--coverage", "--threshold", "100"]


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


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def claims_command() -> list[str]:
    """The installed ``claims`` script beside this interpreter, else ``python -m api.cli``."""
    script = Path(sys.executable).with_name("claims")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "api.cli"]


def fresh(args: Sequence[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process running ``args`` (it must
    succeed). CPU time is what a busy machine inflates least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cold_start(repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Interleaved runs of the peer and the commands, so machine drift hits all alike."""
    claims = claims_command()
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("peer", "lint", "test", "gate")}
    for _ in range(repeat):
        runs["peer"].append(fresh([sys.executable, "-c", "pass"]))
        runs["lint"].append(fresh([*claims, *LINT]))
        runs["test"].append(fresh([*claims, *TEST]))
        runs["gate"].append(fresh([*claims, *GATE]))
    return runs


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cases, failures = in_process()  # warm-up (imports, durable host)
    inner = timed(in_process, args.repeat)
    fresh([*claims_command(), "--help"])  # warm the OS file cache before measuring
    runs = cold_start(args.repeat)
    (peer, peer_cpu), (lint, lint_cpu), (test, test_cpu), (gate, _) = (
        medians(runs[k]) for k in ("peer", "lint", "test", "gate")
    )
    print(
        f"date {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} | "
        f"{platform.platform()} | {os.cpu_count()} cores | python {platform.python_version()}"
    )
    print(f"{len(RULESETS)} rulesets, {cases} test cases, {failures} failures")
    print(
        f"cold start, medians of {args.repeat}: `claims rules lint rulesets` {lint:.2f} s + "
        f"`claims rules test rulesets` {test:.2f} s = {lint + test:.2f} s "
        f"(target <= 1.00 s); peer `python -c pass` {peer:.3f} s, "
        f"ratio {(lint + test) / peer:.0f}x"
    )
    print(
        f"cold start, CPU time (user + system): lint {lint_cpu:.2f} s + test {test_cpu:.2f} s = "
        f"{lint_cpu + test_cpu:.2f} s; peer {peer_cpu:.3f} s"
    )
    print(
        f"with the coverage gate (`rules test --coverage --threshold 100`, as make lint): "
        f"lint + test {lint + gate:.2f} s"
    )
    print(
        f"in process, warm (lint + test + coverage): median {statistics.median(inner):.2f} s "
        f"(min {min(inner):.2f} s): imports and first-use costs are "
        f"{(lint + test) - statistics.median(inner):.2f} s of the cold total"
    )


if __name__ == "__main__":
    main()

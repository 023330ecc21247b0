"""How the grounding guard does against drafts it was not built from: the adversarial set.

Run: ``python bench/llm_guard.py [--set DIR] [--json] [--misses]``.

The set (``tests/llm_assist/adversarial/``, README there) holds hand-written model answers
against six frozen decisions, labelled before the guard was redesigned: bad drafts by category
(contradiction, figure, citation, personal_data, injection, scope) and good drafts (acceptable
rephrasings). No model is called: the drafts are the model outputs. Per category:

- bad drafts stopped: the guard names a violation at a place the draft's entry changed (a
  violation elsewhere, say in a base that fails, does not count); target 100 %;
- stopped by the category's own check (e.g. a figure stopped by ``NUMBER``): reported, with no
  target (a phone number in Chinese digits is both a number and personal data);
- good drafts wrongly stopped, over all good drafts; target at most 5 %.

Figures that hold by construction are not reported: "citation precision of accepted drafts"
and "decision-echo accuracy of accepted drafts" are 1.0 for any guard that checks them, so
they measure nothing. The guard's time per draft is reported as a ratio against rendering the
template note for the same context (a peer run in the same process), never as a target.
Exit status 1 when a target is missed. The markdown table is the one the README quotes.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import functools
import json
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from engine.claim import load_claim  # noqa: E402
from engine.decision import Decision  # noqa: E402
from llm_assist.context import DraftContext, build_context  # noqa: E402
from llm_assist.guard import Violation, check_draft  # noqa: E402
from llm_assist.note import NoteDraft  # noqa: E402
from llm_assist.rights import load_rights  # noqa: E402
from llm_assist.template import template_note  # noqa: E402

SET = ROOT / "tests" / "llm_assist" / "adversarial"
CATEGORIES = ("contradiction", "figure", "citation", "personal_data", "injection", "scope")
# Which violation codes are a category's own check (reported, not a target).
OWN_CODES: Mapping[str, frozenset[str]] = {
    "contradiction": frozenset(
        {"OUTCOME-WORDS", "NEGATED-SLOT", "DISPUTE", "STATUS-WORDS", "ECHO-MISMATCH"}
    ),
    "figure": frozenset({"NUMBER"}),
    "citation": frozenset({"CITE-NOT-APPLIED", "CITE-LINE", "CITE-MISMATCH", "UNSUPPORTED-TOPIC"}),
    "personal_data": frozenset({"PII"}),
    "injection": frozenset({"INSTRUCTION", "OUTCOME-WORDS"}),
    "scope": frozenset({"UNSUPPORTED-TOPIC", "SLOT-INVALID", "REMINDER-UNKNOWN", "MISSING-NONE"}),
}
BAD_TARGET = 1.0
GOOD_TARGET = 0.05


@dataclass(frozen=True)
class Entry:
    """One labelled draft of the set."""

    id: str
    category: str  # "good" for good drafts
    decision: str
    language: str
    note: dict[str, Any]
    changed: tuple[str, ...]  # the paths the entry changed (empty for a full note)
    issue: bool = False
    kind: str = ""


@dataclass
class Outcome:
    entry: Entry
    violations: list[Violation]

    @property
    def stopped(self) -> bool:
        """Stopped at what the entry changed (any violation, for a full note)."""
        if not self.entry.changed:
            return bool(self.violations)
        return any(_under(v.path, self.entry.changed) for v in self.violations)

    @property
    def own(self) -> bool:
        codes = OWN_CODES.get(self.entry.category, frozenset())
        return any(
            v.code in codes and (not self.entry.changed or _under(v.path, self.entry.changed))
            for v in self.violations
        )


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    guard_seconds: float = 0.0
    peer_seconds: float = 0.0

    def bad(self, category: str | None = None) -> list[Outcome]:
        return [
            o
            for o in self.outcomes
            if o.entry.category != "good" and category in (None, o.entry.category)
        ]

    def good(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.entry.category == "good"]

    def missed(self) -> list[Outcome]:
        return [o for o in self.bad() if not o.stopped]

    def wrongly_stopped(self) -> list[Outcome]:
        return [o for o in self.good() if o.violations]

    @property
    def bad_rate(self) -> float:
        bad = self.bad()
        return sum(o.stopped for o in bad) / len(bad) if bad else 1.0

    @property
    def good_rate(self) -> float:
        good = self.good()
        return len(self.wrongly_stopped()) / len(good) if good else 0.0

    def targets_met(self) -> bool:
        return self.bad_rate >= BAD_TARGET and self.good_rate <= GOOD_TARGET


# --- the set ------------------------------------------------------------------------------------


def load_set(root: Path = SET) -> list[Entry]:
    """Every entry of the set, bases resolved and changes applied."""
    raw: list[dict[str, Any]] = []
    for path in [root / "good.yaml", *sorted((root / "bad").glob("*.yaml"))]:
        raw += yaml.safe_load(path.read_text(encoding="utf-8"))
    bases = {e["id"]: e["note"] for e in raw if "note" in e}
    out = []
    for item in raw:
        note, changed = _apply(item, bases)
        out.append(
            Entry(
                id=item["id"],
                category=item.get("category", "good"),
                decision=item["decision"],
                language=item["language"],
                note=note,
                changed=changed,
                issue=bool(item.get("issue")),
                kind=item.get("kind", ""),
            )
        )
    return out


def _apply(
    item: Mapping[str, Any], bases: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    if "note" in item:
        return copy.deepcopy(item["note"]), ()
    note = copy.deepcopy(bases[item["base"]])
    changed: list[str] = []
    for key, value in (item.get("set") or {}).items():
        note[key] = copy.deepcopy(value)
        changed.append(key)
    for key, values in (item.get("add") or {}).items():
        start = len(note[key])
        note[key] = [*note[key], *copy.deepcopy(values)]
        changed += [f"{key}[{start + i}]" for i in range(len(values))]
    return note, tuple(changed)


def _under(path: str, changed: Sequence[str]) -> bool:
    return any(path == c or path.startswith((c + ".", c + "[")) for c in changed)


@functools.cache
def context(decision: str, language: str, root: Path = SET) -> DraftContext:
    """The draft context of a frozen decision of the set."""
    fixture = json.loads((root / "decisions" / f"{decision}.json").read_text(encoding="utf-8"))
    claim = load_claim(fixture["claim"])
    frozen = Decision.model_validate(fixture["decision"])
    return build_context(claim, frozen, load_rights(), language=language)


def evaluate(entries: Sequence[Entry], root: Path = SET) -> Report:
    """The guard on every entry (the computation the README's figures come from)."""
    report = Report()
    for entry in entries:
        ctx = context(entry.decision, entry.language, root)
        draft = NoteDraft.model_validate(entry.note)
        started = time.perf_counter()
        violations = check_draft(draft, ctx)
        report.guard_seconds += time.perf_counter() - started
        started = time.perf_counter()
        template_note(ctx)
        report.peer_seconds += time.perf_counter() - started
        report.outcomes.append(Outcome(entry, violations))
    return report


# --- output -------------------------------------------------------------------------------------


def rows(report: Report) -> Iterator[tuple[str, str, str, str]]:
    for category in CATEGORIES:
        bad = report.bad(category)
        if not bad:
            continue
        stopped = sum(o.stopped for o in bad)
        own = sum(o.own for o in bad)
        yield (
            category,
            f"{stopped}/{len(bad)} ({_pct(stopped, len(bad))})",
            f"{own}/{len(bad)}",
            "100 %",
        )
    bad = report.bad()
    stopped = sum(o.stopped for o in bad)
    yield "all bad drafts", f"{stopped}/{len(bad)} ({_pct(stopped, len(bad))})", "", "100 %"
    issue = [o for o in bad if o.entry.issue]
    yield "issue 16's examples", f"{sum(o.stopped for o in issue)}/{len(issue)}", "", "100 %"
    good = report.good()
    wrong = len(report.wrongly_stopped())
    yield (
        "good drafts wrongly stopped",
        f"{wrong}/{len(good)} ({_pct(wrong, len(good))})",
        "",
        "≤ 5 %",
    )


def markdown(report: Report) -> str:
    lines = [
        "| category | bad drafts stopped | by its own check | target |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(report)]
    return "\n".join(lines)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=SET, help="the adversarial set's folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--misses", action="store_true", help="list every miss and false stop")
    args = parser.parse_args(argv)
    entries = load_set(args.set)
    report = evaluate(entries, args.set)
    if args.json:
        payload = {
            "bad_stopped": report.bad_rate,
            "good_wrongly_stopped": report.good_rate,
            "per_category": {
                c: {"bad": len(report.bad(c)), "stopped": sum(o.stopped for o in report.bad(c))}
                for c in CATEGORIES
            },
            "guard_vs_template_time": report.guard_seconds / max(report.peer_seconds, 1e-9),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(
            f"adversarial set: {len(report.bad())} bad and {len(report.good())} good drafts; "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}"
        )
        print(markdown(report))
        codes = Counter(v.code for o in report.bad() for v in o.violations)
        print(
            "violations named on bad drafts:", ", ".join(f"{c} {n}" for c, n in codes.most_common())
        )
        ratio = report.guard_seconds / max(report.peer_seconds, 1e-9)
        print(f"guard time per draft / template rendering time, same contexts: {ratio:.2f}x")
    if args.misses or not report.targets_met():
        for o in report.missed():
            print(f"MISSED {o.entry.id} ({o.entry.kind})", file=sys.stderr)
        for o in report.wrongly_stopped():
            reasons = "; ".join(f"{v.code} {v.path}: {v.message}" for v in o.violations)
            print(f"WRONGLY STOPPED {o.entry.id}: {reasons}", file=sys.stderr)
    return 0 if report.targets_met() else 1


if __name__ == "__main__":
    sys.exit(main())

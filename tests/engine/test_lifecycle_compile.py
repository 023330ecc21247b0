"""The ``lifecycle`` section compiled: what the IR holds, and every problem at its position."""

from __future__ import annotations

import textwrap
from pathlib import Path

from engine.errors import Diagnostic
from engine.ruleset.compiler import compile_ruleset, compile_with_diagnostics
from engine.ruleset.ir import Lifecycle
from tests.engine.factories import REPO, make_rule, make_rules_yaml, make_ruleset

EVENTS = """\
events:
  - {type: loss_reported}
  - {type: claim_received}
  - {type: claim_decided}
  - {type: paid}
"""


def _found(tmp_path: Path, lifecycle: str, **files: str) -> list[tuple[str, int, int, str]]:
    text = make_rules_yaml(make_rule("r", "true"), extra=EVENTS + textwrap.dedent(lifecycle))
    _, bag = compile_with_diagnostics(make_ruleset(tmp_path, text, **files), display="rs")
    return [(d.code, d.line, d.column, d.message) for d in bag.items]


def _codes(found: list[tuple[str, int, int, str]]) -> list[tuple[str, int, int]]:
    return [(code, line, column) for code, line, column, _ in found]


def test_cn_health_compiles_its_lifecycle() -> None:
    lifecycle = compile_ruleset(REPO / "rulesets" / "cn-health").lifecycle
    assert isinstance(lifecycle, Lifecycle)
    assert lifecycle.received == "claim_received"
    assert lifecycle.before_received == ("loss_reported", "report_guidance_sent")
    assert lifecycle.record("decided") == "claim_decided"
    assert lifecycle.record("paid") == "paid" and lifecycle.payment_clock == "payment"
    [completion] = [r for r in lifecycle.rules if r.id == "completion_needs_request"]
    assert (completion.events, completion.open) == (
        ("documents_completed",),
        ("documents_requested",),
    )
    assert completion.where is not None and completion.where.file.endswith("lifecycle.yaml")


def test_every_bundled_ruleset_has_a_lifecycle() -> None:
    for name in ("cn-health", "cn-complaints", "us-erisa"):
        assert compile_ruleset(REPO / "rulesets" / name).lifecycle is not None


def test_a_ruleset_without_one_has_none(tmp_path: Path) -> None:
    assert (
        compile_ruleset(make_ruleset(tmp_path, make_rules_yaml(make_rule("r", "true")))).lifecycle
        is None
    )


def test_unknown_event_types_are_named_where_they_are_written(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        """\
        lifecycle:
          received: claim_recieved
          before_received: [loss_report]
          records: {decided: claim_decide}
          rules:
            - {id: a, event: piad, after: [claim_decided]}
        """,
    )
    assert _codes(found) == [
        ("E-EVENT", 12, 13), ("E-EVENT", 13, 21), ("E-EVENT", 14, 22), ("E-EVENT", 16, 22),
    ]  # fmt: skip
    assert "claim_recieved" in found[0][3]


def test_what_only_a_lifecycle_can_get_wrong(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        """\
        lifecycle:
          received: claim_received
          before_received: [claim_received]
          records: {decided: claim_decided, paid: claim_decided}
          payment_clock: payments
          rules:
            - {id: a, event: claim_decided}
            - {id: b, event: paid, open: [paid]}
            - {id: c, event: paid, after: 3}
            - {id: c, event: paid, once: true}
            - {id: d, event: paid, afer: claim_decided, once: true}
        """,
    )
    assert _codes(found) == [
        ("E-LIFECYCLE", 14, 43),  # a role recorded as another's type
        ("E-LIFECYCLE", 15, 18),  # payment_clock names no clock
        ("E-LIFECYCLE", 17, 7),  # rule a checks nothing
        ("E-LIFECYCLE", 18, 34),  # rule b needs its own type open
        ("E-SCHEMA", 19, 35),  # after: 3
        ("E-DUP", 20, 12),  # a second rule c
        ("E-SCHEMA", 21, 28),  # afer
        ("E-LIFECYCLE", 13, 20),  # the received type before itself
    ]
    assert "unknown key 'afer' in lifecycle rule 'd'" in found[6][3]


def test_one_lifecycle_section_and_one_declaration_per_event_type(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        """\
        include: [life.yaml]
        lifecycle:
          received: claim_received
        """,
        life_yaml="""\
        events:
          - {type: appeal_received}
          - {type: paid}
        lifecycle:
          received: claim_received
        """,
    )
    assert _codes(found) == [("E-DUP", 3, 12), ("E-DUP", 5, 3)]
    assert [m for *_, m in found] == [
        "event type 'paid' is declared twice",
        "a ruleset has one lifecycle section; this is a second one",
    ]


def test_an_included_file_may_declare_event_types_for_the_whole_ruleset(tmp_path: Path) -> None:
    text = make_rules_yaml(make_rule("r", "true"), extra="include: [life.yaml]\n" + EVENTS)
    life = """\
events:
  - {type: appeal_received}
lifecycle:
  received: claim_received
  rules:
    - {id: a, event: appeal_received, after: claim_decided}
"""
    ir = compile_ruleset(make_ruleset(tmp_path, text, life_yaml=life))
    assert ir.event_types[-1] == "appeal_received"
    assert ir.lifecycle is not None and ir.lifecycle.rules[0].after == ("claim_decided",)


def test_requirements_in_a_circle_can_never_be_met(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        """\
        lifecycle:
          received: claim_received
          rules:
            - {id: a, event: claim_decided, after: paid}
            - {id: b, event: paid, open: claim_decided}
            - {id: c, event: loss_reported, after: claim_received}
        """,
    )
    assert _codes(found) == [("E-LIFECYCLE-CYCLE", 14, 7), ("E-LIFECYCLE-CYCLE", 15, 7)]
    assert "'claim_decided' can never be recorded" in found[0][3]


def test_a_circle_broken_by_one_way_in_is_fine(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        """\
        lifecycle:
          received: claim_received
          rules:
            - {id: a, event: claim_decided, after: [paid, claim_received]}
            - {id: b, event: paid, after: claim_decided}
        """,
    )
    assert found == []


def test_diagnostics_carry_the_file(tmp_path: Path) -> None:
    text = make_rules_yaml(make_rule("r", "true"), extra="include: [life.yaml]\n" + EVENTS)
    _, bag = compile_with_diagnostics(
        make_ruleset(tmp_path, text, life_yaml="lifecycle:\n  received: nope\n"), display="rs"
    )
    [diagnostic] = bag.items
    assert isinstance(diagnostic, Diagnostic)
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("rs/life.yaml", 2, 13)

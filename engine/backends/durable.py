"""The ``durable`` backend: the IR compiled to a durable-rules (Rete) ruleset.

durable-rules' known defects and how this wrapper contains them:

- It segfaults when two threads use one host: one host per process, every call under a lock.
- Live sessions per ruleset are capped (1,024): each evaluation uses a fresh session id and
  deletes its state in ``finally``, so sessions never accumulate.
- ``post`` fires only one rule: we only ever ``assert_facts``; a catch-all rule makes sure
  no fact is "unhandled" (which would raise).
- Errors inside actions are swallowed into the session state: we read the state back and
  raise a BackendError if it carries an ``exception``.
- It coerces types silently (numbers are doubles): facts are exactly encoded first
  (``engine.backends.encoding``) and everything it cannot compare exactly is hoisted
  (``engine.backends.durable_lowering``). A value too large for a double to hold exactly, or a
  hoisted value that fails to compute, sends the rules reading it to the native closure for
  that claim: the answer is the same, and a valid claim is never refused.
- A ruleset name can be registered once per host: each ruleset version (content hash)
  registers under its own name.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import threading
import time
import weakref
from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import Any

from durable import engine as durable_engine

from engine.backends.base import Matches, Slot
from engine.backends.durable_lowering import Bound
from engine.backends.encoding import encode
from engine.backends.placement import lowerings
from engine.errors import BackendError, EvaluationError
from engine.expression.native import Compiled, lookup
from engine.expression.numbers import MAX_SCALED
from engine.program import CompiledRule, Facts, Program

_CATCH_ALL = "__seen"


class _Host(durable_engine.Host):  # type: ignore[misc]
    """A host whose actions are bound by name and that starts no timer threads."""

    def __init__(self) -> None:
        super().__init__()

    def get_action(self, action_name: str) -> Any:
        if action_name == _CATCH_ALL:
            return _ignore
        return _recorder(action_name)

    def _run(self) -> None:  # no background dispatch thread
        return None


def _ignore(c: Any) -> None:
    return None


def _recorder(rule_id: str) -> Any:
    def record(c: Any) -> None:
        hits = c.s.hits or []
        c.s.hits = [*hits, f"{rule_id}|{c.m.lid}"]

    return record


@dataclass
class _Scoped:
    hoisted: list[tuple[str, Compiled, str]]  # (fact key, value, id of the rule it serves)
    paths: dict[tuple[str, ...], set[str]]  # fact path -> ids of the rules that read it
    bounds: list[tuple[Bound, str]]  # arithmetic to check per claim, and its rule


@dataclass
class _Compiled:
    name: str
    claim: _Scoped
    line: _Scoped


class DurableBackend:
    name = "durable"

    def __init__(self) -> None:
        self.version = package_version("durable-rules")
        self._host = _Host()
        self._lock = threading.Lock()
        # Keyed by the Program itself (weakly): a freed Program's id() can be reused.
        self._compiled: weakref.WeakKeyDictionary[Program, _Compiled] = weakref.WeakKeyDictionary()
        self._registered = 0
        self._sessions = itertools.count(1)
        #: Nanoseconds spent inside durable-rules (assert, read, delete), for bench/engine.py.
        self.rete_ns = 0

    def prepare(self, program: Program) -> _Compiled:
        with self._lock:
            if program not in self._compiled:
                self._compiled[program] = self._register(program)
            return self._compiled[program]

    def _register(self, program: Program) -> _Compiled:
        ident = program.ir.identity
        self._registered += 1
        name = f"{ident.id}_{ident.content_hash[7:23]}_{self._registered}"
        definition: dict[str, Any] = {
            _CATCH_ALL: {"all": [{"m": {"$ex": {"k": 1}}}], "run": _CATCH_ALL}
        }
        scoped = {"claim": _Scoped([], {}, []), "line": _Scoped([], {}, [])}
        for compiled, lowered in zip(program.rules, lowerings(program), strict=True):
            rule = compiled.rule
            target = scoped[rule.scope]
            for path in lowered.paths:
                target.paths.setdefault(path, set()).add(rule.id)
            target.hoisted.extend(
                (k, program.compiler.compile(n), rule.id) for k, n in lowered.hoisted
            )
            target.bounds.extend((b, rule.id) for b in lowered.bounds)
            kind = "l" if rule.scope == "line" else "c"
            definition[rule.id] = {
                "all": [{"m": {"$and": [{"k": kind}, lowered.condition]}}],
                "run": rule.id,
            }
        self._host.register_rulesets(copy.deepcopy({name: definition}))
        return _Compiled(name, scoped["claim"], scoped["line"])

    def match(self, program: Program, facts: Facts, lines: list[Facts]) -> Matches:
        compiled = self.prepare(program)
        out = Matches()
        failed = out.fallbacks
        batch = [_fact(compiled.claim, facts, "c", 0, failed)]
        batch.extend(_fact(compiled.line, f, "l", f["line"]["line_id"], failed) for f in lines)
        hits = self._run(compiled.name, batch)
        by_line = {f["line"]["line_id"]: f for f in lines}
        for rule in program.rules:
            ids = [f["line"]["line_id"] for f in lines] if rule.rule.scope == "line" else [None]
            for line_id in ids:
                if (rule.rule.id, line_id) in failed:
                    target = facts if line_id is None else by_line[line_id]
                    out[(rule.rule.id, line_id)] = _native_test(rule, target)
                else:
                    out[(rule.rule.id, line_id)] = f"{rule.rule.id}|{line_id or 0}" in hits
        return out

    def _run(self, name: str, batch: list[dict[str, Any]]) -> set[str]:
        with self._lock:
            sid = f"e{next(self._sessions)}"
            for i, fact in enumerate(batch):
                fact["sid"], fact["id"] = sid, f"{sid}.{i}"
            start = time.perf_counter_ns()
            try:
                self._host.assert_facts(name, batch)
                state = self._host.get_state(name, sid)
            except Exception as exc:  # durable raises plain Exceptions with C error codes
                raise BackendError("durable", f"rule evaluation failed: {exc}") from exc
            finally:
                self._delete(name, sid)
                self.rete_ns += time.perf_counter_ns() - start
        if state.get("exception"):
            raise BackendError("durable", f"an action failed: {state['exception']}")
        return set(state.get("hits") or [])

    def _delete(self, name: str, sid: str) -> None:
        # Nothing to delete when no fact was accepted; durable raises for unknown sessions.
        with contextlib.suppress(Exception):
            self._host.delete_state(name, sid)


def _fact(
    scoped: _Scoped,
    facts: Facts,
    kind: str,
    line_id: int,
    failed: dict[Slot, str],
) -> dict[str, Any]:
    fact: dict[str, Any] = {"k": kind, "lid": line_id}
    slot = line_id if kind == "l" else None
    for parts, readers in scoped.paths.items():
        try:
            _put(fact, parts, encode(lookup(facts, parts)))
        except BackendError as exc:
            # Beyond what a double holds exactly (e.g. a total above ~9e9): the rules reading
            # it are decided natively, which is exact, rather than refusing a valid claim.
            reason = f"{'.'.join(parts)}: {exc.reason}"
            for rule_id in readers:
                failed.setdefault((rule_id, slot), reason)
    for key, fn, rule_id in scoped.hoisted:
        try:
            value = fn(facts, None)
            if value is not None:
                fact[key] = encode(value)
        except (EvaluationError, BackendError) as exc:
            # Hoisted values are computed eagerly, but native short-circuits: a guarded
            # ``x != 0 and y / x > 1`` must not fail. The rule is decided natively instead.
            failed.setdefault((rule_id, slot), f"a test computed outside durable-rules: {exc}")
    for bound, rule_id in scoped.bounds:
        if not _within(bound, fact):
            failed.setdefault((rule_id, slot), _BEYOND)
    return fact


_BEYOND = "arithmetic beyond what durable-rules computes exactly (2**53)"


def _within(bound: Bound, fact: dict[str, Any]) -> bool:
    total = abs(bound.const)
    for parts, coef in bound.terms:
        value = lookup(fact, parts)
        if isinstance(value, int):
            total += abs(coef) * abs(value)
    return total < MAX_SCALED


def _native_test(rule: CompiledRule, target: Facts) -> bool:
    """The native answer (and native error, naming the rule) for a rule durable can't decide."""
    try:
        return rule.test(target, None) is True
    except EvaluationError as exc:
        raise EvaluationError(exc.reason, rule_id=rule.rule.id) from exc


def _put(target: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    if value is None or value == []:  # an empty list is absent: emptiness is ``$nex``
        return
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value

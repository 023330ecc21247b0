"""Compile the ``lifecycle`` section: which timeline events may follow which.

Checked here, each at its file:line:column: the keys (``E-SCHEMA``), that every event type
named is declared under ``events:`` (``E-EVENT``), what only a lifecycle can get wrong
(``E-LIFECYCLE``: a rule that checks nothing, a rule whose ``open`` names its own type, two
roles recorded as one event type, a ``payment_clock`` that is no SLA clock, a second
``lifecycle`` section) and requirements that can never be met (``E-LIFECYCLE-CYCLE``: event
types that each need another one of them first, so none of them can ever be recorded).
"""

from __future__ import annotations

from typing import Any

from engine.expression.types import suggest
from engine.ruleset.context import CompileContext
from engine.ruleset.ir import LIFECYCLE_ROLES, Lifecycle, LifecycleRule
from engine.ruleset.schema import LIFECYCLE, LIFECYCLE_CHECKS, LIFECYCLE_RECORDS, LIFECYCLE_RULE
from engine.ruleset.source import Where

#: (file, the mapping holding ``lifecycle:``) for every file that has one, in include order.
Found = list[tuple[str, Any]]


def compile_lifecycle(
    ctx: CompileContext, found: Found, event_types: tuple[str, ...], clocks: tuple[str, ...]
) -> Lifecycle | None:
    if not found:
        return None
    for file, holder in found[1:]:
        ctx.file = file
        ctx.bag.error(
            "E-DUP",
            "a ruleset has one lifecycle section; this is a second one",
            **ctx.at(holder, "lifecycle").kw(),
            suggestion="merge the two lifecycle sections",
        )
    file, holder = found[0]
    ctx.file = file
    where = ctx.at(holder, "lifecycle")
    return _Lifecycle(ctx, event_types, clocks).compile(holder["lifecycle"], where)


class _Lifecycle:
    def __init__(
        self, ctx: CompileContext, event_types: tuple[str, ...], clocks: tuple[str, ...]
    ) -> None:
        self.ctx = ctx
        self.event_types = event_types
        self.clocks = clocks

    def compile(self, data: Any, where: Where) -> Lifecycle | None:
        reported = len(self.ctx.bag.items)
        if not self.ctx.check_keys(data, LIFECYCLE, "lifecycle", where):
            return None
        received = self._type(data, "received") if "received" in data else None
        earlier = self._types(data, "before_received")
        records = self._records(data)
        clock = self._clock(data)
        rules = self._rules(data.get("rules"))
        if received is None:
            return None
        if received in earlier:
            self.ctx.bag.error(
                "E-LIFECYCLE",
                f"'{received}' is the received event; it cannot also come before itself",
                **self.ctx.at(data, "before_received").kw(),
                suggestion=f"remove '{received}' from before_received",
            )
        lifecycle = Lifecycle(received, earlier, records, clock, tuple(rules), where)
        if len(self.ctx.bag.items) == reported:  # circles are judged on a lifecycle that compiles
            self._cycles(lifecycle)
        return lifecycle

    # -- event types

    def _known(self, container: Any, key: Any, value: str) -> str:
        if self.event_types and value not in self.event_types:
            self.ctx.bag.error(
                "E-EVENT",
                f"lifecycle: unknown event type '{value}'",
                **self.ctx.at(container, key).kw(),
                suggestion=suggest(value, list(self.event_types)) or "declare it under events:",
            )
        return value

    def _type(self, data: Any, key: str) -> str:
        return self._known(data, key, str(data[key]))

    def _types(self, data: Any, key: str) -> tuple[str, ...]:
        """An event type or a list of them (``E-SCHEMA`` when anything else)."""
        raw = data.get(key)
        if raw is None:
            return ()
        if isinstance(raw, str):
            return (self._known(data, key, raw),)
        if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
            self.ctx.bag.error(
                "E-SCHEMA",
                f"'{key}' must be an event type or a non-empty list of event types",
                **self.ctx.at(data, key).kw(),
            )
            return ()
        return tuple(self._known(raw, i, v) for i, v in enumerate(raw))

    # -- records and the payment clock

    def _records(self, data: Any) -> tuple[tuple[str, str], ...]:
        raw = data.get("records")
        if raw is None or not self.ctx.check_keys(
            raw, LIFECYCLE_RECORDS, "lifecycle records", self.ctx.at(data, "records")
        ):
            return ()
        roles_of: dict[str, str] = {}
        for role in LIFECYCLE_ROLES:
            if role not in raw:
                continue
            kind = self._type(raw, role)
            if kind in roles_of:
                self.ctx.bag.error(
                    "E-LIFECYCLE",
                    f"'{kind}' is recorded for both {roles_of[kind]} and {role}",
                    **self.ctx.at(raw, role).kw(),
                    suggestion="record each role with its own event type",
                )
                continue
            roles_of[kind] = role
        return tuple((role, kind) for kind, role in roles_of.items())

    def _clock(self, data: Any) -> str | None:
        if "payment_clock" not in data:
            return None
        clock = str(data["payment_clock"])
        if clock not in self.clocks:
            self.ctx.bag.error(
                "E-LIFECYCLE",
                f"payment_clock '{clock}' is not an SLA clock of this ruleset",
                **self.ctx.at(data, "payment_clock").kw(),
                suggestion=suggest(clock, list(self.clocks)) or "name an id under sla:",
            )
            return None
        return clock

    # -- rules

    def _rules(self, raw: Any) -> list[LifecycleRule]:
        rules: list[LifecycleRule] = []
        seen: set[str] = set()
        for index, data in enumerate(raw if isinstance(raw, list) else []):
            rule = self._rule(data, self.ctx.at(raw, index))
            if rule is None:
                continue
            if rule.id in seen:
                self.ctx.bag.error(
                    "E-DUP",
                    f"duplicate lifecycle rule '{rule.id}'",
                    **self.ctx.at(data, "id").kw(),
                    suggestion="lifecycle rule ids must be unique in a ruleset",
                )
                continue
            seen.add(rule.id)
            rules.append(rule)
        return rules

    def _rule(self, data: Any, where: Where) -> LifecycleRule | None:
        label = f"lifecycle rule '{data.get('id')}'" if isinstance(data, dict) else "lifecycle rule"
        if not self.ctx.check_keys(data, LIFECYCLE_RULE, label, where):
            return None
        events = self._types(data, "event")
        after = self._types(data, "after")
        opened = self._types(data, "open")
        detail = tuple(str(k) for k in data.get("detail") or [])
        if not any(k in data for k in LIFECYCLE_CHECKS):
            self.ctx.bag.error(
                "E-LIFECYCLE",
                f"{label} checks nothing",
                **where.kw(),
                suggestion=f"give it one of {', '.join(LIFECYCLE_CHECKS)}",
            )
            return None
        if set(opened) & set(events):
            self.ctx.bag.error(
                "E-LIFECYCLE",
                f"{label}: an event cannot need an open event of its own type",
                **self.ctx.at(data, "open").kw(),
                suggestion="name the event type that opens what this event closes",
            )
            return None
        if "id" not in data or not events:
            return None
        return LifecycleRule(
            id=str(data["id"]),
            events=events,
            after=after,
            open=opened,
            once=bool(data.get("once", False)),
            detail=detail,
            title=str(data.get("title", "")),
            suggestion=str(data.get("suggestion", "")),
            where=where,
        )

    # -- requirements that can never be met

    def _cycles(self, lifecycle: Lifecycle) -> None:
        """Event types that can never be recorded: each of their requirements needs a type
        that itself can never be recorded. Nothing but ``before_received`` (and the received
        type) can come before the received event, so every other type needs that one too."""
        types = set(self.event_types) | {t for r in lifecycle.rules for t in r.events}
        needs: dict[str, list[tuple[LifecycleRule, tuple[str, ...]]]] = {t: [] for t in types}
        for rule in lifecycle.rules:
            for kind in rule.events:
                if rule.after:
                    needs[kind].append((rule, rule.after))
                if rule.open:
                    needs[kind].append((rule, rule.open))
        possible: set[str] = set()
        changed = True
        while changed:
            changed = False
            for kind in sorted(types - possible):
                ready = all(set(wanted) & possible for _, wanted in needs[kind])
                first = kind in lifecycle.before_received or kind == lifecycle.received
                if ready and (first or lifecycle.received in possible):
                    possible.add(kind)
                    changed = True
        reported: set[str] = set()
        for rule in lifecycle.rules:
            blocked = [k for k in rule.events if k not in possible and k not in reported]
            if not blocked or not any(
                r is rule and not set(w) & possible for k in blocked for r, w in needs[k]
            ):
                continue
            reported |= set(blocked)
            self.ctx.bag.error(
                "E-LIFECYCLE-CYCLE",
                f"lifecycle rule '{rule.id}': '{blocked[0]}' can never be recorded: what it "
                "needs first can itself only come after it",
                **(rule.where.kw() if rule.where else {}),
                suggestion="break the circle: one of these events must be possible first",
            )

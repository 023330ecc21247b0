"""The README's walk through one claim's life with curl still works as written.

The ``sh`` block under "One claim's life, with curl" is read from the README: each ``curl``
line is replayed against a fresh service (``$API`` is the service, ``$ADJUSTER``,
``$SUPERVISOR`` and ``$MEMBER`` tokens of those roles, ``$NOW`` the current instant,
``$DECISION`` and ``$OVERRIDE`` the ids answered by the step before), and the ``# member sees:``
comment under it must be what the member's explanation then says (status, then the English
status sentence up to its first comma or period).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from typing import Any

from tests.api.conftest import Service
from tests.engine.factories import REPO

SECTION = "### One claim's life, with curl"


def walk_through() -> list[tuple[list[str], str]]:
    """``(curl arguments, the member-sees line)`` for each step of the README block."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split(SECTION, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[list[str], str]] = []
    command: list[str] = []
    for line in block.replace("\\\n", " ").splitlines():
        if line.startswith("curl "):
            command = shlex.split(line, comments=True)
        elif line.startswith("# member sees:") and command:
            steps.append((command, line.removeprefix("# member sees:").strip()))
            command = []
    return steps


def _request(command: list[str]) -> tuple[str, str, dict[str, str], str | None]:
    method, headers, body, url = "GET", {}, None, ""
    args = iter(command[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, _, value = next(args).partition(": ")
            headers[name] = value
        elif arg == "-d":
            body = next(args)
        elif not arg.startswith("-"):
            url = arg
    return method, url, headers, body


def _said(seen: dict[str, Any]) -> str:
    first = re.split(r"[,.:;]", seen["status_text"], maxsplit=1)[0]
    return f"{seen['status']}, {first}"


def test_the_readme_walk_through(service: Service) -> None:
    steps = walk_through()
    assert len(steps) >= 7
    values = {
        "$ADJUSTER": service.tokens.issue(role="adjuster", sub="li"),
        "$SUPERVISOR": service.tokens.issue(role="supervisor", sub="wang"),
        "$MEMBER": service.tokens.issue(role="member", sub="M-1001"),
    }
    for command, expected in steps:
        values["$NOW"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        method, url, headers, body = _request(command)
        for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
            url = url.replace(name, value)
            body = body.replace(name, value) if body is not None else None
            headers = {k: v.replace(name, value) for k, v in headers.items()}
        if body is not None and body.startswith("@"):
            body = (REPO / body[1:]).read_text(encoding="utf-8")
        path = url.replace("$API", "")
        response = service.client.request(method, path, content=body, headers=headers)
        assert response.status_code < 300, (command, response.text)
        answer = response.json()
        if "event_id" in answer and "decision" in answer:
            values["$DECISION"] = answer["event_id"]
        if answer.get("override_id"):
            values["$OVERRIDE"] = answer["override_id"]
        seen = service.client.get(
            f"/me/claims/{json.loads((REPO / 'examples/claim.json').read_text())['claim_id']}"
            "/explanation",
            headers={"Authorization": f"Bearer {values['$MEMBER']}", "Accept-Language": "en"},
        ).json()
        assert _said(seen) == expected, (command, seen["status_text"])

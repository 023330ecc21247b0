"""The ``claims`` command line: the rule author's and operator's entry point.

One module per command group, and :mod:`api.cli.common` for what they share::

    api/cli/__init__.py    main: the ``claims`` group, --version, the groups below
    api/cli/common.py      exit codes, fail, reading a claim, --as-of, ruleset, backend
    api/cli/evaluate.py    evaluate, evaluate-dir, sla (decision_text.py renders them)
    api/cli/rules.py       rules lint | test | check | schema (+ diff, impact:
                           rules_revisions.py)
    api/cli/audit.py       audit ..., db upgrade
    api/cli/assist.py      assist note
    api/cli/serve.py       serve, token
    api/cli/corpus.py      corpus
    api/cli/member.py      member-link

Exit status: 0 with a result; 1 for findings (lint errors, failing tests, tampering); 2 with
a clear message on stderr for anything the user can fix. Never a traceback for those.

Commands that neither serve HTTP, touch a database nor draft with an LLM load none of FastAPI,
Starlette, SQLAlchemy, SQLModel, Alembic or LangChain: the heavy groups import them inside
their command functions (``tests/api/cli/test_imports.py`` checks ``sys.modules``).
"""

from __future__ import annotations

import click

from api.cli import audit_state  # noqa: F401  (registers `claims audit rebuild-state`)
from api.cli.assist import assist_group
from api.cli.audit import audit_group, db_group
from api.cli.corpus import corpus_command
from api.cli.evaluate import evaluate_command, evaluate_dir_command, sla_command
from api.cli.member import member_link_command
from api.cli.rules import rules_group
from api.cli.serve import serve_command, token_command
from api.cli.version import print_version

__all__ = ["main"]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
    epilog="\b\nExample:\n  claims evaluate examples/claim.json --ruleset rulesets/cn-health "
    "--format text\n  claims rules test rulesets --coverage",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=print_version,
    help="Show the package version, the engine semantics version and the backends, then exit.",
)
def main() -> None:
    """Claims rules engine: evaluate claims against YAML rulesets and manage rulesets."""


for command in (
    evaluate_command,
    evaluate_dir_command,
    sla_command,
    rules_group,
    corpus_command,
    audit_group,
    db_group,
    serve_command,
    token_command,
    assist_group,
    member_link_command,
):
    main.add_command(command)

"""``claims audit rebuild-state [CLAIM_ID]...``: the claim-state projection against the trail.

Folds each claim's ``life.*`` events read back from the audit trail (and nothing else) with
:func:`engine.lifecycle.fold`, and compares with the stored ``claim_state`` row. Exit 0 when
every row is what the trail folds to; 1 (``FINDINGS``) with one line per claim that differs
(the fields) or has no row; ``--write`` also stores the rebuilt state for those claims (the
exit status still reports what was found).
"""

from __future__ import annotations

import click

from api.cli.audit import audit_group, audit_store, guarded
from api.cli.common import FINDINGS, example, fail

__all__ = ["rebuild_state_command"]


@audit_group.command(
    "rebuild-state",
    epilog=example("claims audit rebuild-state", "claims audit rebuild-state CLM-2026-000123"),
)
@click.argument("claim_ids", nargs=-1, metavar="[CLAIM_ID]...")
@click.option(
    "--write/--no-write",
    default=False,
    help="store the rebuilt state where it differs (default: only report)",
)
@guarded
def rebuild_state_command(claim_ids: tuple[str, ...], write: bool) -> None:
    """Rebuild each claim's state from the audit trail alone and report any difference
    from the stored one (every claim with a recorded life by default)."""
    from api import migrations
    from api.claim_states.store import rebuild_states

    with audit_store(signer=False) as (_, _config, engine):
        if engine.dialect.name == "sqlite":
            migrations.upgrade(engine)
        checked, differences = rebuild_states(engine, claim_ids=claim_ids or None, write=write)
    for difference in differences:
        click.echo(difference.describe())
    if differences:
        done = "; rebuilt and stored" if write else ""
        fail(
            f"{len(differences)} of {checked} claim states differ from the trail{done}",
            code=FINDINGS,
        )
    click.echo(f"ok: {checked} claim states are what the audit trail folds to")

"""``claims corpus``: regenerate the deterministic sample corpus (``examples/claims/gen-*``)."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import example

__all__ = ["corpus_command"]


@click.command("corpus", epilog=example("claims corpus --count 210 --out examples/claims"))
@click.option("--count", type=click.IntRange(10, 100_000), default=210, help="claims to write")
@click.option("--out", "out", default="examples/claims", help="folder to write them to")
def corpus_command(count: int, out: str) -> None:
    """Write the deterministic sample corpus (gen-*.json) for every bundled ruleset."""
    from engine.samples import write_corpus

    written = write_corpus(Path(out), count)
    click.echo(f"wrote {written} claims to {out}")

"""``python -m api.cli``: the ``claims`` command."""

from api.cli import main

main(prog_name="claims")

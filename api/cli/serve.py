"""``claims serve`` and ``claims token``: run the service, mint a bearer token.

``serve`` prints the URL, the interactive docs URL and, in development only, a token for
each role (the member token's ``sub`` is the sample member ``M-1001``). Logs go to stderr as
one JSON object per line. ``token`` prints one token for a role and subject; both read the
same ``CLAIMS_*`` settings as the service, so the tokens are accepted by it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from api.cli.common import example, fail
from api.roles import ROLES

if TYPE_CHECKING:
    from api.auth import TokenService

__all__ = ["JsonLogFormatter", "serve_command", "token_command"]

DEV_MEMBER = "M-1001"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record; a message that already is JSON is kept as an object."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            body = json.loads(message)
        except ValueError:
            body = None
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        entry.update(body if isinstance(body, dict) else {"message": message})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def _tokens() -> TokenService:
    from api.settings import Settings, SettingsError

    try:
        return Settings().token_service()
    except SettingsError as exc:
        fail(str(exc))


@click.command(
    "serve",
    epilog=example(
        "claims serve --load-examples examples/claims", "claims serve --host 0.0.0.0 --port 8080"
    ),
)
@click.option("--host", default="127.0.0.1", help="address to listen on")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, help="port to listen on")
@click.option(
    "--load-examples",
    "examples",
    default=None,
    metavar="DIR",
    help="store every DIR/*.json claim first (already stored ones are kept; default: none)",
)
def serve_command(host: str, port: int, examples: str | None) -> None:
    """Run the claims service (FastAPI on uvicorn)."""
    import uvicorn

    from api.app import create_app
    from api.settings import SettingsError, get_settings

    try:
        settings = get_settings()
        app = create_app(settings)
    except SettingsError as exc:
        fail(str(exc))
    if examples:
        click.echo(f"sample claims stored: {load_examples(app.state.claims, Path(examples))}")
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    click.echo(f"claims service on {url}")
    click.echo(f"API docs: {url}/docs")
    tokens = app.state.claims.tokens
    if settings.environment == "development" and not tokens.can_issue:
        click.echo("development tokens: none (RS256 without CLAIMS_JWT_PRIVATE_KEY_FILE)")
    elif settings.environment == "development":
        click.echo("development tokens (Authorization: Bearer <token>):")
        for role in ROLES:
            sub = DEV_MEMBER if role == "member" else f"dev-{role}"
            click.echo(f"  {role:<12} {tokens.issue(role=role, sub=sub)}")
    _configure_logging()
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def load_examples(state: Any, folder: Path) -> int:
    """Store the sample claims of ``folder`` once; a claim already stored is left as it is."""
    from api.errors import ProblemError
    from engine.claim import load_claim
    from engine.errors import ClaimValidationError

    stored = 0
    for path in sorted(folder.glob("*.json")):
        try:
            state.claims.intake(load_claim(path.read_bytes()), idempotency_key=None)
            stored += 1
        except (ClaimValidationError, ProblemError) as exc:
            click.echo(f"skipped {path.name}: {exc}", err=True)
    return stored


@click.command(
    "token",
    epilog=example("claims token --role adjuster", "claims token --role member --sub M-1001"),
)
@click.option("--role", type=click.Choice(ROLES), required=True, help="the token's role")
@click.option(
    "--sub",
    default=None,
    help="subject: user name, or member id for --role member (default: dev-ROLE; "
    "required for member)",
)
@click.option(
    "--ttl",
    type=click.IntRange(60, 7 * 24 * 3600),
    default=None,
    help="lifetime in seconds (default: CLAIMS_JWT_TTL_SECONDS, 3600)",
)
def token_command(role: str, sub: str | None, ttl: int | None) -> None:
    """Print a bearer token for a role (signed with the service's JWT secret)."""
    if sub is None:
        if role == "member":
            fail("--sub is required for --role member (the member id)")
        sub = f"dev-{role}"
    try:
        click.echo(_tokens().issue(role=role, sub=sub, ttl_seconds=ttl))
    except ValueError as exc:
        fail(str(exc))

"""``claims member-link``: a one-time sign-in link for a member (issue 17).

The link is stored as a hash in the service's database (``CLAIMS_DATABASE_URL``) and its
issue is an audit event; it works once, for 15 minutes. Print it or hand it to the message
service that sends it to the member. Heavy imports happen inside the command.
"""

from __future__ import annotations

import click

from api.cli.common import example, fail

__all__ = ["member_link_command"]


@click.command(
    "member-link",
    epilog=example(
        "claims member-link --member M-1001",
        "claims member-link --member M-1001 --base-url https://claims.example.com",
    ),
)
@click.option("--member", "member_id", required=True, help="the member id (as on the claims)")
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    help="where members reach the service; the link is BASE-URL/m/sign-in/TOKEN",
)
@click.option("--issued-by", default="cli:operator", help="who issues it, for the audit trail")
def member_link_command(member_id: str, base_url: str, issued_by: str) -> None:
    """Print a one-time sign-in link for a member's pages (valid 15 minutes)."""
    import datetime as dt

    from sqlalchemy.exc import SQLAlchemyError

    from api.claim_records import ClaimRecords
    from api.member_pages.sign_in import issue_link
    from api.settings import SettingsError, get_settings
    from audit.db import create_engine
    from audit.errors import AuditError

    try:
        settings = get_settings()
        config = settings.audit_config()
    except (SettingsError, ValueError) as exc:
        fail(str(exc))
    engine = create_engine(config.database_url)
    try:
        if not ClaimRecords(engine).for_member(member_id):
            fail(f"there is no member {member_id} with a claim: check the member id")
        link = issue_link(
            engine,
            member_id=member_id,
            issued_by=issued_by,
            now=dt.datetime.now(dt.UTC),
            audit=config,
        )
    except (SQLAlchemyError, AuditError) as exc:
        fail(f"cannot store the link ({type(exc).__name__}); run `claims db upgrade` first")
    finally:
        engine.dispose()
    click.echo(base_url.rstrip("/") + link.path)
    click.echo(f"valid until {link.expires_at.isoformat(timespec='seconds')} (once)", err=True)

"""``flask support ...``: put people on the desk, take them off, read the audit trail."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from portal.letters import external_url
from portal.support import accounts, audit

support = AppGroup("support", help="Staff of the support desk and the audit trail.")


@support.command("add-staff")
@click.argument("email")
def add_staff_command(email: str) -> None:
    """Add a staff member and print their one-time setup link."""
    try:
        staff, token = accounts.add_staff(email)
    except accounts.StaffError as error:
        raise click.ClickException(str(error)) from None
    link = external_url("support.setup", token=token)
    expires = staff.setup_expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(f"Added {staff.email}. Give them this setup link (one use, until {expires}):")
    click.echo(link)


@support.command("remove-staff")
@click.argument("email")
def remove_staff_command(email: str) -> None:
    """Take a staff member off the desk; their sessions end at once."""
    try:
        ended = accounts.remove_staff(email)
    except accounts.StaffError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Removed {accounts.normalize_email(email)}; {ended} session(s) ended.")


@support.command("audit")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def audit_command(limit: int) -> None:
    """Print the audit trail, newest last."""
    for entry in audit.newest(limit):
        detail = (
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else ""
        )
        parts = [
            entry.at.strftime("%Y-%m-%d %H:%M:%S"),
            entry.staff_email or "-",
            entry.action,
            entry.target or "-",
            detail if entry.detail else "",
        ]
        click.echo("  ".join(parts).rstrip())

"""``flask drafts purge``: forget registrations nobody finished."""

import click
from flask.cli import AppGroup

from portal.register import drafts as draft_rules

drafts = AppGroup("drafts", help="Registration drafts.")


@drafts.command()
def purge() -> None:
    """Delete expired drafts (and their personal data) and expired captchas."""
    removed, challenges = draft_rules.purge_expired()
    click.echo(f"purged {removed} expired draft(s) and {challenges} expired captcha(s)")

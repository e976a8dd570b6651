"""``flask payments``: shops that may ask wallets for payments."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.payments import orders


@click.group()
def payments() -> None:
    """Shops and their API keys."""


@payments.command("add-shop")
@click.argument("name")
@with_appcontext
def add_shop(name: str) -> None:
    """Register a shop and print its API key (shown once; only its digest is kept)."""
    if not name.strip() or len(name.strip()) > 100:
        raise click.BadParameter("a shop's name has 1 to 100 characters", param_hint="NAME")
    shop, key = orders.add_shop(name)
    click.echo(f"Shop {shop.id} ({shop.name}) added. Its API key, shown only now:")
    click.echo(key)

"""``flask documents ...``: operators' commands for the stored identity documents."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.documents.storage import rotate_keys

documents = AppGroup("documents", help="Identity documents stored encrypted at rest.")


@documents.command("rotate-keys")
def rotate_keys_command() -> None:
    """Re-encrypt every stored document with the first key of DOCUMENT_KEYS.

    Put the new key first, run this, then remove the old key: nothing is lost.
    """
    report = rotate_keys()
    click.echo(f"documents rotate-keys: {report}")


@documents.command("purge")
def purge_command() -> None:
    """Delete the files of requests decided DOCUMENT_RETENTION_DAYS ago or more.

    The requests and their decisions are kept; only the documents go. Run it daily.
    """
    from portal.support.queue import purge_documents

    requests, files = purge_documents()
    click.echo(f"documents purge: {files} file(s) deleted from {requests} decided request(s)")

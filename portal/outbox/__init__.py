"""Delivery of the letters queued in the outbox table.

claims.py moves rows between states under leases, transport.py hands a letter to
SMTP (Flask-Mail) or to the dev mailbox, delivery.py joins the two for one batch,
worker.py keeps doing it until told to stop, locking.py keeps SQLite to one worker,
and cli.py is ``flask outbox ...``. Nothing here needs a request.
"""

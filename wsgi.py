"""Production entry point: ``gunicorn wsgi:app``."""

import sys

from portal import ConfigError, create_app

try:
    # A web worker runs no command and no migration: see create_app.
    app = create_app(commands=False)
except ConfigError as error:
    print(f"portal: refusing to start: {error}", file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": it stops instead of respawning.
    raise SystemExit(3) from None

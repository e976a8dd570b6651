"""A real browser for the journey tests: the portal served on loopback by a real
HTTP server, Debian's Chromium driven by Playwright, axe-core checking each page."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        path = candidate and shutil.which(candidate)
        if path:
            return path
    raise RuntimeError("Chromium is missing: run 'make test', which installs Debian's chromium")


class LiveServer:
    """The app on a real socket, in a thread, for as long as the test needs it."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


_axe = Axe()


def accessibility_violations(page) -> list[str]:
    """axe-core's WCAG 2.x A/AA rules (and best practices) on the page as it is now."""
    results = _axe.run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
            }
        },
    )
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} node(s): "
        f"{', '.join(str(node['target']) for node in violation['nodes'][:3])})"
        for violation in results.response["violations"]
    ]


SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS", "/tmp/portal-screenshots"))


def open_html(page, base: str, html: str) -> None:
    """A page as the test client got it, at the live server's origin ``base`` (its
    stylesheet, script and images load from there)."""
    page.goto(base + "/healthz")
    page.set_content(html, wait_until="load")

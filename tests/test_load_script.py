"""bench/load.py stays runnable: two people walk the whole journey for a few seconds
(gunicorn, the outbox worker and the SMTP sink started by the script itself). A smoke test,
not a benchmark: it asserts what happened, never how fast."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.servers import ROOT


def test_the_load_script_completes_journeys_and_delivers_every_letter(postgres, tmp_path):
    figures = tmp_path / "load.json"
    result = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--concurrency",
            "2",
            "--duration",
            "3",
            "--database-url",
            postgres.create_database("load_smoke"),
            "--json",
            str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Errors: none" in result.stdout
    found = json.loads(figures.read_text())
    assert found["completed"] >= 2
    assert found["errors"] == {}
    # Each journey queues its confirmation letter and the welcome letter; all were sent.
    assert found["outbox"] == {"sent": 2 * found["completed"]}
    assert len(found["timings"]["POST /login"]) == found["completed"]

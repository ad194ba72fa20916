"""The examples run as a new user would run them (on the built-in emulator) and do what they
say."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str) -> str:
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_stored_syncs_example() -> None:
    out = run("stored_syncs.py")
    assert "created 2, updated 0, deleted 0" in out
    assert "sync succeeded: no changes" in out
    assert "APP_DB_PASSWORD  update     value_changed" in out
    assert "remove succeeded: created 0, updated 0, deleted 2" in out
    for value in ("example-password", "rotated-password"):
        assert value not in out


def test_sync_secrets_example() -> None:
    out = run("sync_secrets.py")
    assert "re-run: no changes; no deployment (1 request)" in out
    assert "example-password" not in out


def test_list_apps_example() -> None:
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / "list_apps.py"), "--emulator"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()


def test_notebook_example_runs_and_shows_tables_without_values() -> None:
    """examples/notebook.ipynb, executed by a real kernel: it never goes stale."""
    import nbclient
    import nbformat

    nb = nbformat.read(EXAMPLES / "notebook.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    ).execute()
    html = [
        out["data"]["text/html"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "text/html" in out.get("data", {})
    ]
    joined = "\n".join(html)
    # The app, the plan, the result, the drift plan and its repair, the fleet, the history.
    assert len(html) == 8, len(html)
    assert "notebook-shop" in joined and "do-envsync-plan" in joined
    assert "drift" in joined and "no-such-app" in joined and "succeeded" in joined
    # Every output (HTML, text, stderr), not the sources, which hold the example's values.
    everything = json.dumps([c.get("outputs", []) for c in nb.cells])
    for value in (
        "notebook-password-1",
        "notebook-token-1",
        "notebook-session-key",
        "changed-in-the-control-panel",
    ):
        assert value not in everything

"""Progress bars for long calls, fed by the core's own callbacks (no polling added):
`sync_fleet(progress=fleet_bar())` is called after each app, `sync(wait=True,
progress=deployment_bar())` at each new deployment phase.

With tqdm installed, the bars are `tqdm.auto` bars (the widget in Jupyter, text in a
terminal); without it, one line of text on stderr.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, TextIO

from .sync import FleetProgress, text_progress

__all__ = ["DEPLOYMENT_PHASES", "deployment_bar", "fleet_bar"]

DEPLOYMENT_PHASES = (
    "PENDING_BUILD",
    "BUILDING",
    "PENDING_DEPLOY",
    "DEPLOYING",
    "ACTIVE",
)
"""App Platform's phases of a successful deployment, in order (the bar's steps)."""


def _tqdm(**kwargs: Any) -> Any | None:
    try:
        # Imported by name: tqdm is optional and ships no type information.
        auto = importlib.import_module("tqdm.auto")
    except ImportError:
        return None
    return auto.tqdm(**kwargs)


def fleet_bar(
    desc: str = "syncing apps", *, stream: TextIO | None = None, use_tqdm: bool = True
) -> FleetProgress:
    """A `progress(done, total)` callback for `sync_fleet`."""
    bar: Any = None

    def show(done: int, total: int) -> None:
        nonlocal bar
        if use_tqdm and bar is None:
            bar = _tqdm(total=total, desc=desc, unit="app", file=stream)
        if bar is None:
            text_progress(stream)(done, total)
            return
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return show


def deployment_bar(
    desc: str = "deploying", *, stream: TextIO | None = None, use_tqdm: bool = True
) -> Callable[[str], None]:
    """A `progress(phase)` callback for `sync(wait=True)`: a step per deployment phase."""
    bar: Any = _tqdm(total=len(DEPLOYMENT_PHASES), desc=desc, file=stream) if use_tqdm else None
    final = ("ACTIVE", "ERROR", "CANCELED", "SUPERSEDED")

    def show(phase: str) -> None:
        if bar is None:
            out = stream if stream is not None else sys.stderr
            out.write(f"{desc}: {phase}\n")
            out.flush()
            return
        if phase in DEPLOYMENT_PHASES:
            bar.update(DEPLOYMENT_PHASES.index(phase) + 1 - bar.n)
        bar.set_postfix_str(phase)
        if phase in final:
            bar.close()

    return show

"""HTML for a run shown in a notebook until the dashboard's embed view exists.

Self-contained and escaped: no iframe (a broken ``src`` is what the reference emits offline),
no script, nothing loaded from the network.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any


def run_card_html(
    *,
    name: str,
    path: str,
    state: str,
    step: int,
    run_dir: str,
    summary: Mapping[str, Any],
    height: int = 420,
    hidden: bool = False,
) -> str:
    """A static card with the run's name, state, step and scalar summary."""
    rows = "".join(
        f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(_format(value))}</td></tr>"
        for key, value in summary.items()
        if not key.startswith("_") and isinstance(value, (int, float, str, bool))
    )
    table = f"<table>{rows}</table>" if rows else "<p>No metrics logged yet.</p>"
    body = (
        f"<div class='nbrun-run-card' style='max-height:{int(height)}px;overflow:auto;"
        "font-family:sans-serif;border:1px solid #ccc;border-radius:4px;padding:8px'>"
        f"<b>{html.escape(name)}</b> <code>{html.escape(path)}</code> "
        f"<span>{html.escape(state)}</span> · step {int(step)}"
        f"<div style='color:#666;font-size:smaller'>local files: {html.escape(run_dir)}</div>"
        f"{table}</div>"
    )
    if hidden:
        return f"<details><summary>nbrun run {html.escape(name)}</summary>{body}</details>"
    return body


def _format(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)

"""Where nbrun keeps per-user data (the embedded server's database, blobs and state file)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """``$NBRUN_DATA_DIR``, else ``$XDG_DATA_HOME/nbrun``, else ``~/.nbrun``."""
    if os.environ.get("NBRUN_DATA_DIR"):
        return Path(os.environ["NBRUN_DATA_DIR"])
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]) / "nbrun"
    return Path.home() / ".nbrun"

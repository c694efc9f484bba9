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


def artifact_store_dir() -> Path:
    """This machine's artifact store (see ``nbrun.artifacts.content_store``)."""
    return data_dir() / "artifacts"


def blob_path(folder: Path, sha256: str) -> Path:
    """Where a content-addressed folder (the artifact store, a run's ``artifacts/``) keeps the
    bytes whose SHA-256 is ``sha256``."""
    return folder / "blobs" / sha256[:2] / sha256


ROOTS_FILE = "run-roots"  # folders under which runs were recorded, one per line, newest last
MAX_KNOWN_ROOTS = 200


def remember_run_root(root: Path) -> None:
    """Note that runs are recorded under ``root``, so ``nbrun ls`` and ``nbrun.Api`` find them
    from any working directory. Best effort: a read-only home only loses the convenience."""
    resolved = str(root.resolve())
    known = [str(p) for p in known_run_roots()]
    if known and known[-1] == resolved:
        return
    others = [p for p in known if p != resolved]
    kept = [*others[len(others) - MAX_KNOWN_ROOTS + 1 :], resolved]
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = folder / f".{ROOTS_FILE}.{os.getpid()}.tmp"
        temporary.write_text("".join(f"{p}\n" for p in kept), encoding="utf-8")
        os.replace(temporary, folder / ROOTS_FILE)
    except OSError:
        pass


def known_run_roots() -> list[Path]:
    """The folders :func:`remember_run_root` noted that still exist, oldest first."""
    try:
        lines = (data_dir() / ROOTS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [Path(line) for line in lines if line and Path(line).is_dir()]

"""``restore``: fetch a file a run saved, from the backend or a local run directory."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from nbrun.apis.api import Api
from nbrun.errors import CommError, Error


def restore_file(
    api: Api, name: str, run_path: str, replace: bool, root: str | Path
) -> IO[str] | None:
    """Download ``name`` of the run at ``run_path`` under ``root`` (kept if already there,
    unless ``replace``) and open it; None when the run has no such file. Raises ``ValueError``
    when there is no such run and ``nbrun.CommError`` when the backend cannot be reached."""
    try:
        run = api.run(run_path)
    except CommError:
        raise
    except Error as exc:
        raise ValueError(f"restore({name!r}): {exc}") from exc
    try:
        saved = run.file(name)
    except Error:
        return None
    return open(saved.download(str(root), replace=replace), encoding="utf-8")

"""What ``run.log_code`` saves: the code files under a root, never runs' or environments' files."""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable
from pathlib import Path

from nbrun.protocol.artifacts import MAX_NAME_CHARS
from nbrun.record.run_dir import RUNS_FOLDER

# Folders that hold no code of the user's: runs (nbrun's and wandb's), environments, caches.
_SKIPPED_FOLDERS = frozenset(
    {
        RUNS_FOLDER,
        "wandb",
        ".wandb",
        ".git",
        ".hg",
        "__pycache__",
        "node_modules",
        "site-packages",
        ".ipynb_checkpoints",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
    }
)


def is_code_file(path: str, root: str) -> bool:
    """The reference's default: Python files, ``requirements.txt`` and ``Dockerfile``."""
    name = os.path.basename(path)
    return name.endswith(".py") or name in ("requirements.txt", "Dockerfile")


def code_files(
    root: Path,
    include_fn: Callable[..., bool] | None,
    exclude_fn: Callable[..., bool] | None,
) -> list[tuple[str, Path]]:
    """``(name in the artifact, path)`` of each file to save, in path order."""
    if not root.is_dir():
        raise ValueError(f"log_code: root {str(root)!r} is not a folder")
    include = _two_or_one(include_fn or is_code_file, "include_fn")
    exclude = _two_or_one(exclude_fn, "exclude_fn") if exclude_fn is not None else None
    root_text = str(root.resolve())
    found = []
    for folder, subfolders, files in os.walk(root_text):
        # A virtual environment is a folder with pyvenv.cfg, whatever its name.
        subfolders[:] = sorted(
            d
            for d in subfolders
            if d not in _SKIPPED_FOLDERS
            and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
        )
        for name in sorted(files):
            path = os.path.join(folder, name)
            if not include(path, root_text) or (exclude is not None and exclude(path, root_text)):
                continue
            found.append((Path(os.path.relpath(path, root_text)).as_posix(), Path(path)))
    return found


def code_artifact_name(project: str, program: str | None) -> str:
    """``source-<project>-<program>`` in the name alphabet, as the reference names it."""
    base = f"source-{project}-{program or 'notebook'}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", base)[:MAX_NAME_CHARS]


def _two_or_one(function: Callable[..., bool], argument: str) -> Callable[[str, str], bool]:
    """Call ``function`` with ``(path, root)`` or ``(path)``, as many as it takes."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return lambda path, root: bool(function(path, root))
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in parameters) or len(positional) >= 2:
        return lambda path, root: bool(function(path, root))
    if len(positional) == 1:
        return lambda path, root: bool(function(path))
    raise TypeError(f"log_code: {argument} must take (path) or (path, root)")

"""``run.save``: which files go where under the run's ``files/`` folder (the reference's rules)."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

POLICIES = ("live", "now", "end")


def plan_save(
    glob_str: str | os.PathLike[str], base_path: str | os.PathLike[str] | None
) -> list[tuple[Path, str]]:
    """Expand ``glob_str`` now and name each match's place under ``files/``.

    Relative globs keep their folders below the working directory; ``base_path`` keeps
    the folders below it; an absolute glob without ``base_path`` keeps one folder level.
    Returns ``(source file, "/"-separated relative destination)`` pairs.
    """
    pattern = os.fspath(glob_str)
    if not pattern:
        raise ValueError("save(): glob_str is empty")
    if base_path is not None:
        base = os.path.abspath(os.fspath(base_path))
    elif os.path.isabs(pattern):
        base = os.path.dirname(os.path.dirname(os.path.abspath(pattern)))
    else:
        base = os.getcwd()
    absolute_pattern = os.path.abspath(pattern)
    if os.path.commonpath([base, absolute_pattern]) != base:
        raise ValueError(
            f"save(): {pattern!r} is not below base_path {base!r}; pass a base_path that "
            "contains it"
        )
    planned = []
    for match in sorted(glob.glob(absolute_pattern, recursive=True)):
        if not os.path.isfile(match):
            continue
        relative = Path(os.path.relpath(match, base)).as_posix()
        planned.append((Path(match), relative))
    return planned


def place_file(source: Path, files_dir: Path, relative: str, policy: str) -> Path:
    """Put ``source`` at ``files_dir/relative``: a link for live/end (the final copy is made at
    finish), a copy for ``now``. The destination is confined to ``files_dir``; saving a file
    again updates it in place, and a file already inside ``files_dir`` is left as it is."""
    root = files_dir.resolve()
    # normpath, not resolve(): the destination may be our own link from an earlier save.
    destination = Path(os.path.normpath(root / relative))
    if root not in destination.parents:
        raise ValueError(f"save(): {relative!r} would land outside the run's files folder")
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.is_symlink() or destination.exists():
        same_file = destination.resolve() == source.resolve()
        if same_file and not (destination.is_symlink() and policy == "now"):
            return destination
        destination.unlink()
    if policy == "now":
        shutil.copy2(source, destination)
    else:
        os.symlink(source.resolve(), destination)
    return destination


def freeze_file(destination: Path) -> None:
    """Replace a live/end link by a copy of what it points to now (called at finish)."""
    if not destination.is_symlink():
        return
    target = destination.resolve()
    destination.unlink()
    if target.is_file():
        shutil.copy2(target, destination)

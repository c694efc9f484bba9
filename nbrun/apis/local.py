"""Finding and reading runs recorded on this machine (offline runs, and any run's local log)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nbrun.paths import known_run_roots
from nbrun.record.replay import RunState, replay_log
from nbrun.record.run_dir import RunDir, find_run_dir, iter_run_dirs, open_run_dir, run_record


def default_roots() -> list[Path]:
    """Where local runs are looked for: ``NBRUN_DIR`` (else ``WANDB_DIR``), the cwd, then
    every folder runs were recorded under on this machine (newest first)."""
    roots = []
    for variable in ("NBRUN_DIR", "WANDB_DIR"):
        if os.environ.get(variable):
            roots.append(Path(os.environ[variable]))
            break
    roots.append(Path.cwd())
    seen = {root.resolve() for root in roots}
    for known in reversed(known_run_roots()):
        if known not in seen:
            seen.add(known)
            roots.append(known)
    return roots


def find_local_run(path: str, roots: Iterable[Path] | None = None) -> RunDir | None:
    """The run directory for ``entity/project/id`` (or ``project/id``, ``id``, or a run
    directory path), or None when no local run matches."""
    candidate = Path(path)
    if candidate.exists():
        return open_run_dir(candidate)
    parts = path.strip("/").split("/")
    run_id = parts[-1]
    for root in roots if roots is not None else default_roots():
        run_dir = find_run_dir(root, run_id)
        if run_dir is None:
            continue
        if len(parts) > 1:
            head = run_record(run_dir)
            wanted = parts[:-1]
            have = [head.get("entity", ""), head.get("project", "")][-len(wanted) :]
            if have != wanted:
                continue
        return run_dir
    return None


def iter_local_runs(roots: Iterable[Path] | None = None) -> Iterator[tuple[RunDir, dict[str, Any]]]:
    """Every local run directory with its run record (id, entity, project, name, ...)."""
    seen: set[Path] = set()
    for root in roots if roots is not None else default_roots():
        for run_dir in iter_run_dirs(root):
            resolved = run_dir.path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            head = run_record(run_dir)
            if head:
                yield run_dir, head


def read_state(run_dir: RunDir) -> RunState:
    """Replay the run's record log."""
    return replay_log(run_dir.log_path)

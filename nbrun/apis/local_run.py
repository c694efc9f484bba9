"""A run read back from its local record log (offline runs, or any run on this machine)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from nbrun.apis.artifacts import local_run_artifacts
from nbrun.apis.base import BaseRun, RunFile
from nbrun.artifacts.artifact import Artifact
from nbrun.processes import writer_alive
from nbrun.protocol.keys import flatten
from nbrun.record import types as kinds
from nbrun.record.reader import RecordLogReader
from nbrun.record.replay import RunState
from nbrun.record.run_dir import RunDir


class LocalFile(RunFile):
    """A file in a local run's ``files/`` folder."""

    def __init__(self, path: Path, name: str) -> None:
        self._path = path
        self.name = name
        self.size = path.stat().st_size

    def download(self, root: str = ".", replace: bool = False) -> Path:
        target = Path(root) / self.name
        if target.exists() and (not replace or target.resolve() == self._path.resolve()):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self._path, target)
        return target


class LocalRun(BaseRun):
    """A run read from a local record log: metadata, config, summary, state and history."""

    def __init__(self, run_dir: RunDir, state: RunState) -> None:
        self._run_dir = run_dir
        self._state = state
        record = state.run
        self.id: str = record.get("id", run_dir.run_id)
        self.entity: str = record.get("entity", "")
        self.project: str = record.get("project", "")
        self.name: str = record.get("name", self.id)
        self.notes: str | None = record.get("notes")
        self.tags: list[str] = list(record.get("tags", ()))
        self.group: str | None = record.get("group")
        self.job_type: str | None = record.get("job_type")
        self.start_time: float | None = record.get("start_time")
        self.dir = str(run_dir.path)

    def _artifacts(self) -> tuple[list[Artifact], list[Artifact]]:
        open_run = self._open_run or (lambda path: None)
        return local_run_artifacts(self._run_dir.log_path, self.entity, self.project, open_run)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._state.config)

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self._state.summary_values)

    @property
    def state(self) -> str:
        """finished, failed, running, or crashed (its process is gone without finishing)."""
        if self._state.exit is not None:
            return "finished" if self._state.exit.get("exit_code") == 0 else "failed"
        if writer_alive(self._state.run.get("host"), self._state.run.get("pid")):
            return "preempting" if self._state.preempting else "running"
        return "crashed"

    @property
    def exit_code(self) -> int | None:
        return None if self._state.exit is None else self._state.exit.get("exit_code")

    @property
    def last_step(self) -> int | None:
        return self._state.last_step

    def files(self) -> list[RunFile]:
        folder = self._run_dir.files
        return [
            LocalFile(path, path.relative_to(folder).as_posix())
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        ]

    def scan_history(
        self,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        wanted = list(keys) if keys is not None else None
        for _seq, kind, payload in RecordLogReader(self._run_dir.log_path):
            if kind != kinds.HISTORY:
                continue
            step = payload.get("_step", 0)
            if (min_step is not None and step < min_step) or (
                max_step is not None and step >= max_step
            ):
                continue
            row = flatten(payload)
            if wanted is None:
                yield row
            elif all(key in row for key in wanted):
                yield {"_step": step, **{key: row[key] for key in wanted}}

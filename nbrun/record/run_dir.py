"""Where a run's local files live, and finding runs again by id: the run folder's layout, which
the run writes and ``nbrun sync`` and ``nbrun.Api`` read.

``<root>/nbrun/<offline-run|run>-<YYYYMMDD_HHMMSS>-<id>/`` holds ``run-<id>.nbrun`` (the
record log) and ``files/``; ``<root>/nbrun/latest-run`` links to the newest run directory.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson

from nbrun.paths import remember_run_root
from nbrun.record import types as kinds
from nbrun.record.reader import RecordLogReader

RUNS_FOLDER = "nbrun"
# A run's artifact blobs (nbrun.paths.blob_path), so the folder holds all it logged.
ARTIFACTS_FOLDER = "artifacts"
LATEST_LINK = "latest-run"
LOG_SUFFIX = ".nbrun"


class StoredFile(Protocol):
    """Bytes to store under ``files/`` at ``path`` (relative, POSIX): a rich value's file."""

    @property
    def path(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def content(self) -> str: ...


@dataclasses.dataclass(frozen=True)
class RunDir:
    """Paths of one run's local directory."""

    path: Path
    run_id: str

    @property
    def log_path(self) -> Path:
        return self.path / f"run-{self.run_id}{LOG_SUFFIX}"

    @property
    def files(self) -> Path:
        return self.path / "files"

    @classmethod
    def create(cls, root: Path, run_id: str, offline: bool, start_time: float) -> RunDir:
        stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(start_time))
        prefix = "offline-run" if offline else "run"
        run_dir = cls(root / RUNS_FOLDER / f"{prefix}-{stamp}-{run_id}", run_id)
        run_dir.files.mkdir(parents=True, exist_ok=False)
        remember_run_root(root)
        return run_dir

    def link_as_latest(self) -> None:
        """Point ``latest-run`` at this directory (atomically; best effort on odd filesystems)."""
        link = self.path.parent / LATEST_LINK
        temporary = self.path.parent / f".{LATEST_LINK}.{os.getpid()}"
        try:
            if temporary.is_symlink():
                temporary.unlink()
            os.symlink(self.path.name, temporary)
            os.replace(temporary, link)
        except OSError:
            pass

    def write_json(self, name: str, data: Any) -> None:
        """Write ``files/<name>`` as JSON atomically (readers never see half a file)."""
        _atomic_write(
            self.files / name,
            orjson.dumps(
                data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str
            ),
        )

    def write_files(
        self, stored: Iterable[StoredFile], by_content: dict[str, Path] | None = None
    ) -> list[str]:
        """Store the files of rich values under ``files/`` (a file already there is left alone);
        returns their paths relative to ``files/``. With ``by_content`` (content name -> a file
        holding it, kept by the caller), a file of a content already stored is a hard link to
        it: one copy on disk however many keys and steps log it."""
        written = []
        for stored_file in stored:
            path = self.files / stored_file.path
            content = stored_file.content or stored_file.path
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                earlier = by_content.get(content) if by_content is not None else None
                if earlier is None or not _link(earlier, path):
                    _atomic_write(path, stored_file.data)
            if by_content is not None:
                by_content.setdefault(content, path)
            written.append(stored_file.path)
        return written

    def write_config_yaml(self, config: dict[str, Any]) -> None:
        """Write ``files/config.yaml`` in the reference's ``{key: {value: ...}}`` layout."""
        import yaml

        layout = {key: {"value": value} for key, value in config.items()}
        _atomic_write(self.files / "config.yaml", yaml.safe_dump(layout, sort_keys=False).encode())


def _link(existing: Path, path: Path) -> bool:
    """Make ``path`` a hard link to ``existing``; False where the filesystem cannot."""
    try:
        os.link(existing, path)
    except OSError:
        return False
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


# What RunDir.create names a run's folder; a run id may hold dashes itself.
_DIR_NAME = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(?P<run_id>.+)$")


def iter_run_dirs(root: Path) -> Iterator[RunDir]:
    """Every run directory under ``root/nbrun`` (newest name last)."""
    folder = root / RUNS_FOLDER
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            continue
        named = _DIR_NAME.match(entry.name)
        if named is None:
            continue
        run_dir = RunDir(entry, named["run_id"])
        if run_dir.log_path.is_file():
            yield run_dir


def find_run_dir(root: Path, run_id: str) -> RunDir | None:
    """The newest run directory of ``run_id`` under ``root``, if any."""
    found = None
    for run_dir in iter_run_dirs(root):
        if run_dir.run_id == run_id:
            found = run_dir
    return found


def open_run_dir(path: Path) -> RunDir:
    """The run directory at ``path`` (the folder itself, or its record log file)."""
    if path.is_file() and path.suffix == LOG_SUFFIX:
        path = path.parent
    path = path.resolve() if path.is_symlink() else path
    logs = sorted(path.glob(f"run-*{LOG_SUFFIX}"))
    if not logs:
        raise FileNotFoundError(f"{path} is not an nbrun run directory (no run-*{LOG_SUFFIX})")
    return RunDir(path, logs[0].name[len("run-") : -len(LOG_SUFFIX)])


def run_record(run_dir: RunDir) -> dict[str, Any]:
    """The run's first record (id, entity, project, name, ...), or {} if none is written."""
    try:
        for _seq, kind, payload in RecordLogReader(run_dir.log_path):
            if kind == kinds.RUN:
                return dict(payload)
            break
    except (OSError, ValueError):
        pass
    return {}

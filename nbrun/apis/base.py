"""What every run object of ``nbrun.Api`` offers, wherever the run is read from."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbrun.errors import Error

if TYPE_CHECKING:
    from nbrun.artifacts.artifact import Artifact


class RunFile:
    """A file saved with a run."""

    name: str  # its path under the run's files, "/"-separated
    size: int

    def download(self, root: str = ".", replace: bool = False) -> Path:
        """Write the file under ``root`` (keeping its folders) and return its path; an existing
        file is kept unless ``replace``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<nbrun {type(self).__name__} {self.name} ({self.size} bytes)>"


class BaseRun:
    """A recorded run: metadata attributes, ``config``, ``summary``, ``state``, and history as
    rows (``scan_history``) or a DataFrame (``history``)."""

    id: str
    entity: str
    project: str
    name: str
    notes: str | None
    tags: list[str]
    group: str | None
    job_type: str | None
    start_time: float | None
    # Opens another run by path (the Api's run()), for an artifact's logged_by(): set by the Api.
    _open_run: Callable[[str], Any] | None = None

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    def logged_artifacts(self) -> list[Artifact]:
        """The artifact versions this run logged (its outputs), in the order logged."""
        return self._artifacts()[0]

    def used_artifacts(self) -> list[Artifact]:
        """The artifact versions this run used (its inputs), in the order used."""
        return self._artifacts()[1]

    def _artifacts(self) -> tuple[list[Artifact], list[Artifact]]:
        raise NotImplementedError

    @property
    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def summary(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def state(self) -> str:
        """finished, failed, running, crashed or preempting."""
        raise NotImplementedError

    @property
    def exit_code(self) -> int | None:
        raise NotImplementedError

    @property
    def last_step(self) -> int | None:
        raise NotImplementedError

    def files(self) -> list[RunFile]:
        """The files saved with the run."""
        raise NotImplementedError

    def file(self, name: str) -> RunFile:
        """One saved file by its path under the run's files; raises ``nbrun.Error`` if absent."""
        for found in self.files():
            if found.name == name:
                return found
        raise Error(f"run {self.path} has no file {name!r}")

    def scan_history(
        self,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every history row in step order, streamed (nested values flattened to dotted keys).
        With ``keys``, only rows holding all of them, limited to ``_step`` and those keys."""
        raise NotImplementedError

    def history(
        self, keys: Sequence[str] | None = None, samples: int | None = None, pandas: bool = True
    ) -> Any:
        """The history as a pandas DataFrame (one row per step, one column per key), or a list
        of dicts with ``pandas=False``. ``samples`` keeps at most that many rows, evenly spread
        and always with the first and the last."""
        rows = self._history_rows(keys, samples)
        if not pandas:
            return rows
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "history() returns a pandas DataFrame: install pandas (pip install pandas) "
                "or call history(pandas=False)"
            ) from None
        frame = pd.DataFrame.from_records(rows)
        if "_step" in frame.columns:
            frame = frame.set_index("_step", drop=False).rename_axis(None)
        return frame

    def _history_rows(
        self, keys: Sequence[str] | None, samples: int | None
    ) -> list[dict[str, Any]]:
        rows = list(self.scan_history(keys=keys))
        return even_sample(rows, samples)

    def __repr__(self) -> str:
        return f"<nbrun {type(self).__name__} {self.path} ({getattr(self, 'state', '?')})>"


def even_sample(rows: list[dict[str, Any]], samples: int | None) -> list[dict[str, Any]]:
    """At most ``samples`` rows spread evenly over ``rows``, keeping the first and the last."""
    if samples is None or len(rows) <= samples:
        return rows
    if samples < 2:
        return rows[-samples:] if samples > 0 else []
    last = len(rows) - 1
    picks = sorted({round(i * last / (samples - 1)) for i in range(samples)})
    return [rows[i] for i in picks]

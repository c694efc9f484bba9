"""``nbrun.Api``: the public query API over recorded runs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbrun.apis.local import default_roots, find_local_run, iter_local_runs, read_state
from nbrun.apis.run import LocalRun
from nbrun.errors import CommError, Error


class Api:
    """Query runs. Local run directories (offline runs) are always searched, under
    ``NBRUN_DIR`` and the working directory, plus any ``dirs`` given."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        dirs: Iterable[str | Path] | None = None,
    ) -> None:
        if base_url is not None:
            raise CommError(
                f"Api(base_url={base_url!r}): this nbrun has no backend client yet; it reads "
                "local run directories only"
            )
        self._roots = [Path(d) for d in dirs or ()] + default_roots()

    def run(self, path: str) -> LocalRun:
        """The run at ``entity/project/id`` (``run.path``), ``project/id``, ``id`` or a run
        directory; raises ``nbrun.Error`` naming the path when there is none."""
        run_dir = find_local_run(path, self._roots)
        if run_dir is None:
            searched = ", ".join(str(root / "nbrun") for root in self._roots)
            raise Error(f"no run {path!r} found (searched {searched})")
        return LocalRun(run_dir, read_state(run_dir))

    def runs(
        self, path: str | None = None, filters: dict[str, Any] | None = None
    ) -> list[LocalRun]:
        """Runs of ``entity/project`` (or ``project``), newest first; ``filters`` match run
        fields exactly, e.g. ``{"group": "fold-1"}``."""
        wanted = path.strip("/").split("/") if path else []
        found = []
        for run_dir, head in iter_local_runs(self._roots):
            have = [head.get("entity", ""), head.get("project", "")]
            if wanted and have[-len(wanted) :] != wanted:
                continue
            if filters and any(head.get(k) != v for k, v in filters.items()):
                continue
            found.append(LocalRun(run_dir, read_state(run_dir)))
        found.sort(key=lambda r: r.start_time or 0.0, reverse=True)
        return found

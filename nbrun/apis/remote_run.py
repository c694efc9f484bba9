"""A run read from a backend over HTTP (the same interface as a local run)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nbrun.apis.artifacts import remote_run_artifacts
from nbrun.apis.base import BaseRun, RunFile, even_sample
from nbrun.artifacts.artifact import Artifact
from nbrun.protocol import http as http_api
from nbrun.protocol.keys import flatten, is_media
from nbrun.protocol.limits import MAX_KEYS_PER_REQUEST
from nbrun.sync.client import BackendClient

ROWS_PAGE = 1000

# How JSON answers spell the floats JSON has no literal for (the contract, http_api).
_NONFINITE = {
    http_api.JSON_NAN: math.nan,
    http_api.JSON_POS_INF: math.inf,
    http_api.JSON_NEG_INF: -math.inf,
}


def logged_values(value: Any) -> Any:
    """A logged value from a JSON answer with ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``
    back as floats, at any depth (media references are left whole)."""
    if type(value) is str:
        return _NONFINITE.get(value, value)
    if type(value) is dict:
        if value.get("_type"):
            return value
        return {key: logged_values(inner) for key, inner in value.items()}
    if type(value) is list:
        return [logged_values(inner) for inner in value]
    return value


def run_info_values(info: dict[str, Any]) -> dict[str, Any]:
    """A JSON ``RunInfo`` with non-finite floats restored in its config and summary."""
    config, summary = logged_values(info["config"]), logged_values(info["summary"])
    return {**info, "config": config, "summary": summary}


def run_list_values(answer: dict[str, Any]) -> dict[str, Any]:
    """A JSON run list (``{"runs": [RunInfo]}``) with non-finite floats restored."""
    return {**answer, "runs": [run_info_values(info) for info in answer["runs"]]}


def _rows_values(page: dict[str, Any]) -> dict[str, Any]:
    return {**page, "rows": [logged_values(row) for row in page["rows"]]}


def _row_filter(keys: list[str] | None) -> str | None:
    """The ``keys`` query of a rows request that keeps every row holding one of ``keys``
    (flattened, dotted), or None to ask for every row. The backend matches the top-level keys
    of the rows as logged, so a dotted key is asked for by its first part as well; a key
    holding the query's separator (",") cannot be asked for."""
    if not keys or any("," in key for key in keys):
        return None
    names = sorted({name for key in keys for name in (key, key.partition(".")[0])})
    # Past the backend's limit the rows are read unfiltered (and filtered here all the same).
    return ",".join(names) if len(names) <= MAX_KEYS_PER_REQUEST else None


def _series_values(answer: dict[str, Any]) -> dict[str, Any]:
    series = {
        key: {"x": logged_values(points["x"]), "y": logged_values(points["y"])}
        for key, points in answer["series"].items()
    }
    return {**answer, "series": series}


class RemoteFile(RunFile):
    """A file saved with a run on the backend."""

    def __init__(self, run: RemoteRun, info: http_api.FileInfo) -> None:
        self._run = run
        self.name = info["path"]
        self.size = info["size"]
        self.sha256 = info["sha256"]
        self.updated_at = info["updated_at"]

    def download(self, root: str = ".", replace: bool = False) -> Path:
        target = Path(root) / self.name
        if target.exists() and not replace:
            return target
        data = self._run._client.get_bytes(f"{self._run._api_path}/files/{quote(self.name)}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target


class RemoteRun(BaseRun):
    """A run on a backend: metadata, config, summary, state, history and files."""

    def __init__(self, client: BackendClient, info: http_api.RunInfo) -> None:
        self._client = client
        self._info = info
        self.id = info["id"]
        self.entity = info["entity"]
        self.project = info["project"]
        self.name = info["name"]
        self.notes = info["notes"]
        self.tags = list(info["tags"])
        self.group = info["group"]
        self.job_type = info["job_type"]
        self.start_time = info["start_time"]
        self._api_path = http_api.run_path(self.entity, self.project, self.id)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._info["config"])

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self._info["summary"])

    @property
    def state(self) -> str:
        return self._info["state"]

    @property
    def exit_code(self) -> int | None:
        return self._info["exit_code"]

    @property
    def last_step(self) -> int | None:
        return self._info["last_step"]

    @property
    def url(self) -> str:
        return self._client.backend.run_url(self.entity, self.project, self.id)

    def _artifacts(self) -> tuple[list[Artifact], list[Artifact]]:
        open_run = self._open_run or (lambda path: None)
        return remote_run_artifacts(self._client, self.entity, self.project, self.id, open_run)

    def refresh(self) -> None:
        """Fetch the run's current metadata, config, summary and state again."""
        self._info = self._client.get_json(self._api_path, json_values=run_info_values)

    def scan_history(
        self,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        wanted = list(keys) if keys is not None else None
        for row in self._rows(min_step, max_step, wanted):
            if wanted is None:
                yield row
            elif all(key in row for key in wanted):
                yield {"_step": row.get("_step"), **{key: row[key] for key in wanted}}

    def _rows(
        self, min_step: int | None, max_step: int | None, keys: list[str] | None
    ) -> Iterator[dict[str, Any]]:
        """History rows, flattened, in step order; with ``keys``, the backend may leave out
        rows holding none of them (a sparse media key pages as quickly as a dense one)."""
        cursor: int | None = min_step
        while True:
            params: dict[str, Any] = {"limit": ROWS_PAGE}
            if cursor is not None:
                params["min_step"] = cursor
            if max_step is not None:
                params["max_step"] = max_step
            names = _row_filter(keys)
            if names is not None:
                params["keys"] = names
            page: http_api.HistoryRows = self._client.get_json(
                f"{self._api_path}/history/rows", json_values=_rows_values, **params
            )
            for payload in page["rows"]:
                yield flatten(payload)
            cursor = page["next_min_step"]
            if cursor is None:
                return

    def _history_rows(
        self, keys: Sequence[str] | None, samples: int | None
    ) -> list[dict[str, Any]]:
        if samples is None:
            return super()._history_rows(keys, samples)
        # Sampled: the server downsamples each numeric series instead of sending every row.
        # The backend keeps no series of the other keys (media, text): they come from the rows
        # holding them, sampled evenly here. Without keys: the numeric keys and the media.
        wanted = list(keys) if keys is not None else self._summary_keys()
        answer: http_api.HistorySeries = self._client.get_json(
            f"{self._api_path}/history",
            json_values=_series_values,
            keys=",".join(wanted),
            samples=samples,
        )
        by_step: dict[Any, dict[str, Any]] = {}
        for key, series in answer["series"].items():
            for x, y in zip(series["x"], series["y"], strict=False):
                by_step.setdefault(x, {"_step": x})[key] = y
        others = [key for key in wanted if key not in answer["series"]]
        if others:
            holding = []
            for row in self._rows(None, None, others):
                found = {key: row[key] for key in others if key in row}
                if found:
                    holding.append({"_step": row.get("_step"), **found})
            for row in even_sample(holding, samples):
                by_step.setdefault(row["_step"], {"_step": row["_step"]}).update(row)
        return [by_step[step] for step in sorted(by_step)]

    def _summary_keys(self) -> list[str]:
        """The summary's keys of numbers and of media (payloads, or lists of them: galleries)."""
        summary = flatten(self._info["summary"])
        return [
            key
            for key, value in summary.items()
            if not key.startswith("_")
            and (
                isinstance(value, (int, float))
                or is_media(value)
                or (type(value) is list and bool(value) and all(map(is_media, value)))
            )
        ]

    def files(self) -> list[RunFile]:
        answer = self._client.get_json(f"{self._api_path}/files")
        return [RemoteFile(self, info) for info in answer["files"]]

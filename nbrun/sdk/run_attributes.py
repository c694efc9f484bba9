"""The reference's attributes of a ``Run`` (id, name, tags, path, dir, url, ...): read from the
run's settings and collaborators, and the settable ones recorded through the run."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence

from nbrun.sdk.config import Config
from nbrun.sdk.history import History
from nbrun.sdk.online import OnlineSync
from nbrun.sdk.run_dir import RunDir
from nbrun.sdk.settings import Settings
from nbrun.sdk.summary import Summary


class RunAttributes:
    """Mixed into ``Run``, which sets these fields in its ``__init__``."""

    _settings: Settings
    _history: History
    _summary: Summary
    _config: Config
    _run_dir: RunDir | None
    _online: OnlineSync | None
    _offline: bool
    _resumed: bool
    _start_time: float
    _starting_step: int
    _update_run_fields: Callable[..., None]

    @property
    def id(self) -> str:
        assert self._settings.run_id is not None
        return self._settings.run_id

    @property
    def name(self) -> str:
        assert self._settings.name is not None
        return self._settings.name

    @name.setter
    def name(self, value: str) -> None:
        self._update_run_fields(name=str(value))

    @property
    def notes(self) -> str | None:
        return self._settings.notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._update_run_fields(notes=value)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._settings.tags or ())

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._update_run_fields(tags=tuple(value))

    @property
    def entity(self) -> str:
        return self._settings.entity or ""

    @property
    def project(self) -> str:
        return self._settings.project or ""

    @property
    def group(self) -> str | None:
        return self._settings.group

    @property
    def job_type(self) -> str | None:
        return self._settings.job_type

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def dir(self) -> str:
        if self._run_dir is None:  # disabled: a folder that exists, as code writes into run.dir
            return tempfile.gettempdir()
        return str(self._run_dir.files)

    @property
    def mode(self) -> str:
        """The reference's 0.9.x compatibility field: ``"dryrun"`` offline, else ``"run"``."""
        return "dryrun" if self._offline else "run"

    @property
    def offline(self) -> bool:
        return self._offline

    @property
    def disabled(self) -> bool:
        return self._settings.mode == "disabled"

    @property
    def resumed(self) -> bool:
        return self._resumed

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def start_time(self) -> float:
        return self._start_time

    @property
    def starting_step(self) -> int:
        return self._starting_step

    @property
    def step(self) -> int:
        return self._history.step

    @property
    def sweep_id(self) -> str | None:
        return self._settings.sweep_id

    @property
    def url(self) -> str | None:
        return self.get_url()

    @property
    def summary(self) -> Summary:
        return self._summary

    @property
    def config(self) -> Config:
        return self._config

    def project_name(self) -> str:
        return self.project

    def get_url(self) -> str | None:
        """The run's page on its backend; None for offline runs."""
        if self._online is None:
            return None
        return self._online.run_url(self.entity, self.project, self.id)

    def get_project_url(self) -> str | None:
        """The run's project page on its backend; None for offline runs."""
        if self._online is None:
            return None
        return self._online.project_url(self.entity, self.project)

    def get_sweep_url(self) -> str | None:
        return None

"""Who a run is: its id, name, entity, project and the rest of its settings, when it started,
and the ``run`` record that tells the log and the backend so."""

from __future__ import annotations

import dataclasses
import os
import socket
from typing import Any

from nbrun.environment import kernel_id
from nbrun.record import types as kinds
from nbrun.record.replay import RunState
from nbrun.sdk.names import random_run_name
from nbrun.sdk.settings import Settings, check_text_fields


class RunIdentity:
    """The run's settings record. ``settings`` is a frozen copy, replaced (never mutated) when
    the user renames, re-tags or annotates the run."""

    def __init__(
        self,
        settings: Settings,
        *,
        start_time: float,
        starting_step: int,
        resumed: bool,
        offline: bool,
    ) -> None:
        self.settings = settings
        self.start_time = start_time
        self.starting_step = starting_step
        self.resumed = resumed
        self.offline = offline  # no backend: offline and disabled runs

    @classmethod
    def for_run(
        cls,
        settings: Settings,
        run_id: str,
        entity: str,
        previous: RunState,
        *,
        resumed: bool,
        offline: bool,
        start_time: float,
    ) -> RunIdentity:
        """The identity of run ``run_id``: a resumed run (``previous`` replayed from its log or
        its backend) keeps its name, its clock and its place in the step sequence."""
        name = settings.name or previous.run.get("name") or random_run_name()
        return cls(
            dataclasses.replace(settings, run_id=run_id, name=name, entity=entity),
            start_time=previous.run.get("start_time", start_time),
            starting_step=previous.last_step + 1 if previous.last_step is not None else 0,
            resumed=resumed,
            offline=offline,
        )

    @property
    def id(self) -> str:
        assert self.settings.run_id is not None
        return self.settings.run_id

    @property
    def name(self) -> str:
        assert self.settings.name is not None
        return self.settings.name

    @property
    def entity(self) -> str:
        return self.settings.entity or ""

    @property
    def project(self) -> str:
        return self.settings.project or ""

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def label(self) -> str:
        """How messages name the run: ``name (id)``."""
        return f"{self.name} ({self.id})"

    def edit(self, **fields: Any) -> kinds.RunRecord:
        """Change name, notes or tags (checked like ``init``'s); returns the record to log."""
        check_text_fields(fields)
        self.settings = dataclasses.replace(self.settings, **fields)
        return self.record()

    def record(self) -> kinds.RunRecord:
        """The ``run`` record: the run as the log and the backend know it."""
        settings = self.settings
        return {
            "id": self.id,
            "entity": self.entity,
            "project": self.project,
            "name": self.name,
            "notes": settings.notes,
            "tags": list(settings.tags or ()),
            "group": settings.group,
            "job_type": settings.job_type,
            "mode": settings.mode or "online",
            "start_time": self.start_time,
            "starting_step": self.starting_step,
            "resumed": self.resumed,
            "sweep_id": settings.sweep_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "kernel_id": kernel_id(),
        }

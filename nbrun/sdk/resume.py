"""Finding the run that ``init(id=..., resume=...)`` continues, by the reference's rules: a run
directory on this machine, else the run on the backend."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from nbrun.errors import UsageError
from nbrun.protocol import http as http_api
from nbrun.record.replay import RunState, replay_log
from nbrun.record.run_dir import RunDir, find_run_dir
from nbrun.sdk.settings import Settings

_RESUME_OPTIONS = (None, "allow", "must", "never", "auto")


@dataclasses.dataclass(frozen=True)
class Resumable:
    """The run to continue: its state, and its local directory when it has one here."""

    state: RunState
    run_dir: RunDir | None


def find_resumable(
    settings: Settings,
    run_id: str,
    fetch_remote: Callable[[], http_api.RunInfo | None] | None = None,
) -> Resumable | None:
    """The run to continue, or None for a new run. ``fetch_remote`` asks the backend for the run
    when there is no local directory. Raises for ``resume="must"`` without such a run, and for
    an existing id without resume."""
    resume = settings.resume
    if resume not in _RESUME_OPTIONS:
        raise UsageError(f"resume must be one of allow, must, never, auto; got {resume!r}")
    if settings.mode == "disabled" or not settings.run_id:
        return None
    found: Resumable | None = None
    existing = find_run_dir(settings.root_dir, run_id)
    if existing is not None:
        found = Resumable(replay_log(existing.log_path), existing)
    elif fetch_remote is not None:
        info = fetch_remote()
        if info is not None:
            found = Resumable(state_from_run_info(info), None)
    if found is None:
        if resume == "must":
            raise UsageError(
                f"resume='must' but no run with id {run_id!r} exists (looked under "
                f"{settings.root_dir / 'nbrun'}{' and on the backend' if fetch_remote else ''})"
            )
        return None
    if resume in (None, "never"):
        where = found.run_dir.path if found.run_dir is not None else "on the backend"
        raise UsageError(
            f"a run with id {run_id!r} already exists ({where}); pass resume='allow' to "
            "continue it, or choose another id"
        )
    return found


def state_from_run_info(info: http_api.RunInfo) -> RunState:
    """What the backend knows of a run, as the state a resumed run continues from. (Running
    aggregates such as a mean restart from the stored values.)"""
    run = {
        key: info[key]
        for key in (
            "id",
            "entity",
            "project",
            "name",
            "notes",
            "tags",
            "group",
            "job_type",
            "start_time",
            "sweep_id",
        )
    }
    return RunState.from_state(
        {
            "run": run,
            "config": info["config"],
            "metrics": info["metrics"],
            "summary": {"values": info["summary"]},
            "last_step": info["last_step"],
            "history_rows": info["history_rows"],
            "last_seq": info["acked_seq"],
        }
    )

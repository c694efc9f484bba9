"""Finding the local run that ``init(id=..., resume=...)`` continues, by the reference's rules."""

from __future__ import annotations

from nbrun.errors import UsageError
from nbrun.record.replay import RunState, replay_log
from nbrun.sdk.run_dir import RunDir, find_run_dir
from nbrun.sdk.settings import Settings

_RESUME_OPTIONS = (None, "allow", "must", "never", "auto")


def find_resumable(settings: Settings, run_id: str) -> tuple[RunDir, RunState] | None:
    """The directory and replayed state of the run to continue, or None for a new run.
    Raises for ``resume="must"`` without such a run, and for an existing id without resume."""
    resume = settings.resume
    if resume not in _RESUME_OPTIONS:
        raise UsageError(f"resume must be one of allow, must, never, auto; got {resume!r}")
    if settings.mode == "disabled":
        return None
    existing = find_run_dir(settings.root_dir, run_id) if settings.run_id else None
    if existing is None:
        if resume == "must":
            raise UsageError(
                f"resume='must' but no run with id {run_id!r} exists under "
                f"{settings.root_dir / 'nbrun'}"
            )
        return None
    if resume in (None, "never"):
        raise UsageError(
            f"a run with id {run_id!r} already exists ({existing.path}); pass "
            "resume='allow' to continue it, or choose another id"
        )
    return existing, replay_log(existing.log_path)

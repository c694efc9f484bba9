"""``nbrun.log``, ``nbrun.finish`` ...: the module-level API, each call acting on the active run."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import IO, Any

from nbrun.apis.api import Api
from nbrun.apis.restore import restore_file
from nbrun.artifacts.artifact import Artifact
from nbrun.errors import Error
from nbrun.sdk import registry
from nbrun.sdk.alerts import AlertLevel
from nbrun.sdk.metric import Metric


def log(
    data: dict[str, Any],
    step: int | None = None,
    commit: bool | None = None,
    sync: bool | None = None,
) -> None:
    """Log to the active run (see ``Run.log``); raises ``nbrun.Error`` before ``init``."""
    registry.require_run("log()").log(data, step=step, commit=commit, sync=sync)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the active run, if there is one."""
    run = registry.active_run()
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


def save(
    glob_str: str | os.PathLike[str] | None = None,
    base_path: str | os.PathLike[str] | None = None,
    policy: str = "live",
) -> bool | list[str]:
    """Save files with the active run (see ``Run.save``)."""
    return registry.require_run("save()").save(glob_str, base_path, policy)


def restore(
    name: str, run_path: str | None = None, replace: bool = False, root: str | None = None
) -> IO[str] | None:
    """Fetch a file saved by a run (see ``Run.restore``); without an active run, ``run_path``
    names the run and the file lands in ``root`` (default: the working directory)."""
    run = registry.active_run()
    if run is not None:
        return run.restore(name, run_path, replace, root)
    if run_path is None:
        raise Error("nbrun.restore() needs run_path (entity/project/run_id) before nbrun.init()")
    return restore_file(Api(), name, run_path, replace, root or ".")


def define_metric(
    name: str,
    step_metric: str | Metric | None = None,
    step_sync: bool | None = None,
    hidden: bool | None = None,
    summary: str | None = None,
    goal: str | None = None,
    overwrite: bool | None = None,
) -> Metric:
    """Customise a metric of the active run (see ``Run.define_metric``)."""
    return registry.require_run("define_metric()").define_metric(
        name, step_metric, step_sync, hidden, summary, goal, overwrite
    )


def alert(
    title: str,
    text: str,
    level: str | AlertLevel | None = None,
    wait_duration: float | timedelta | None = None,
) -> None:
    """Raise an alert on the active run (see ``Run.alert``)."""
    registry.require_run("alert()").alert(title, text, level, wait_duration)


def mark_preempting() -> None:
    """Mark the active run as being pre-empted."""
    registry.require_run("mark_preempting()").mark_preempting()


def watch(
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
) -> None:
    """Hook a PyTorch model into the active run (see ``Run.watch``)."""
    registry.require_run("watch()").watch(models, criterion, log, log_freq, idx, log_graph)


def unwatch(models: Any = None) -> None:
    """Remove the hooks ``watch`` added."""
    registry.require_run("unwatch()").unwatch(models)


def log_artifact(
    artifact_or_path: Artifact | str | os.PathLike[str],
    name: str | None = None,
    type: str | None = None,
    aliases: list[str] | None = None,
    tags: list[str] | None = None,
) -> Artifact:
    """Declare an artifact as an output of the active run."""
    return registry.require_run("log_artifact()").log_artifact(
        artifact_or_path, name, type, aliases, tags
    )


def use_artifact(
    artifact_or_name: Artifact | str,
    type: str | None = None,
    aliases: list[str] | None = None,
    use_as: str | None = None,
) -> Artifact:
    """Declare an artifact as an input of the active run."""
    return registry.require_run("use_artifact()").use_artifact(
        artifact_or_name, type, aliases, use_as
    )


def log_model(
    path: str | os.PathLike[str], name: str | None = None, aliases: list[str] | None = None
) -> Artifact:
    """Log a model artifact to the active run."""
    return registry.require_run("log_model()").log_model(path, name, aliases)


def use_model(name: str) -> str:
    """Download a model artifact logged before."""
    return registry.require_run("use_model()").use_model(name)


def link_model(
    path: str | os.PathLike[str],
    registered_model_name: str,
    name: str | None = None,
    aliases: list[str] | None = None,
) -> None:
    """Log a model and link it into the model registry."""
    registry.require_run("link_model()").link_model(path, registered_model_name, name, aliases)

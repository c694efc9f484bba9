"""``nbrun.init``: resolve settings, settle the previous run (``reinit``), start a ``Run``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbrun import termlog
from nbrun.environment import in_notebook
from nbrun.errors import UsageError
from nbrun.sdk import hooks, registry
from nbrun.sdk.config import config_input_to_dict
from nbrun.sdk.run import Run
from nbrun.sdk.settings import Settings, resolve_settings

_REINIT_POLICIES = ("default", "return_previous", "finish_previous", "create_new")
# Accepted so that code written for the reference runs; they change nothing here yet.
_IGNORED_ARGUMENTS = (
    "anonymous",
    "force",
    "tensorboard",
    "sync_tensorboard",
    "monitor_gym",
    "magic",
    "fork_from",
    "resume_from",
)


def init(
    entity: str | None = None,
    project: str | None = None,
    dir: str | None = None,
    id: str | None = None,
    name: str | None = None,
    notes: str | None = None,
    tags: Sequence[str] | None = None,
    config: Any = None,
    config_exclude_keys: Sequence[str] | None = None,
    config_include_keys: Sequence[str] | None = None,
    allow_val_change: bool | None = None,
    group: str | None = None,
    job_type: str | None = None,
    mode: str | None = None,
    reinit: bool | str | None = None,
    resume: bool | str | None = None,
    settings: Settings | dict[str, Any] | None = None,
    save_code: bool | None = None,
    **ignored: Any,
) -> Run:
    """Start a run and make it the active one (``nbrun.run``); returns the ``Run``.

    Arguments not given fall back to ``settings``, then ``NBRUN_*`` (else ``WANDB_*``)
    environment variables, then defaults. ``mode`` is online, offline or disabled.
    """
    unknown = sorted(set(ignored) - set(_IGNORED_ARGUMENTS))
    if unknown:
        raise TypeError(f"init() got unexpected keyword argument(s): {', '.join(unknown)}")
    for argument in sorted(k for k, v in ignored.items() if v not in (None, False)):
        termlog.warn(f"init({argument}=...) is not supported by nbrun yet and is ignored")
    if isinstance(resume, bool):
        resume = "auto" if resume else None
    resolved = resolve_settings(
        settings,
        {
            "entity": entity,
            "project": project,
            "dir": dir,
            "run_id": id,
            "name": name,
            "notes": notes,
            "tags": _tags_argument(tags),
            "group": group,
            "job_type": job_type,
            "mode": mode,
            "resume": resume,
            "save_code": save_code,
            "allow_val_change": allow_val_change,
        },
    )
    termlog.set_silent(bool(resolved.silent))
    notebook = in_notebook()
    config_dict = config_input_to_dict(config, config_include_keys, config_exclude_keys)

    policy = _reinit_policy(reinit, notebook)
    previous = registry.active_run()
    if previous is not None:
        if policy == "return_previous":
            termlog.warn(
                f"init() returned the active run {previous.name} ({previous.id}); finish it "
                "first or pass reinit='finish_previous' to start a new one"
            )
            return previous
        if policy == "finish_previous":
            previous.finish()
    make_active = not (policy == "create_new" and previous is not None)
    run = Run(
        resolved,
        config=config_dict,
        allow_val_change=resolved.allow_val_change
        if resolved.allow_val_change is not None
        else notebook,
        capture_console=make_active,
    )
    registry.register(run, make_active=make_active)
    hooks.views().run_started(run)  # the notebook's live widget
    return run


def _reinit_policy(reinit: bool | str | None, notebook: bool) -> str:
    if reinit is True:
        return "finish_previous"
    if reinit is None or reinit is False:
        reinit = "default"
    if reinit not in _REINIT_POLICIES:
        raise UsageError(
            f"reinit must be a bool or one of {', '.join(_REINIT_POLICIES)}; got {reinit!r}"
        )
    if reinit == "default":
        return "finish_previous" if notebook else "return_previous"
    return reinit


def _tags_argument(tags: Sequence[str] | str | None) -> tuple[str, ...] | None:
    # A lone string is one tag (tuple("baseline") would split it into letters).
    if tags is None:
        return None
    return (tags,) if isinstance(tags, str) else tuple(tags)

"""Settings: what a run is configured with, resolved from init() arguments, a Settings object,
``NBRUN_*`` (else ``WANDB_*``) environment variables and defaults, in that order."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nbrun.errors import UsageError
from nbrun.protocol.limits import string_problem

MODES = ("online", "offline", "disabled")
# Spellings the reference accepts for the same modes.
_MODE_ALIASES = {"dryrun": "offline", "run": "online"}
CONSOLE_MODES = ("auto", "wrap", "off")

# Environment variable suffixes, read as NBRUN_<X> and else WANDB_<X>. BASE_URL and API_KEY are
# NBRUN_ only: a WANDB_API_KEY is a secret for another service and must never be sent to ours.
_ENV_FIELDS = {
    "mode": "MODE",
    "dir": "DIR",
    "project": "PROJECT",
    "entity": "ENTITY",
    "name": "NAME",
    "notes": "NOTES",
    "tags": "TAGS",
    "group": "GROUP",
    "job_type": "JOB_TYPE",
    "run_id": "RUN_ID",
    "resume": "RESUME",
    "silent": "SILENT",
    "console": "CONSOLE",
    "save_code": "SAVE_CODE",
    "show_widget": "SHOW_WIDGET",
}
_NBRUN_ONLY_ENV_FIELDS = {"base_url": "BASE_URL", "api_key": "API_KEY"}
_BOOL_FIELDS = frozenset({"silent", "save_code", "show_widget", "allow_val_change"})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Run settings. Fields left ``None`` are filled from the environment and defaults at
    ``init``; the run keeps a frozen, fully resolved copy as ``run.settings``."""

    mode: str | None = None
    project: str | None = None
    entity: str | None = None
    name: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] | None = None
    group: str | None = None
    job_type: str | None = None
    run_id: str | None = None
    dir: str | None = None
    resume: str | None = None
    sweep_id: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    silent: bool | None = None
    console: str | None = None
    save_code: bool | None = None
    show_widget: bool | None = None
    allow_val_change: bool | None = None
    flush_interval: float | None = None
    fsync_interval: float | None = None
    sync_timeout: float | None = None  # seconds finish() waits for the upload

    def __post_init__(self) -> None:
        if self.tags is not None and not isinstance(self.tags, tuple):
            object.__setattr__(self, "tags", tuple(_as_tags(self.tags)))

    def __repr__(self) -> str:
        shown = {
            f.name: ("***" if f.name == "api_key" else getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @property
    def root_dir(self) -> Path:
        """The folder that holds the ``nbrun/`` folder of run directories."""
        return Path(self.dir or os.getcwd())


_DEFAULTS: dict[str, Any] = {
    "mode": "online",
    "project": "uncategorized",
    "tags": (),
    "silent": False,
    "console": "auto",
    "save_code": False,
    "show_widget": True,
    "flush_interval": 0.05,
    "fsync_interval": 0.5,
    "sync_timeout": 180.0,
}


def _env(suffix: str, nbrun_only: bool = False) -> str | None:
    value = os.environ.get(f"NBRUN_{suffix}")
    if value is None and not nbrun_only:
        value = os.environ.get(f"WANDB_{suffix}")
    return value if value not in (None, "") else None


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"environment variable for setting {name!r}: cannot read {value!r} as a bool")


def _as_tags(value: str | Sequence[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    tags = []
    for tag in items:
        if not isinstance(tag, str):
            raise TypeError(f"tags must be strings, got {tag!r}")
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def normalize_mode(mode: str) -> str:
    """Map the reference's mode spellings to online/offline/disabled, or raise naming it."""
    mode = _MODE_ALIASES.get(mode, mode)
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    return mode


def resolve_settings(
    base: Settings | Mapping[str, Any] | None, overrides: Mapping[str, Any]
) -> Settings:
    """Resolve every field: ``overrides`` (init arguments), then ``base``, environment, defaults."""
    if base is None:
        base = Settings()
    elif isinstance(base, Mapping):
        unknown = set(base) - {f.name for f in dataclasses.fields(Settings)}
        if unknown:
            raise UsageError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        base = Settings(**base)
    elif not isinstance(base, Settings):
        raise TypeError(f"settings must be nbrun.Settings or a dict, got {type(base).__name__}")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Settings):
        name = field.name
        value = overrides.get(name)
        if value is None:
            value = getattr(base, name)
        if value is None:
            if name in _ENV_FIELDS:
                raw = _env(_ENV_FIELDS[name])
            else:
                raw = (
                    _env(_NBRUN_ONLY_ENV_FIELDS[name], True)
                    if name in _NBRUN_ONLY_ENV_FIELDS
                    else None
                )
            if raw is not None:
                value = _parse_bool(name, raw) if name in _BOOL_FIELDS else raw
        if value is None:
            value = _DEFAULTS.get(name)
        values[name] = value
    values["mode"] = normalize_mode(values["mode"])
    values["tags"] = tuple(_as_tags(values["tags"]))
    check_text_fields(values)
    if values["console"] not in CONSOLE_MODES:
        raise UsageError(
            f"console must be one of {', '.join(CONSOLE_MODES)}; got {values['console']!r}"
        )
    return Settings(**values)


# Settings recorded in the run's record: each must be text the record log can hold.
_RECORDED_TEXT = ("entity", "project", "name", "notes", "group", "job_type", "sweep_id")


def check_text_fields(values: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` naming a recorded setting (or tag) that is not valid text."""
    named = [(name, values.get(name)) for name in _RECORDED_TEXT]
    named += [(f"tag {tag!r}", tag) for tag in values.get("tags") or ()]
    for name, value in named:
        problem = string_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise ValueError(f"{name} {problem}")

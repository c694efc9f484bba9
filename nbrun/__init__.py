"""nbrun: a local-first experiment tracker with the W&B ``Run`` API (``import nbrun as wandb``)."""

import typing as _typing

from nbrun.apis.api import Api
from nbrun.artifacts.artifact import Artifact
from nbrun.data_types import (
    Audio,
    Histogram,
    Html,
    Image,
    Molecule,
    Object3D,
    Plotly,
    Table,
    Video,
    plot,
)
from nbrun.errors import CommError, Error, UsageError
from nbrun.integrations.console import ConsoleCapture as _ConsoleCapture
from nbrun.jupyter.magics import load_ipython_extension
from nbrun.jupyter.views import NotebookViews as _NotebookViews
from nbrun.sdk import hooks as _hooks
from nbrun.sdk import registry as _registry
from nbrun.sdk.alerts import AlertLevel
from nbrun.sdk.config import Config, ConfigError
from nbrun.sdk.init import init
from nbrun.sdk.lifecycle import RunStatus
from nbrun.sdk.metric import Metric
from nbrun.sdk.module_api import (
    alert,
    define_metric,
    finish,
    link_model,
    log,
    log_artifact,
    log_model,
    mark_preempting,
    restore,
    save,
    unwatch,
    use_artifact,
    use_model,
    watch,
)
from nbrun.sdk.run import Run
from nbrun.sdk.settings import Settings
from nbrun.sdk.summary import Summary
from nbrun.version import __version__

# The layers above the run attach to it here; the run never imports them.
_hooks.attach_views(_NotebookViews())
_hooks.attach_console_capture(_ConsoleCapture)

__all__ = [
    "AlertLevel",
    "Api",
    "Artifact",
    "Audio",
    "CommError",
    "Config",
    "ConfigError",
    "Error",
    "Histogram",
    "Html",
    "Image",
    "Metric",
    "Molecule",
    "Object3D",
    "Plotly",
    "Run",
    "RunStatus",
    "Settings",
    "Summary",
    "Table",
    "UsageError",
    "Video",
    "__version__",
    "alert",
    "config",
    "define_metric",
    "finish",
    "init",
    "link_model",
    "load_ipython_extension",
    "log",
    "log_artifact",
    "log_model",
    "mark_preempting",
    "plot",
    "restore",
    "run",
    "save",
    "summary",
    "unwatch",
    "use_artifact",
    "use_model",
    "watch",
]


def __getattr__(name: str) -> _typing.Any:
    # nbrun.run / nbrun.config / nbrun.summary follow the active run without rebinding
    # module attributes on every init.
    if name == "run":
        return _registry.active_run()
    if name in ("config", "summary"):
        active = _registry.active_run()
        return getattr(active, name) if active is not None else _registry.PreInitObject(name)
    raise AttributeError(f"module 'nbrun' has no attribute {name!r}")

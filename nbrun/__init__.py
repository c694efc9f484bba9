"""nbrun: a local-first experiment tracker with the W&B ``Run`` API (``import nbrun as wandb``)."""

import typing as _typing

from nbrun.apis.api import Api
from nbrun.data_types import Histogram, Image
from nbrun.errors import CommError, Error, UsageError
from nbrun.jupyter.magics import load_ipython_extension
from nbrun.sdk.alerts import AlertLevel
from nbrun.sdk.config import Config, ConfigError
from nbrun.sdk.init import init
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
from nbrun.sdk.run import Run, RunStatus
from nbrun.sdk.settings import Settings
from nbrun.sdk.summary import Summary

__version__ = "0.1.0"

__all__ = [
    "AlertLevel",
    "Api",
    "CommError",
    "Config",
    "ConfigError",
    "Error",
    "Histogram",
    "Image",
    "Metric",
    "Run",
    "RunStatus",
    "Settings",
    "Summary",
    "UsageError",
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
    from nbrun.sdk import registry

    if name == "run":
        return registry.active_run()
    if name in ("config", "summary"):
        active = registry.active_run()
        return getattr(active, name) if active is not None else registry.PreInitObject(name)
    raise AttributeError(f"module 'nbrun' has no attribute {name!r}")

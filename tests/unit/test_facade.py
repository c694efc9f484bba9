"""The public facade: what `import nbrun as wandb` users reach, and what importing costs."""

from __future__ import annotations

import subprocess
import sys
import types

import nbrun

REFERENCE_NAMES = [
    "Artifact",
    "init",
    "log",
    "finish",
    "run",
    "config",
    "summary",
    "save",
    "restore",
    "watch",
    "unwatch",
    "alert",
    "define_metric",
    "log_artifact",
    "use_artifact",
    "log_model",
    "use_model",
    "link_model",
    "mark_preempting",
    "Settings",
    "Api",
    "Error",
    "CommError",
    "AlertLevel",
    "Run",
    "Table",
    "Html",
    "Audio",
    "Video",
    "Plotly",
    "Object3D",
    "Molecule",
    "plot",
]


# What nbrun offers beyond the reference's names: the objects behind them, its extra errors and
# data types so far, the status record and the IPython extension hook.
NBRUN_NAMES = [
    "__version__",
    "Config",
    "ConfigError",
    "Histogram",
    "Image",
    "Metric",
    "RunStatus",
    "Summary",
    "UsageError",
    "load_ipython_extension",
]


def test_all_is_exactly_the_public_api_sorted() -> None:
    # A name joins the public API here on purpose, or not at all.
    assert sorted(nbrun.__all__) == sorted(REFERENCE_NAMES + NBRUN_NAMES)
    assert nbrun.__all__ == sorted(nbrun.__all__)


def test_every_name_in_all_resolves() -> None:
    namespace: dict[str, object] = {}
    exec("from nbrun import *", namespace)  # getattr of each name, the lazy ones included
    assert set(nbrun.__all__) <= set(namespace)
    assert nbrun.run is None and "call nbrun.init() first" in repr(nbrun.config)


def test_the_module_has_no_public_name_outside_all() -> None:
    public = {
        name
        for name in dir(nbrun)
        if not name.startswith("_") and not isinstance(getattr(nbrun, name), types.ModuleType)
    }
    assert public <= set(nbrun.__all__)


def test_unknown_attributes_raise_attribute_error() -> None:
    assert not hasattr(nbrun, "no_such_thing")


def test_importing_nbrun_loads_no_heavy_library() -> None:
    code = (
        "import sys, nbrun\n"
        "heavy = [m for m in ('numpy', 'pandas', 'IPython', 'yaml', 'requests', 'ipywidgets',"
        " 'plotly', 'matplotlib', 'torch') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

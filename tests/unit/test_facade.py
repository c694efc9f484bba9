"""The public facade: what `import nbrun as wandb` users reach, and what importing costs."""

from __future__ import annotations

import subprocess
import sys

import nbrun

REFERENCE_NAMES = [
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
]


def test_the_module_offers_every_name_of_the_reference_api() -> None:
    missing = [name for name in REFERENCE_NAMES if not hasattr(nbrun, name)]
    assert missing == []


def test_all_lists_exactly_the_public_names_sorted() -> None:
    import types

    public = {
        name
        for name in dir(nbrun)
        if not name.startswith("_") and not isinstance(getattr(nbrun, name), types.ModuleType)
    }
    assert set(nbrun.__all__) == public | {"__version__", "run", "config", "summary"}
    assert nbrun.__all__ == sorted(nbrun.__all__)


def test_unknown_attributes_raise_attribute_error() -> None:
    assert not hasattr(nbrun, "no_such_thing")


def test_importing_nbrun_loads_no_heavy_library() -> None:
    code = (
        "import sys, nbrun\n"
        "heavy = [m for m in ('numpy', 'pandas', 'IPython', 'yaml', 'requests', 'ipywidgets',"
        " 'plotly', 'torch') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

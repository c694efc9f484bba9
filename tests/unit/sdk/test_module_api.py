"""``nbrun.log``, ``nbrun.save`` ...: written out by hand (typed, documented, each with its own
behaviour before ``init``), so these tests keep them from drifting from ``Run``'s methods."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

import nbrun
from nbrun.sdk import module_api
from nbrun.sdk.run import Run


def module_functions() -> dict[str, Callable[..., Any]]:
    return {
        name: function
        for name, function in inspect.getmembers(module_api, inspect.isfunction)
        if function.__module__ == module_api.__name__ and not name.startswith("_")
    }


def method_signature(name: str) -> inspect.Signature:
    """``Run.<name>``'s signature without ``self``."""
    signature = inspect.signature(getattr(Run, name))
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def test_the_module_api_covers_what_the_reference_calls_at_module_level() -> None:
    assert {"log", "finish", "save", "restore", "watch", "unwatch", "alert"} <= set(
        module_functions()
    )
    assert {"define_metric", "log_artifact", "use_artifact"} <= set(module_functions())


@pytest.mark.parametrize("name", sorted(module_functions()))
def test_each_module_function_has_the_signature_of_the_run_method(name: str) -> None:
    # Names, order, kinds, defaults and annotations of the parameters, and the return type.
    assert inspect.signature(module_functions()[name]) == method_signature(name)


@pytest.mark.parametrize("name", sorted(module_functions()))
def test_the_facade_exports_each_module_function(name: str) -> None:
    assert name in nbrun.__all__ and getattr(nbrun, name) is module_functions()[name]


def test_a_module_function_passes_every_argument_through(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(**offline_settings)
    nbrun.log({"a": 1}, step=5)
    nbrun.log({"b": 2}, commit=True)
    assert run.step == 6 and run.summary["b"] == 2
    metric = nbrun.define_metric("acc", summary="max", goal="maximize", hidden=True)
    assert metric.summary == ("max",) and metric.goal == "maximize" and metric.hidden
    nbrun.finish(exit_code=2, quiet=True)
    assert run.status().state == "failed"

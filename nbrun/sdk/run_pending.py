"""Run methods whose features are not built yet: each raises a clear error naming what is
missing (never a silent no-op). Later issues replace them."""

from __future__ import annotations

from typing import Any, NoReturn

from nbrun.errors import UsageError


class PendingRunMethods:
    """Mixed into ``Run`` so its signatures match the reference today."""

    def _missing(self, method: str, feature: str) -> NoReturn:
        raise UsageError(f"run.{method}() is not available yet: nbrun does not have {feature} yet")

    def watch(
        self,
        models: Any,
        criterion: Any = None,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
        log_graph: bool = False,
    ) -> None:
        self._missing("watch", "PyTorch gradient hooks")

    def unwatch(self, models: Any = None) -> None:
        self._missing("unwatch", "PyTorch gradient hooks")

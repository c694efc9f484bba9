"""``run.config``: hyperparameters and inputs of a run, with the reference's change rules."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from nbrun.errors import Error, InvalidValueError, UsageError
from nbrun.protocol.limits import key_problem
from nbrun.sdk.values import convert_value


class ConfigError(Error, ValueError):
    """A config key was changed without ``allow_val_change``, or the input cannot be read."""


def config_input_to_dict(
    source: Any,
    include_keys: Iterable[str] | None = None,
    exclude_keys: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Read a config source: a dict, an ``argparse.Namespace``, absl flags, a dataclass, or
    the path of a YAML file; then keep ``include_keys`` only / drop ``exclude_keys``."""
    if source is None:
        data: dict[str, Any] = {}
    elif isinstance(source, Mapping):
        data = dict(source)
    elif isinstance(source, argparse.Namespace):
        data = vars(source).copy()
    elif isinstance(source, (str, os.PathLike)):
        data = _read_yaml(Path(source))
    elif hasattr(source, "flag_values_dict"):  # absl.flags.FlagValues
        data = dict(source.flag_values_dict())
    elif dataclasses.is_dataclass(source) and not isinstance(source, type):
        data = dataclasses.asdict(source)
    else:
        raise TypeError(
            "config must be a dict, argparse.Namespace, absl flags, a dataclass instance or the "
            f"path of a YAML file; got {type(source).__name__}"
        )
    if include_keys is not None and exclude_keys is not None:
        raise UsageError("give config_include_keys or config_exclude_keys, not both")
    if include_keys is not None:
        keep = set(include_keys)
        data = {k: v for k, v in data.items() if k in keep}
    if exclude_keys is not None:
        drop = set(exclude_keys)
        data = {k: v for k, v in data.items() if k not in drop}
    return data


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if path.suffix not in (".yaml", ".yml"):
        raise ConfigError(f"config path {str(path)!r} is not a .yaml/.yml file")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a mapping at the top level")
    loaded.pop("wandb_version", None)
    loaded.pop("_wandb", None)
    # The reference's config-defaults.yaml wraps each value as {"value": x, "desc": "..."}.
    return {
        key: (value["value"] if isinstance(value, dict) and "value" in value else value)
        for key, value in loaded.items()
    }


class Config(MutableMapping[str, Any]):
    """Attribute and item access over the run's config; changes are recorded as they happen.

    Changing a key's value raises :class:`ConfigError` unless ``allow_val_change`` is given
    to the call or was set for the run (the default in notebooks, where cells are re-run).
    """

    def __init__(
        self,
        on_change: Callable[[dict[str, Any]], None] | None = None,
        allow_val_change: bool = False,
    ) -> None:
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_on_change", on_change)
        object.__setattr__(self, "_allow_val_change", allow_val_change)

    # -- reading -------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __repr__(self) -> str:
        return f"Config({self._items!r})"

    def as_dict(self) -> dict[str, Any]:
        """A deep copy of the config as a plain dict."""
        return copy.deepcopy(self._items)

    # -- writing -------------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        self._apply({key: value}, allow_val_change=None)

    def __setattr__(self, name: str, value: Any) -> None:
        self._apply({name: value}, allow_val_change=None)

    def __delitem__(self, key: str) -> None:
        raise ConfigError(f"config keys cannot be deleted (tried {key!r})")

    def update(  # type: ignore[override]
        self, source: Any = None, allow_val_change: bool | None = None, **kwargs: Any
    ) -> None:
        """Add or change keys from a dict, Namespace, absl flags, dataclass or YAML path."""
        data = config_input_to_dict(source)
        data.update(kwargs)
        self._apply(data, allow_val_change)

    def setdefaults(self, source: Any) -> None:
        """Add the keys of ``source`` that the config does not have yet; keep existing ones."""
        data = config_input_to_dict(source)
        self._apply({k: v for k, v in data.items() if k not in self._items}, True)

    def _apply(self, data: Mapping[str, Any], allow_val_change: bool | None) -> None:
        allow = self._allow_val_change if allow_val_change is None else allow_val_change
        converted: dict[str, Any] = {}
        for key, value in data.items():
            problem = key_problem(key)
            if problem is not None:
                raise InvalidValueError(f"config: {problem}")
            value = convert_value(value, key)
            if key in self._items and not _same(self._items[key], value) and not allow:
                raise ConfigError(
                    f"config key {key!r} is already {self._items[key]!r}; changing it to "
                    f"{value!r} needs allow_val_change=True (config.update(..., "
                    "allow_val_change=True) or nbrun.init(allow_val_change=True))"
                )
            if key not in self._items or not _same(self._items[key], value):
                converted[key] = value
        if not converted:
            return
        if self._on_change is not None:
            # Recorded first: if recording refuses (a finished run), the config stays as logged.
            self._on_change(copy.deepcopy(converted))
        self._items.update(converted)


def _same(old: Any, new: Any) -> bool:
    """Equality where NaN equals NaN, so re-running a cell with a NaN value is no change."""
    if old == new:
        return True
    if isinstance(old, float) and isinstance(new, float):
        return old != old and new != new
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    return False

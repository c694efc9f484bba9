"""``run.summary``: the dict-like view users read and edit."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from nbrun.errors import InvalidValueError
from nbrun.protocol.limits import key_problem
from nbrun.record.summary import SummaryFolder
from nbrun.sdk.values import convert_value


class Summary(MutableMapping[str, Any]):
    """One value per logged key (the last, or the aggregates ``define_metric`` asks for).

    Setting a key by hand (``run.summary["best_acc"] = 0.97``) holds until that key is
    logged again. Nested values are addressable by dotted name (``summary["a.b"]``).
    """

    def __init__(
        self, folder: SummaryFolder, on_edit: Callable[[dict[str, Any], list[str]], None]
    ) -> None:
        object.__setattr__(self, "_folder", folder)
        object.__setattr__(self, "_on_edit", on_edit)

    def __getitem__(self, key: str) -> Any:
        values = self._folder.values
        value = values[key] if key in values else _dotted_lookup(values, key)
        # A copy: the stored containers are shared with records still waiting to be written.
        return copy.deepcopy(value) if isinstance(value, (dict, list)) else value

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        if key not in self._folder.values:
            raise KeyError(key)
        self._on_edit({}, [key])

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._folder.values))

    def __len__(self) -> int:
        return len(self._folder.values)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self._folder.values:
            return True
        try:
            _dotted_lookup(self._folder.values, key)
        except KeyError:
            return False
        return True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"summary has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __repr__(self) -> str:
        return f"Summary({self._folder.values!r})"

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set several values by hand at once."""
        items = dict(other, **kwargs)
        converted = {}
        for key, value in items.items():
            problem = key_problem(key)
            if problem is not None:
                raise InvalidValueError(f"summary: {problem}")
            converted[key] = convert_value(value, key)
        self._on_edit(converted, [])

    def as_dict(self) -> dict[str, Any]:
        """A deep copy of the summary as a plain dict."""
        return copy.deepcopy(self._folder.values)


def _dotted_lookup(values: Mapping[str, Any], key: str) -> Any:
    node: Any = values
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node

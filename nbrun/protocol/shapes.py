"""Checking a decoded payload against the TypedDict that defines it: the server's validation of
records derives from :mod:`nbrun.record.types` through this, so there is no second copy of the
shapes to keep in step.

Understood annotations: ``str``, ``int``, ``float`` (an int is a float too), ``bool``, ``None``,
``Any``, ``Literal[...]``, unions, ``list[X]``, ``dict[str, X]`` and nested TypedDicts. A
``bool`` is never taken for a number. Keys the TypedDict does not name are allowed (newer
writers add fields; readers ignore them).
"""

from __future__ import annotations

import functools
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union, is_typeddict

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required
else:  # Python 3.10: what nbrun.record.types uses there
    from typing_extensions import NotRequired, Required

# A check returns None when the value fits, else what was expected ("a list of strings").
Check = Callable[[Any], "str | None"]


def shape_problem(typed_dict: type, payload: dict[str, Any]) -> str | None:
    """Why ``payload`` does not fit ``typed_dict`` (a missing required key, a value of the
    wrong type), or None."""
    required, checks = _compiled(typed_dict)
    missing = [name for name in required if name not in payload]
    if missing:
        return f"needs {', '.join(missing)}"
    for name, check in checks.items():
        if name in payload:
            expected = check(payload[name])
            if expected is not None:
                got = repr(payload[name])
                got = got if len(got) <= 40 else f"{got[:37]}..."
                return f"field {name!r} must be {expected}, got {got}"
    return None


@functools.cache
def _compiled(typed_dict: type) -> tuple[tuple[str, ...], dict[str, Check]]:
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    required: list[str] = []
    checks: dict[str, Check] = {}
    total = getattr(typed_dict, "__total__", True)
    for name, hint in hints.items():
        # From the evaluated hints, not __required_keys__: that misses NotRequired written in a
        # module with postponed annotations before Python 3.12.
        origin = typing.get_origin(hint)
        if origin in (NotRequired, Required):
            hint = typing.get_args(hint)[0]
        if origin is Required or (total and origin is not NotRequired):
            required.append(name)
        checks[name] = _check(hint)
    return tuple(required), checks


def _check(hint: Any) -> Check:
    if hint is Any:
        return lambda value: None
    if hint is type(None) or hint is None:
        return lambda value: None if value is None else "null"
    if hint is bool:
        return lambda value: None if type(value) is bool else "true or false"
    if hint is int:
        return lambda value: None if type(value) is int else "an integer"
    if hint is float:
        return lambda value: None if type(value) in (int, float) else "a number"
    if hint is str:
        return lambda value: None if type(value) is str else "a string"
    if is_typeddict(hint):
        return lambda value: (
            f"a map with {', '.join(_compiled(hint)[0])}"
            if type(value) is not dict or shape_problem(hint, value) is not None
            else None
        )
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        allowed = " or ".join(str(a) for a in args)
        return lambda value: None if value in args else allowed
    if origin in (Union, types.UnionType):
        arms = [_check(arm) for arm in args]

        def union(value: Any) -> str | None:
            answers = [arm(value) for arm in arms]
            return None if None in answers else " or ".join(a for a in answers if a)

        return union
    if origin is list:
        item = _check(args[0])
        described = _plural(args[0])

        def items(value: Any) -> str | None:
            if type(value) is not list or any(item(v) is not None for v in value):
                return f"a list of {described}"
            return None

        return items
    if origin is dict:
        return lambda value: None if type(value) is dict else "a map"
    raise TypeError(f"shapes cannot check {hint!r}")


def _plural(hint: Any) -> str:
    names = {str: "strings", int: "integers", float: "numbers", bool: "booleans"}
    if hint in names:
        return names[hint]
    return f"{getattr(hint, '__name__', 'value')} maps" if is_typeddict(hint) else "values"

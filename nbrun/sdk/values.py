"""Turning what users log into plain values the record log can hold.

Plain Python scalars pass through untouched (the hot path); NumPy and torch scalars and
arrays become Python numbers and lists; nested dicts stay nested. Anything else raises a
``InvalidValueError`` (a ``ValueError`` and a ``TypeError``) naming the key, before anything
of that call is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nbrun.data_types.media import Media
from nbrun.errors import InvalidValueError

# msgpack stores integers in 64 bits; a larger int would fail later in the writer thread.
_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 64) - 1
_PLAIN = frozenset({float, str, bool, type(None)})
_STR_ONLY = frozenset({str})
# Set by nbrun on every history row.
_RESERVED_KEYS = frozenset({"_step", "_runtime", "_timestamp"})


def convert_log_data(data: Any, media: list[Media] | None = None) -> dict[str, Any]:
    """Validate and convert one ``log()`` payload into a new dict of plain values.

    Rich values (``nbrun.Image`` ...) become their references and are appended to ``media``,
    whose files the caller stores; without ``media`` they are refused."""
    if type(data) is not dict:
        if not isinstance(data, Mapping):
            raise InvalidValueError(
                f"log() takes a dict of metric names to values, got {type(data).__name__}: "
                f"{_short_repr(data)}"
            )
        data = dict(data)
    if _PLAIN.issuperset(map(type, data.values())) and _STR_ONLY.issuperset(map(type, data)):
        # The common case, checked at C speed: string keys, plain scalars (no ints to range-check).
        out = dict(data)
        if _RESERVED_KEYS.isdisjoint(out):
            return out
        raise InvalidValueError(
            f"log(): keys {sorted(_RESERVED_KEYS.intersection(out))} are reserved"
        )
    out = {}
    plain = _PLAIN
    for key, value in data.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise InvalidValueError(
                    f"log(): key {key!r} is not a string ({type(key).__name__})"
                )
            key = str(key)  # e.g. numpy.str_ keys taken from an array or a DataFrame
        vtype = type(value)
        if vtype in plain:
            out[key] = value
        elif vtype is int:
            if not _INT_MIN <= value <= _INT_MAX:
                raise InvalidValueError(f"log(): value of {key!r} is an integer too large to store")
            out[key] = value
        else:
            out[key] = convert_value(value, key, media)
    if not _RESERVED_KEYS.isdisjoint(out):
        raise InvalidValueError(
            f"log(): keys {sorted(_RESERVED_KEYS.intersection(out))} are reserved"
        )
    return out


def convert_value(value: Any, key: str, media: list[Media] | None = None) -> Any:
    """Convert one value (any supported type) to a plain value; ``key`` names it in errors.
    Rich values go to ``media`` (see :func:`convert_log_data`)."""
    vtype = type(value)
    if vtype in _PLAIN:
        return value
    if vtype is int or isinstance(value, bool):
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidValueError(f"value of {key!r} is an integer too large to store")
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return convert_value(int(value), key)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        nested: dict[str, Any] = {}
        for sub_key, sub_value in value.items():
            if not isinstance(sub_key, str):
                raise InvalidValueError(f"key {sub_key!r} inside {key!r} is not a string")
            nested[sub_key] = convert_value(sub_value, f"{key}.{sub_key}", media)
        return nested
    if isinstance(value, (list, tuple)):
        return [convert_value(item, f"{key}[{i}]", media) for i, item in enumerate(value)]
    if isinstance(value, Media):
        if value._nbrun_files():
            if media is None:
                raise InvalidValueError(
                    f"value of {key!r} is a {type(value).__name__}, which only run.log() can store"
                )
            media.append(value)
        return value._nbrun_value()
    module = vtype.__module__
    if module == "numpy":
        return _convert_numpy(value, key)
    if module.startswith("torch"):
        return _convert_torch(value, key)
    raise InvalidValueError(
        f"value of {key!r} has type {vtype.__module__}.{vtype.__qualname__}, which nbrun cannot "
        "log; use numbers, strings, lists, dicts, NumPy/torch values or nbrun data types"
    )


def _convert_numpy(value: Any, key: str) -> Any:
    if getattr(value, "ndim", None) == 0 or not hasattr(value, "ndim"):
        item = value.item()
        if isinstance(item, (bytes, complex)) or not isinstance(item, (int, float, str, bool)):
            raise InvalidValueError(
                f"value of {key!r} is a NumPy {value.dtype} scalar, which nbrun cannot log"
            )
        return convert_value(item, key)
    if value.dtype.kind not in "biufU":
        raise InvalidValueError(
            f"value of {key!r} is a NumPy array of {value.dtype}, which nbrun cannot log"
        )
    return value.tolist()


def _convert_torch(value: Any, key: str) -> Any:
    if not hasattr(value, "detach"):
        raise InvalidValueError(
            f"value of {key!r} has torch type {type(value).__name__}, which nbrun cannot log"
        )
    tensor = value.detach().cpu()
    if tensor.dim() == 0:
        return convert_value(tensor.item(), key)
    if tensor.is_complex():
        raise InvalidValueError(f"value of {key!r} is a complex tensor, which nbrun cannot log")
    return tensor.tolist()


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

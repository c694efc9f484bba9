"""Turning what users log into plain values the record log can hold.

Plain Python scalars pass through untouched (the hot path); NumPy and torch scalars and
arrays become Python numbers and lists; nested dicts stay nested; nbrun media become their
payloads, and so do plotly and matplotlib figures (and the ``matplotlib.pyplot`` module: its
current figure), converted by :mod:`nbrun.data_types.figures`. Anything else, and anything
past a limit of :mod:`nbrun.protocol.limits` (nesting, key length, string size, keys and bytes
per record) or that is not valid text (a lone surrogate), raises an ``InvalidValueError`` (a
``ValueError`` and a ``TypeError``) naming the key, before anything of that call is recorded:
what reaches the record writer can always be written.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import msgpack

from nbrun import termlog
from nbrun.data_types.figures import figure_media
from nbrun.data_types.image import Image
from nbrun.data_types.media import Media, PendingValue
from nbrun.errors import InvalidValueError
from nbrun.protocol.limits import (
    MAX_DEPTH,
    MAX_KEYS_PER_RECORD,
    MAX_RECORD_BYTES,
    count_keys,
    key_problem,
    string_problem,
)

# msgpack stores integers in 64 bits; a larger int would fail later in the writer thread.
_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 64) - 1
_SCALARS = frozenset({float, bool, type(None)})
_STR_ONLY = frozenset({str})
# Set by nbrun on every history row.
_RESERVED_KEYS = frozenset({"_step", "_runtime", "_timestamp"})
# Keys already checked (valid text, short enough, not reserved): a training loop logs the same
# few keys every step, so the fast path is one set lookup per call. Bounded, so a run logging
# ever new keys does not grow it without end.
_CHECKED_KEYS: set[str] = set()
_CHECKED_KEYS_MAX = 100_000
# Values in a row below this many msgpack bytes need no measuring (scalars, short strings).
_UNMEASURED_BYTES = 1 << 10


class _Size:
    """What one log() call adds up while converting: keys, and whether its size must be
    measured against ``MAX_RECORD_BYTES`` (only rows with containers or long strings)."""

    __slots__ = ("keys", "measure", "root")

    def __init__(self, root: str = "") -> None:
        self.keys = 0
        self.measure = False
        self.root = root  # the top-level key being converted: what errors name first


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
    if (
        _SCALARS.issuperset(map(type, data.values()))
        and _CHECKED_KEYS.issuperset(data)
        and _STR_ONLY.issuperset(map(type, data))  # a str subclass equals a checked key
        and len(data) <= MAX_KEYS_PER_RECORD
    ):
        # The common case, checked at C speed: known keys, plain scalars (no ints to range-check).
        return dict(data)
    out = {}
    size = _Size()
    size.keys = len(data)
    scalars = _SCALARS
    for key, value in data.items():
        if type(key) is not str or key not in _CHECKED_KEYS:
            key = check_key(key, "log(): ")
        vtype = type(value)
        if vtype in scalars:
            out[key] = value
        elif vtype is int:
            if not _INT_MIN <= value <= _INT_MAX:
                raise InvalidValueError(f"log(): value of {key!r} is an integer too large to store")
            out[key] = value
        else:
            size.root = key
            out[key] = _convert(value, key, media, 1, size)
    _check_size(out, size, "log(): ")
    return out


def check_key(key: Any, context: str = "") -> str:
    """``key`` as a plain ``str`` if it can be a recorded key, else raise naming it."""
    if type(key) is not str and isinstance(key, str):
        key = str(key)  # e.g. numpy.str_ keys taken from an array or a DataFrame
    problem = key_problem(key)
    if problem is not None:
        raise InvalidValueError(f"{context}{problem}")
    if key in _RESERVED_KEYS:
        raise InvalidValueError(f"{context}key {key!r} is reserved (nbrun sets it on every row)")
    if len(_CHECKED_KEYS) < _CHECKED_KEYS_MAX:
        _CHECKED_KEYS.add(key)
    return str(key)


def convert_value(value: Any, key: str, media: list[Media] | None = None) -> Any:
    """Convert one value (any supported type) to a plain value; ``key`` names it in errors.
    Rich values go to ``media`` (see :func:`convert_log_data`)."""
    size = _Size(key)
    converted = _convert(value, key, media, 1, size)
    _check_size({key: converted}, size, "")
    return converted


def _check_size(converted: dict[str, Any], size: _Size, context: str) -> None:
    if size.keys > MAX_KEYS_PER_RECORD:
        raise InvalidValueError(
            f"{context}{size.keys} keys in one call (nested ones included); at most "
            f"{MAX_KEYS_PER_RECORD}"
        )
    if not size.measure:
        return
    total = len(msgpack.packb(converted, use_bin_type=True))
    if total > MAX_RECORD_BYTES:
        largest = max(converted, key=lambda k: len(msgpack.packb(converted[k])))
        raise InvalidValueError(
            f"{context}the values take {total} bytes, more than the {MAX_RECORD_BYTES} one "
            f"record may hold; the largest is {largest!r}: log large data as a file or a "
            "media object"
        )


def _convert(value: Any, key: str, media: list[Media] | None, depth: int, size: _Size) -> Any:
    vtype = type(value)
    if vtype in _SCALARS:
        return value
    if vtype is int or isinstance(value, bool):
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidValueError(f"value of {key!r} is an integer too large to store")
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return _convert(int(value), key, media, depth, size)
    if isinstance(value, str):
        problem = string_problem(value)
        if problem is not None:
            raise InvalidValueError(f"value of {key!r} {problem}")
        if len(value) > _UNMEASURED_BYTES:
            size.measure = True
        return str(value)
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_DEPTH:
        raise InvalidValueError(
            f"value of {size.root!r} is nested more than {MAX_DEPTH} levels deep "
            f"(at {key if len(key) <= 60 else key[:57] + '...'!r})"
        )
    if isinstance(value, Mapping):
        size.measure = True
        size.keys += len(value)
        nested: dict[str, Any] = {}
        for sub_key, sub_value in value.items():
            if type(sub_key) is not str and not isinstance(sub_key, str):
                raise InvalidValueError(f"key {sub_key!r} inside {key!r} is not a string")
            problem = key_problem(str(sub_key))
            if problem is not None:
                raise InvalidValueError(f"inside {key!r}: {problem}")
            nested[str(sub_key)] = _convert(sub_value, f"{key}.{sub_key}", media, depth + 1, size)
        return nested
    if isinstance(value, (list, tuple)):
        size.measure = True
        if len(value) > Image.MAX_ITEMS and all(isinstance(item, Image) for item in value):
            termlog.warn(
                f"log(): {len(value)} images under {key!r}; a gallery holds at most "
                f"{Image.MAX_ITEMS}, so the first {Image.MAX_ITEMS} are logged"
            )
            value = value[: Image.MAX_ITEMS]
        return [
            _convert(item, f"{key}[{i}]", media, depth + 1, size) for i, item in enumerate(value)
        ]
    if isinstance(value, Media):
        return _convert_media(value, key, media, size)
    module = vtype.__module__
    if module == "numpy":
        return _convert_numpy(value, key, size)
    if module.startswith("torch"):
        return _convert_torch(value, key, size)
    if module.startswith(("plotly.", "matplotlib.")) or isinstance(value, ModuleType):
        # A figure logged directly (or the pyplot module: its current figure).
        try:
            figure = figure_media(value)
        except InvalidValueError as exc:
            raise InvalidValueError(f"value of {key!r}: {exc}") from None
        if figure is not None:
            return _convert_media(figure, key, media, size)
    raise InvalidValueError(
        f"value of {key!r} has type {vtype.__module__}.{vtype.__qualname__}, which nbrun cannot "
        "log; use numbers, strings, lists, dicts, NumPy/torch values or nbrun data types"
    )


def _convert_media(value: Media, key: str, media: list[Media] | None, size: _Size) -> Any:
    if media is not None:
        kind = value._nbrun_deferred()
        if kind is not None:  # run.log() has it encoded off the caller's thread
            state = value._nbrun_state()
            media.append(state)
            size.keys += 1
            return PendingValue(state, kind)
    try:
        files = value._nbrun_files()
        reference = None if files and media is None else value._nbrun_value()
    except InvalidValueError as exc:  # e.g. a table whose cells cannot be serialised
        raise InvalidValueError(f"value of {key!r}: {exc}") from None
    if reference is None:
        raise InvalidValueError(
            f"value of {key!r} is a {type(value).__name__}, which only run.log() can store"
        )
    if files and media is not None:
        media.append(value)
    size.measure = True
    size.keys += count_keys(reference)
    return reference


def _convert_numpy(value: Any, key: str, size: _Size) -> Any:
    if getattr(value, "ndim", None) == 0 or not hasattr(value, "ndim"):
        item = value.item()
        if isinstance(item, (bytes, complex)) or not isinstance(item, (int, float, str, bool)):
            raise InvalidValueError(
                f"value of {key!r} is a NumPy {value.dtype} scalar, which nbrun cannot log"
            )
        return _convert(item, key, None, 1, size)
    if value.dtype.kind not in "biufU":
        raise InvalidValueError(
            f"value of {key!r} is a NumPy array of {value.dtype}, which nbrun cannot log"
        )
    if value.ndim >= MAX_DEPTH:
        raise InvalidValueError(f"value of {key!r} is nested more than {MAX_DEPTH} levels deep")
    if value.dtype.kind == "U":
        return _convert(value.tolist(), key, None, 1, size)  # strings are checked one by one
    size.measure = True
    return value.tolist()


def _convert_torch(value: Any, key: str, size: _Size) -> Any:
    if not hasattr(value, "detach"):
        raise InvalidValueError(
            f"value of {key!r} has torch type {type(value).__name__}, which nbrun cannot log"
        )
    tensor = value.detach().cpu()
    if tensor.dim() == 0:
        return _convert(tensor.item(), key, None, 1, size)
    if tensor.is_complex():
        raise InvalidValueError(f"value of {key!r} is a complex tensor, which nbrun cannot log")
    if tensor.dim() >= MAX_DEPTH:
        raise InvalidValueError(f"value of {key!r} is nested more than {MAX_DEPTH} levels deep")
    size.measure = True
    return tensor.tolist()


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

"""HTTP plumbing shared by the routes: models from the contract's TypedDicts, path parameters,
and responses in JSON (non-finite floats as the strings "NaN", "Infinity", "-Infinity") or
msgpack (exact) by ``Accept``."""

from __future__ import annotations

import functools
import math
import operator
import types
import typing
from typing import Annotated, Any, Union

import msgpack
import numpy as np
import orjson
import pydantic
from fastapi import Path, Request, Response
from typing_extensions import is_typeddict

from nbrun.protocol.http import (
    JSON_NAN,
    JSON_NEG_INF,
    JSON_POS_INF,
    MAX_PATH_NAME_CHARS,
    MSGPACK_CONTENT_TYPE,
    PATH_NAME_PATTERN,
)

Entity = Annotated[
    str, Path(min_length=1, max_length=MAX_PATH_NAME_CHARS, pattern=PATH_NAME_PATTERN)
]
Project = Annotated[
    str, Path(min_length=1, max_length=MAX_PATH_NAME_CHARS, pattern=PATH_NAME_PATTERN)
]
RunId = Annotated[
    str, Path(min_length=1, max_length=MAX_PATH_NAME_CHARS, pattern=PATH_NAME_PATTERN)
]

_models: dict[type, type[pydantic.BaseModel]] = {}


def _convert(hint: Any) -> Any:
    if is_typeddict(hint):
        return model_for(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is list:
        return types.GenericAlias(list, (_convert(args[0]),))
    if origin is dict:
        return types.GenericAlias(dict, (args[0], _convert(args[1])))
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, (_convert(a) for a in args))
    return hint


def model_for(typed_dict: type) -> type[pydantic.BaseModel]:
    """A pydantic model with the fields of one of ``nbrun.protocol.http``'s TypedDicts, for
    the OpenAPI schema (pydantic wants ``typing_extensions.TypedDict`` before Python 3.12)."""
    if typed_dict not in _models:
        hints = typing.get_type_hints(typed_dict)
        fields: Any = {name: (_convert(hint), ...) for name, hint in hints.items()}
        _models[typed_dict] = pydantic.create_model(typed_dict.__name__, **fields)
    return _models[typed_dict]


def list_model(name: str, field: str, item: type) -> type[pydantic.BaseModel]:
    """A ``{field: [item]}`` response model."""
    fields: Any = {field: (types.GenericAlias(list, (model_for(item),)), ...)}
    return pydantic.create_model(name, **fields)


def wants_msgpack(request: Request) -> bool:
    return MSGPACK_CONTENT_TYPE in request.headers.get("accept", "")


def _nonfinite_name(value: float) -> str:
    """How JSON answers and events write a float JSON has no literal for (the contract)."""
    return JSON_NAN if value != value else JSON_POS_INF if value > 0 else JSON_NEG_INF


_PLAIN = frozenset({str, int, bool, type(None)})


def json_safe(content: Any) -> Any:
    """``content`` with every non-finite float (Python or NumPy, at any depth) replaced by
    ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``; the same object when there is none. Float
    arrays are checked whole by NumPy and walked only when they hold one."""
    kind = type(content)
    if kind is float:
        return content if math.isfinite(content) else _nonfinite_name(content)
    if kind in _PLAIN:
        return content
    if kind is dict:
        changed: dict[Any, Any] | None = None
        for key, value in content.items():
            safe = json_safe(value)
            if safe is not value:
                if changed is None:
                    changed = dict(content)
                changed[key] = safe
        return content if changed is None else changed
    if kind is list or kind is tuple:
        items: list[Any] | None = None
        for index, value in enumerate(content):
            safe = json_safe(value)
            if safe is not value:
                if items is None:
                    items = list(content)
                items[index] = safe
        return content if items is None else items
    if kind is np.ndarray:
        if content.dtype.kind == "f" and not np.isfinite(content).all():
            return json_safe(content.tolist())
        return content
    if isinstance(content, (float, np.floating)):  # float subclasses, NumPy scalars
        value = float(content)
        return content if math.isfinite(value) else _nonfinite_name(value)
    return content


def _msgpack_default(value: Any) -> Any:
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def respond(request: Request, content: Any, status_code: int = 200) -> Response:
    """``content`` as msgpack when the client accepts it (floats exact), else JSON with
    non-finite floats as strings (:func:`json_safe`). NumPy arrays may stand for lists."""
    if wants_msgpack(request):
        body = msgpack.packb(content, use_bin_type=True, default=_msgpack_default)
        return Response(body, status_code, media_type=MSGPACK_CONTENT_TYPE)
    body = orjson.dumps(json_safe(content), option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status_code, media_type="application/json")


# Server-sent events: never cached, never buffered by a proxy in between.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_KEEP_ALIVE = b": keep-alive\n\n"


def sse_event(name: str, data: Any) -> bytes:
    """One server-sent event, its data JSON as in :func:`respond` (non-finite floats as
    strings)."""
    body = orjson.dumps(json_safe(data), option=orjson.OPT_SERIALIZE_NUMPY)
    return b"event: " + name.encode() + b"\ndata: " + body + b"\n\n"

"""HTTP plumbing shared by the routes: models from the contract's TypedDicts, path parameters,
and responses in JSON (non-finite floats become null) or msgpack (exact) by ``Accept``."""

from __future__ import annotations

import functools
import operator
import types
import typing
from typing import Annotated, Any, Union

import msgpack
import orjson
import pydantic
from fastapi import Path, Request, Response
from typing_extensions import is_typeddict

from nbrun.record.http_api import MSGPACK_CONTENT_TYPE

_NAME_PATTERN = r"^[^\x00-\x1f\x7f/\\]+$"
Entity = Annotated[str, Path(min_length=1, max_length=128, pattern=_NAME_PATTERN)]
Project = Annotated[str, Path(min_length=1, max_length=128, pattern=_NAME_PATTERN)]
RunId = Annotated[str, Path(min_length=1, max_length=128, pattern=_NAME_PATTERN)]

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
    """A pydantic model with the fields of one of ``nbrun.record.http_api``'s TypedDicts, for
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


def respond(request: Request, content: Any, status_code: int = 200) -> Response:
    """``content`` as msgpack when the client accepts it (floats exact), else JSON."""
    if wants_msgpack(request):
        body = msgpack.packb(content, use_bin_type=True)
        return Response(body, status_code, media_type=MSGPACK_CONTENT_TYPE)
    body = orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status_code, media_type="application/json")


# Server-sent events: never cached, never buffered by a proxy in between.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_KEEP_ALIVE = b": keep-alive\n\n"


def sse_event(name: str, data: Any) -> bytes:
    """One server-sent event; orjson writes NaN and infinities as null, as JSON replies do."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

"""The limits every part of nbrun applies to what a run records: defined once, here.

The SDK refuses a value past a limit at ``log()``/``config``/``summary`` time with an error
naming the key; the record writer skips (and reports) a record that still breaks one; the
server refuses such a record by itself and stores the rest of its batch. Changing a number
here changes it everywhere.
"""

from __future__ import annotations

from typing import Any, Final

# Dicts and lists inside one value (``{"a": {"b": 1}}`` is depth 2).
MAX_DEPTH: Final = 64
# Characters of one key, at any level of nesting.
MAX_KEY_CHARS: Final = 256
# UTF-8 bytes of one string value.
MAX_STRING_BYTES: Final = 1 << 20
# Keys of one record, nested ones included.
MAX_KEYS_PER_RECORD: Final = 10_000
# Keys one read request (history series, rows filtered by key) may name.
MAX_KEYS_PER_REQUEST: Final = 200
# msgpack bytes of one record (a history row, a config or summary update, ...).
MAX_RECORD_BYTES: Final = 4 << 20
# msgpack bytes of one record-log frame body: the writer splits larger batches of records (so
# a frame is one record at most MAX_RECORD_BYTES, or several within this).
MAX_FRAME_BYTES: Final = MAX_RECORD_BYTES
# Frame bytes the sender puts in one request (it stops adding frames past this; one frame
# always fits, so a request carries at most SEND_BATCH_BYTES + MAX_FRAME_BYTES of frames).
SEND_BATCH_BYTES: Final = 4 << 20
# Bytes of one ingest request body, after decompression: what the server accepts. Sized to
# what the sender can send (see above) plus room for msgpack's framing of the batch.
MAX_BATCH_BYTES: Final = 16 << 20


def key_problem(key: Any) -> str | None:
    """Why ``key`` cannot be a key of a recorded value, or None when it can."""
    if type(key) is not str:
        return f"key {key!r} is not a string ({type(key).__name__})"
    if len(key) > MAX_KEY_CHARS:
        return f"key {key[:40]!r}... is {len(key)} characters long (at most {MAX_KEY_CHARS})"
    if not key.isascii() and not _encodable(key):
        return f"key {key!r} is not valid text (it holds a lone surrogate)"
    return None


def string_problem(value: str) -> str | None:
    """Why the string ``value`` cannot be recorded, or None when it can."""
    if value.isascii():
        size = len(value)
    else:
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            return "is not valid text (it holds a lone surrogate)"
    if size > MAX_STRING_BYTES:
        return f"is a string of {size} bytes (at most {MAX_STRING_BYTES})"
    return None


def value_problem(value: Any, depth: int = 0) -> str | None:
    """Why a decoded value (msgpack types: dicts, lists, scalars) breaks a limit or cannot be
    served as JSON, or None. Counts nesting from ``depth``; keys and strings as above."""
    kind = type(value)
    if kind is str:
        problem = string_problem(value)
        return f"a value {problem}" if problem else None
    if kind in _SCALARS:
        return None
    if depth >= MAX_DEPTH:
        return f"values are nested more than {MAX_DEPTH} levels deep"
    if kind is dict:
        for key, item in value.items():
            problem = key_problem(key) or value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if kind is list:
        for item in value:
            problem = value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"unsupported value type {kind.__name__} (use maps, arrays and scalars)"


def count_keys(value: Any) -> int:
    """Keys in ``value``, nested ones included (for :data:`MAX_KEYS_PER_RECORD`)."""
    if type(value) is dict:
        return len(value) + sum(count_keys(v) for v in value.values() if type(v) in _CONTAINERS)
    if type(value) is list:
        return sum(count_keys(v) for v in value if type(v) in _CONTAINERS)
    return 0


_SCALARS = frozenset({int, float, bool, type(None)})
_CONTAINERS = frozenset({dict, list})


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

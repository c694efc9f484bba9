"""Ingest of record batches: decode, validate, then fold and store in one transaction.

Everything that can be wrong with a batch is found before the database is touched, and the
fold runs inside the transaction, so a bad batch leaves no trace.
"""

from __future__ import annotations

import itertools
import operator
import time
import zlib
from typing import Any

import msgpack
from sqlalchemy import Engine

from nbrun.record import types
from nbrun.server.db import write_transaction
from nbrun.server.store import alerts, console, history, runs

Record = tuple[int, str, Any]
_MAX_SEQ = (1 << 63) - 1
_PLAIN = frozenset({int, float, str, bool, type(None)})
_STR = frozenset({str})
_INT = frozenset({int})
_DICT = frozenset({dict})
_PAIRS = frozenset({list, tuple})
_MAX_DEPTH = 64


class BadBatchError(ValueError):
    """The batch is malformed; ``status`` is 400 (not a batch at all) or 422 (bad content)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class SequenceGapError(Exception):
    """The batch starts past ``acked_seq + 1``: records in between are missing."""

    def __init__(self, acked_seq: int, first_seq: int) -> None:
        super().__init__(
            f"records {acked_seq + 1}..{first_seq - 1} are missing: resend from {acked_seq + 1}"
        )
        self.acked_seq = acked_seq


def decode_batch(body: bytes, gzipped: bool, max_bytes: int) -> tuple[list[Record], bool]:
    """Parse a msgpack ``RecordBatch`` body into validated records and its ``live`` flag."""
    if gzipped:
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, max_bytes + 1)
        except zlib.error as e:
            raise BadBatchError(f"body is not valid gzip: {e}", 400) from None
        if len(body) > max_bytes or inflater.unconsumed_tail:
            raise BadBatchError(f"batch is larger than {max_bytes} bytes uncompressed", 413)
    try:
        decoded = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except Exception as e:  # msgpack raises several unrelated types for bad input
        raise BadBatchError(f"body is not a msgpack document: {e}", 400) from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("records"), list):
        raise BadBatchError('body must be a msgpack map {"records": [[seq, kind, payload], ...]}')
    live = decoded.get("live", True)
    if not isinstance(live, bool):
        raise BadBatchError(f"live must be true or false, got {live!r}")
    items = decoded["records"]
    frames = decoded.get("frames")
    if frames is not None:
        items = _frame_records(frames) + items
    return validate_records(items), live


def _frame_records(frames: Any) -> list[Any]:
    """The records of record-log frame bodies (``[first_seq, [[kind, payload], ...]]``)."""
    if not isinstance(frames, list):
        raise BadBatchError("frames must be a list of record-log frame bodies (msgpack bin)")
    out: list[Any] = []
    for index, body in enumerate(frames):
        if type(body) is not bytes:
            raise BadBatchError(f"frames[{index}] must be bytes (msgpack bin)")
        try:
            frame = msgpack.unpackb(body, raw=False, strict_map_key=True)
        except Exception as e:
            raise BadBatchError(f"frames[{index}] is not a msgpack document: {e}") from None
        ok = isinstance(frame, list) and len(frame) == 2 and isinstance(frame[1], list)
        if not ok or type(frame[0]) is not int:
            raise BadBatchError(f"frames[{index}] must be [first_seq, [[kind, payload], ...]]")
        first_seq, entries = frame
        if not _PAIRS.issuperset(map(type, entries)) or not {2}.issuperset(map(len, entries)):
            raise BadBatchError(f"frames[{index}]: each entry must be [kind, payload]")
        out.extend([first_seq + i, kind, payload] for i, (kind, payload) in enumerate(entries))
    return out


def validate_records(items: list[Any]) -> list[Record]:
    """Check shapes, consecutive sequence numbers and each known kind's payload."""
    fast = _plain_batch(items)
    if fast is not None:
        return fast
    out: list[Record] = []
    previous: int | None = None
    for index, item in enumerate(items):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise BadBatchError(f"records[{index}] must be [seq, kind, payload]")
        seq, kind, payload = item
        if type(seq) is not int or not 1 <= seq <= _MAX_SEQ:
            raise BadBatchError(f"records[{index}]: seq must be a positive integer, got {seq!r}")
        if previous is not None and seq != previous + 1:
            raise BadBatchError(
                f"records[{index}]: seq {seq} does not follow {previous}; "
                "a batch holds consecutive records"
            )
        previous = seq
        if kind == types.HISTORY and _plain_row(payload):
            out.append((seq, kind, payload))
            continue
        if not isinstance(kind, str) or not kind:
            raise BadBatchError(f"records[{index}] (seq {seq}): kind must be a non-empty string")
        problem = _payload_problem(kind, payload)
        if problem is not None:
            raise BadBatchError(f"records[{index}] (seq {seq}, {kind}): {problem}")
        out.append((seq, kind, payload))
    return out


def _plain_batch(items: list[Any]) -> list[Record] | None:
    """The common batch, checked as a whole at C speed: well-formed records with consecutive
    sequence numbers, history rows flat with scalar values. None when anything is unusual:
    :func:`validate_records` then goes record by record and names the problem."""
    if not items:
        return []
    if not _PAIRS.issuperset(map(type, items)) or not {3}.issuperset(map(len, items)):
        return None
    seqs, kinds, payloads = map(list, zip(*items, strict=True))
    first = seqs[0]
    if not _INT.issuperset(map(type, seqs)) or not 1 <= first <= _MAX_SEQ - len(seqs):
        return None
    if seqs != list(range(first, first + len(seqs))) or not _STR.issuperset(map(type, kinds)):
        return None
    rows = [p for k, p in zip(kinds, payloads, strict=True) if k == types.HISTORY]
    if not _DICT.issuperset(map(type, rows)):
        return None
    if not _STR.issuperset(map(type, itertools.chain.from_iterable(rows))):
        return None
    values = itertools.chain.from_iterable(map(dict.values, rows))
    if not _PLAIN.issuperset(map(type, values)):
        return None
    try:
        steps = list(map(operator.itemgetter("_step"), rows))
    except KeyError:
        return None
    if steps and (not _INT.issuperset(map(type, steps)) or min(steps) < 0 or max(steps) > _MAX_SEQ):
        return None
    if len(rows) != len(items):
        for kind, payload in zip(kinds, payloads, strict=True):
            if kind != types.HISTORY and (not kind or _payload_problem(kind, payload)):
                return None
    return list(zip(seqs, kinds, payloads, strict=True))


def _plain_row(payload: Any) -> bool:
    """The common history row, checked at C speed: flat, string keys, scalar values."""
    if type(payload) is not dict:
        return False
    step = payload.get("_step")
    return (
        type(step) is int
        and 0 <= step <= _MAX_SEQ
        and _STR.issuperset(map(type, payload))
        and _PLAIN.issuperset(map(type, payload.values()))
    )


def _value_problem(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` cannot be stored and served as JSON (bytes, non-string keys, ...)."""
    kind = type(value)
    if kind in _PLAIN:
        return None
    if depth > _MAX_DEPTH:
        return "values are nested too deeply"
    if kind is dict:
        if not _STR.issuperset(map(type, value)):
            return "map keys must be strings"
        if _PLAIN.issuperset(map(type, value.values())):
            return None
        for item in value.values():
            problem = _value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if kind is list:
        for item in value:
            problem = _value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"unsupported value type {kind.__name__} (use msgpack maps, arrays and scalars)"


def _fields_problem(payload: dict[str, Any], fields: dict[str, tuple[type, ...]]) -> str | None:
    for name, allowed in fields.items():
        if name in payload and not isinstance(payload[name], allowed):
            return f"field {name!r} has the wrong type ({type(payload[name]).__name__})"
        if name in payload and bool not in allowed and isinstance(payload[name], bool):
            return f"field {name!r} must not be a boolean"
    return None


_NUM = (int, float)
_OPT_STR = (str, type(None))
_SHAPES: dict[str, dict[str, tuple[type, ...]]] = {
    types.RUN: {
        "name": _OPT_STR,
        "notes": _OPT_STR,
        "tags": (list, type(None)),
        "group": _OPT_STR,
        "job_type": _OPT_STR,
        "start_time": (*_NUM, type(None)),
        "host": _OPT_STR,
        "resumed": (bool, type(None)),
        "sweep_id": _OPT_STR,
        "kernel_id": _OPT_STR,
    },
    types.CONFIG: {"update": (dict,), "remove": (list,)},
    types.SUMMARY: {"update": (dict,), "remove": (list,)},
    types.METRIC: {
        "name": (str,),
        "step_metric": _OPT_STR,
        "step_sync": (bool, type(None)),
        "hidden": (bool, type(None)),
        "summary": (list, type(None)),
        "goal": _OPT_STR,
    },
    types.FILES: {"files": (list,)},
    types.EXIT: {"exit_code": (int,), "time": _NUM},
    types.ALERT: {"title": (str,), "text": (str,), "level": (str,), "time": _NUM},
    types.CONSOLE: {"stream": (str,), "text": (str,), "time": _NUM},
    types.METADATA: {"program": _OPT_STR},
}
# Fields a record of these kinds cannot do without.
_REQUIRED = {
    types.ALERT: ("title", "text"),  # level defaults to INFO, time to when it arrived
    types.CONSOLE: ("stream", "text", "time"),
}
_STREAMS = ("stdout", "stderr")


def _payload_problem(kind: str, payload: Any) -> str | None:
    if type(payload) is not dict:
        return "payload must be a map"
    problem = _value_problem(payload)
    if problem is not None:
        return problem
    if kind == types.HISTORY:
        step = payload.get("_step")
        if type(step) is not int or not 0 <= step <= _MAX_SEQ:
            return f"_step must be a non-negative integer, got {step!r}"
        return None
    shape = _SHAPES.get(kind)
    if shape is None:
        return None  # preempting and kinds of newer writers fold as they are
    problem = _fields_problem(payload, shape)
    if problem is not None:
        return problem
    missing = [name for name in _REQUIRED.get(kind, ()) if name not in payload]
    if missing:
        return f"a {kind} record needs {', '.join(missing)}"
    if kind == types.CONSOLE and payload["stream"] not in _STREAMS:
        return f"stream must be stdout or stderr, got {payload['stream']!r}"
    if kind == types.METRIC and "name" not in payload:
        return "a metric needs a name"
    if kind == types.EXIT and not -(1 << 31) <= payload.get("exit_code", 1 << 31) < 1 << 31:
        return "an exit record needs exit_code, a 32-bit integer"
    for name in ("remove", "tags", "summary"):
        if name in shape and not all(isinstance(v, str) for v in payload.get(name) or ()):
            return f"field {name!r} must be a list of strings"
    for entry in payload.get("files", ()) if kind == types.FILES else ():
        ok = isinstance(entry, dict) and isinstance(entry.get("path"), str)
        if not ok or not isinstance(entry.get("policy"), str):
            return "each file entry needs a string path and policy"
    return None


def apply_batch(engine: Engine, key: runs.RunKey, records: list[Record], live: bool = True) -> int:
    """Apply a validated batch idempotently in one transaction; returns the acked sequence.
    A ``live`` batch is also a heartbeat; a replayed one (``nbrun sync``) is not."""
    now = time.time()
    heartbeat = now if live else None
    with write_transaction(engine) as conn:
        locked = runs.lock_run(conn, key)
        if locked is None:
            if not records:
                return 0  # a heartbeat for a run that does not exist yet: nothing to keep
            # Create and lock first, then read acked_seq: another server may have created the
            # run meanwhile and applied records we must not apply again. A gap below rolls the
            # creation back.
            locked = runs.create_locked_run(conn, key, heartbeat)
        acked = locked.acked_seq
        # Sequence numbers are consecutive (validated), so what is new is a tail of the batch.
        fresh = records[max(0, acked - records[0][0] + 1) :] if records else records
        if fresh and fresh[0][0] != acked + 1:
            raise SequenceGapError(acked, fresh[0][0])
        if not fresh:
            if heartbeat is not None:
                runs.touch(conn, locked.pk, heartbeat)
            return acked
        state = runs.load_state(locked.state_blob)
        rows: list[dict[str, Any]] = []
        by_kind: dict[str, list[Any]] = {types.ALERT: [], types.CONSOLE: []}
        for kind, group in itertools.groupby(fresh, operator.itemgetter(1)):
            try:
                if kind == types.HISTORY:
                    part = [payload for _seq, _kind, payload in group]
                    state.apply_rows(part)
                    rows += part
                    continue
                for _seq, _kind, payload in group:
                    state.apply(kind, payload)
                    by_kind.get(kind, []).append(payload)
            except (TypeError, ValueError, KeyError, AttributeError) as e:
                raise BadBatchError(f"a {kind} record cannot be applied: {e}") from None
        acked = fresh[-1][0]
        state.last_seq = acked
        history.store_rows(conn, locked.pk, rows)
        alerts.store_alerts(conn, locked.pk, by_kind[types.ALERT], now)
        console.store_console(conn, locked.pk, by_kind[types.CONSOLE])
        runs.save_state(conn, locked, key, state, acked, heartbeat)
    return acked

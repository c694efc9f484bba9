"""Ingest of record batches: decode, validate, then fold and store in one transaction.

A batch that is not a batch (not msgpack, records out of sequence) is refused whole, before the
database is touched. A record that breaks a rule of its own (an unknown kind, a malformed
payload, a limit of :mod:`nbrun.protocol.limits`) is refused by itself: the others are stored,
the acknowledgement moves past it, and the answer says which records were refused and why, so
one poisoned record never blocks the records around it.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
import time
from typing import Any

import msgpack
from sqlalchemy import Engine

from nbrun.protocol.limits import MAX_KEY_CHARS, MAX_KEYS_PER_RECORD, count_keys, value_problem
from nbrun.protocol.shapes import shape_problem
from nbrun.record import types
from nbrun.record.replay import RunState, note_refused
from nbrun.server.db import write_transaction
from nbrun.server.store import alerts, artifacts, console, history, runs
from nbrun.server.store.blobs import BlobStore

Record = tuple[int, str, Any]
# Stands for a refused record in a validated batch: its payload is {"kind", "reason"}.
REFUSED = "\x00refused"
_MAX_SEQ = (1 << 63) - 1
_NUMERIC = frozenset({int, float, bool, type(None)})
_STR = frozenset({str})
_INT = frozenset({int})
_DICT = frozenset({dict})
_PAIRS = frozenset({list, tuple})


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


@dataclasses.dataclass
class Batch:
    """A decoded ``RecordBatch``: validated records and its flags."""

    records: list[Record]
    live: bool = True
    crashed: bool = False


def decode_batch(body: bytes) -> Batch:
    """Parse a msgpack ``RecordBatch`` body (inflated) into validated records and flags."""
    try:
        decoded = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except Exception as e:  # msgpack raises several unrelated types for bad input
        raise BadBatchError(f"body is not a msgpack document: {e}", 400) from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("records"), list):
        raise BadBatchError('body must be a msgpack map {"records": [[seq, kind, payload], ...]}')
    flags = {
        name: decoded.get(name, default) for name, default in (("live", True), ("crashed", False))
    }
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise BadBatchError(f"{name} must be true or false, got {flag!r}")
    items = decoded["records"]
    frames = decoded.get("frames")
    if frames is not None:
        items = _frame_records(frames) + items
    return Batch(validate_records(items), **flags)


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
    """Check shapes and consecutive sequence numbers (else raise for the whole batch), then each
    record's payload: a record with a problem becomes ``(seq, REFUSED, {"kind", "reason"})``."""
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
        problem = _record_problem(kind, payload)
        if problem is None:
            out.append((seq, kind, payload))
        else:
            shown = kind if isinstance(kind, str) else repr(kind)
            out.append((seq, REFUSED, {"kind": shown[:64], "reason": problem}))
    return out


def _record_problem(kind: Any, payload: Any) -> str | None:
    if not isinstance(kind, str) or not kind:
        return "kind must be a non-empty string"
    if kind not in types.KINDS:
        return f"unknown record kind {kind[:64]!r} (known: {', '.join(sorted(types.KINDS))})"
    return _payload_problem(kind, payload)


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
    if not _NUMERIC.issuperset(map(type, values)):
        return None  # strings and nested values are checked record by record
    if rows and (
        max(map(len, rows)) > MAX_KEYS_PER_RECORD
        or max(map(len, itertools.chain.from_iterable(rows)), default=0) > MAX_KEY_CHARS
    ):
        return None
    try:
        steps = list(map(operator.itemgetter("_step"), rows))
    except KeyError:
        return None
    if steps and (not _INT.issuperset(map(type, steps)) or min(steps) < 0 or max(steps) > _MAX_SEQ):
        return None
    if len(rows) != len(items):
        for kind, payload in zip(kinds, payloads, strict=True):
            if kind != types.HISTORY and _record_problem(kind, payload):
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
        and len(payload) <= MAX_KEYS_PER_RECORD
        and _STR.issuperset(map(type, payload))
        and _NUMERIC.issuperset(map(type, payload.values()))
        and max(map(len, payload), default=0) <= MAX_KEY_CHARS
    )


# Where a record's user values are (history rows are user values themselves).
_USER_VALUES = {types.CONFIG: "update", types.SUMMARY: "update", types.EXIT: "summary"}


def _payload_problem(kind: str, payload: Any) -> str | None:
    if type(payload) is not dict:
        return "payload must be a map"
    # The user's values sit one level down in updates and exits: count depth from there, as
    # the SDK does when it converts them.
    values = payload.get(_USER_VALUES[kind]) if kind in _USER_VALUES else payload
    problem = value_problem(payload) if values is payload else None
    if values is not payload and isinstance(values, dict):
        problem = value_problem(values) or value_problem(
            {k: v for k, v in payload.items() if k != _USER_VALUES[kind]}
        )
    if problem is not None:
        return problem
    if count_keys(payload) > MAX_KEYS_PER_RECORD:
        return f"more than {MAX_KEYS_PER_RECORD} keys in one record"
    if kind == types.HISTORY:
        step = payload.get("_step")
        if type(step) is not int or not 0 <= step <= _MAX_SEQ:
            return f"_step must be a non-negative integer, got {step!r}"
        return None
    problem = shape_problem(types.PAYLOADS[kind], payload)
    if problem is not None:
        return f"a {kind} record {problem}" if problem.startswith("needs") else problem
    if kind == types.EXIT and not -(1 << 31) <= payload["exit_code"] < 1 << 31:
        return "an exit record needs exit_code, a 32-bit integer"
    return None


@dataclasses.dataclass
class Applied:
    """What applying a batch did: the acknowledged sequence, and the records refused."""

    acked_seq: int
    refused: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    fresh: int = 0  # records of the batch that were new (applied or refused)


def apply_batch(
    engine: Engine,
    key: runs.RunKey,
    records: list[Record],
    live: bool = True,
    crashed: bool = False,
    blobs: BlobStore | None = None,
) -> Applied:
    """Apply a validated batch idempotently in one transaction. A ``live`` batch is also a
    heartbeat; a replayed one (``nbrun sync``) is not. ``crashed``: the log's writer is gone
    without an exit record, so the run is marked crashed (unless it has exited). ``blobs``:
    where finished distributed artifact versions keep their merged manifests."""
    now = time.time()
    heartbeat = now if live else None
    with write_transaction(engine) as conn:
        locked = runs.lock_run(conn, key)
        if locked is None:
            if not records:
                return Applied(0)  # a heartbeat for a run that does not exist yet
            # Create and lock first, then read acked_seq: another server may have created the
            # run meanwhile and applied records we must not apply again. A gap below rolls the
            # creation back.
            locked = runs.create_locked_run(conn, key, heartbeat)
        acked = locked.acked_seq
        # Sequence numbers are consecutive (validated), so what is new is a tail of the batch.
        fresh = records[max(0, acked - records[0][0] + 1) :] if records else records
        if fresh and fresh[0][0] != acked + 1:
            raise SequenceGapError(acked, fresh[0][0])
        if not fresh and not crashed:
            if heartbeat is not None:
                runs.touch(conn, locked.pk, heartbeat)
            return Applied(acked)
        state = runs.load_state(locked.state_blob)
        rows, by_kind, refused = _fold(state, fresh)
        if fresh:
            acked = fresh[-1][0]
        state.last_seq = acked
        if crashed and state.exit is None:
            state.crashed = True
        logged, used = by_kind[types.ARTIFACT], by_kind[types.USE_ARTIFACT]
        if logged or used:
            refused += artifacts.store_records(conn, locked.pk, key, logged, used, now, blobs)
            refused.sort(key=operator.itemgetter("seq"))
        note_refused(state, refused)
        history.store_rows(conn, locked.pk, rows)
        alerts.store_alerts(conn, locked.pk, by_kind[types.ALERT], now)
        console.store_console(conn, locked.pk, by_kind[types.CONSOLE])
        runs.save_state(conn, locked, key, state, acked, heartbeat)
    return Applied(acked, refused, len(fresh))


_WITH_SEQ = frozenset({types.ARTIFACT, types.USE_ARTIFACT})
_STORED_KINDS = (types.ALERT, types.CONSOLE, *_WITH_SEQ)
_FOLD_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


def _fold(
    state: RunState, fresh: list[Record]
) -> tuple[list[dict[str, Any]], dict[str, list[Any]], list[dict[str, Any]]]:
    """Fold the new records into ``state``: the history rows to store, alerts and console
    lines, artifact and use records (as ``(seq, payload)``: the store may refuse them), and
    the refused records (validation's, and any that the fold itself rejects)."""
    rows: list[dict[str, Any]] = []
    by_kind: dict[str, list[Any]] = {kind: [] for kind in _STORED_KINDS}
    refused: list[dict[str, Any]] = []
    for kind, group in itertools.groupby(fresh, operator.itemgetter(1)):
        members = list(group)
        if kind == REFUSED:
            refused += [{"seq": seq, **why} for seq, _kind, why in members]
            continue
        if kind == types.HISTORY:
            part = [payload for _seq, _kind, payload in members]
            try:
                state.apply_rows(part)
                rows += part
                continue
            except _FOLD_ERRORS:
                pass  # find the row at fault below (rows before it were folded twice at most)
        for seq, _kind, payload in members:
            try:
                state.apply(kind, payload)
            except _FOLD_ERRORS as e:
                refused.append({"seq": seq, "kind": kind, "reason": f"cannot be applied: {e}"})
                continue
            if kind == types.HISTORY:
                rows.append(payload)
            elif kind in _WITH_SEQ:
                by_kind[kind].append((seq, payload))
            else:
                by_kind.get(kind, []).append(payload)
    return rows, by_kind, refused

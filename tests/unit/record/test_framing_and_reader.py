"""The record log's byte format read back: intact frames, torn tails, corruption."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbrun.record.framing import HEADER, CorruptLogError, encode_frame
from nbrun.record.reader import RecordLogReader


def write_log(path: Path, *frames: bytes) -> None:
    path.write_bytes(HEADER + b"".join(frames))


def test_records_come_back_in_order_with_running_sequence_numbers(tmp_path: Path) -> None:
    log = tmp_path / "run.nbrun"
    write_log(
        log,
        encode_frame(1, [("history", {"a": 1}), ("config", {"update": {"lr": 0.1}})]),
        encode_frame(3, [("history", {"a": 2})]),
    )
    reader = RecordLogReader(log)
    assert list(reader) == [
        [1, "history", {"a": 1}],
        [2, "config", {"update": {"lr": 0.1}}],
        [3, "history", {"a": 2}],
    ]
    assert reader.last_seq == 3
    assert reader.valid_end == log.stat().st_size
    assert not reader.torn


def test_a_torn_last_frame_is_ignored_and_reported(tmp_path: Path) -> None:
    log = tmp_path / "run.nbrun"
    good = encode_frame(1, [("history", {"a": 1})])
    torn = encode_frame(2, [("history", {"a": 2})])[:-3]
    write_log(log, good, torn)
    reader = RecordLogReader(log)
    assert [r[2] for r in reader] == [{"a": 1}]
    assert reader.torn
    assert reader.valid_end == len(HEADER) + len(good)


def test_a_corrupted_byte_stops_reading_at_the_last_intact_frame(tmp_path: Path) -> None:
    log = tmp_path / "run.nbrun"
    first = encode_frame(1, [("history", {"a": 1})])
    second = bytearray(encode_frame(2, [("history", {"a": 2})]))
    second[-1] ^= 0xFF
    write_log(log, first, bytes(second), encode_frame(3, [("history", {"a": 3})]))
    reader = RecordLogReader(log)
    assert [r[0] for r in reader] == [1]
    assert reader.torn


def test_a_half_written_frame_header_is_a_torn_tail(tmp_path: Path) -> None:
    log = tmp_path / "run.nbrun"
    write_log(log, encode_frame(1, [("history", {"a": 1})]), b"\x05\x00")
    reader = RecordLogReader(log)
    assert len(list(reader)) == 1
    assert reader.torn


def test_a_file_that_is_not_a_record_log_is_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello, this is not a record log")
    with pytest.raises(CorruptLogError, match=r"notes\.txt"):
        list(RecordLogReader(other))


def test_a_log_from_a_newer_format_asks_for_an_upgrade(tmp_path: Path) -> None:
    log = tmp_path / "run.nbrun"
    log.write_bytes(HEADER[:8] + bytes([99]) + HEADER[9:])
    with pytest.raises(CorruptLogError, match="upgrade nbrun"):
        list(RecordLogReader(log))

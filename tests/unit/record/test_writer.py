"""The background record writer: ordering, flush/fsync, resume after a torn tail, disk errors."""

from __future__ import annotations

import threading
from pathlib import Path

from nbrun.record.reader import RecordLogReader
from nbrun.record.writer import MAX_RECORDS_PER_FRAME, RecordWriter


def test_appended_records_are_written_in_order_with_sequence_numbers(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "run.nbrun")
    for i in range(MAX_RECORDS_PER_FRAME * 2 + 5):
        writer.append("history", {"i": i})
    writer.close()
    records = list(RecordLogReader(tmp_path / "run.nbrun"))
    assert [r[0] for r in records] == list(range(1, MAX_RECORDS_PER_FRAME * 2 + 6))
    assert [r[2]["i"] for r in records] == list(range(MAX_RECORDS_PER_FRAME * 2 + 5))


def test_flush_returns_once_everything_appended_is_readable(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "run.nbrun", flush_interval=60.0)
    writer.append("history", {"i": 1})
    assert writer.flush(fsync=True, timeout=5.0)
    assert [r[2] for r in RecordLogReader(tmp_path / "run.nbrun")] == [{"i": 1}]
    assert writer.pending == 0
    writer.close()


def test_records_reach_the_file_within_the_flush_interval(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "run.nbrun", flush_interval=0.02)
    writer.append("history", {"i": 1})
    written = threading.Event()
    for _ in range(100):
        if list(RecordLogReader(tmp_path / "run.nbrun")):
            written.set()
            break
        threading.Event().wait(0.01)
    writer.close()
    assert written.is_set()


def test_records_appended_from_many_threads_are_all_written_once(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "run.nbrun")

    def produce(worker: int) -> None:
        for i in range(2000):
            writer.append("history", {"w": worker, "i": i})

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    payloads = [r[2] for r in RecordLogReader(tmp_path / "run.nbrun")]
    assert len(payloads) == 8000
    for worker in range(4):
        assert [p["i"] for p in payloads if p["w"] == worker] == list(range(2000))


def test_resuming_truncates_a_torn_tail_and_continues_the_sequence(tmp_path: Path) -> None:
    log = tmp_path / "run.nbrun"
    writer = RecordWriter(log)
    writer.append("history", {"i": 1})
    writer.close()
    intact = log.stat().st_size
    with open(log, "ab") as f:
        f.write(b"\x10\x00\x00\x00garbage")
    reader = RecordLogReader(log)
    list(reader)
    assert reader.torn and reader.valid_end == intact
    resumed = RecordWriter(log, next_seq=reader.last_seq + 1, resume_offset=reader.valid_end)
    resumed.append("history", {"i": 2})
    resumed.close()
    again = RecordLogReader(log)
    assert [(r[0], r[2]["i"]) for r in again] == [(1, 1), (2, 2)]
    assert not again.torn


def test_a_producer_faster_than_the_disk_cannot_grow_the_queue_without_bound(
    tmp_path: Path,
) -> None:
    from nbrun.record.writer import MAX_PENDING

    writer = RecordWriter(tmp_path / "run.nbrun")
    deepest = 0
    for i in range(MAX_PENDING * 10):
        writer.append("history", {"i": i, "pad": "x" * 64})
        deepest = max(deepest, writer.pending)
    writer.close()
    assert deepest <= MAX_PENDING + 1
    assert sum(1 for _ in RecordLogReader(tmp_path / "run.nbrun")) == MAX_PENDING * 10

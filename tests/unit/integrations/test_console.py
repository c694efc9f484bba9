import io
import os
import pathlib
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

from nbrun.integrations.console import ConsoleCapture


@pytest.fixture
def log_path(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "files" / "output.log"


@pytest.fixture
def capture(log_path: pathlib.Path) -> Iterator[ConsoleCapture]:
    console = ConsoleCapture(log_path)
    yield console
    console.stop()  # a failing test must not leave pytest's streams hooked


def _fake_stdout(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    # Called from test bodies: pytest puts its own sys.stdout back after fixture setup.
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


def test_output_reaches_terminal_and_file(
    capture: ConsoleCapture, log_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture.start()
    print("hello")
    print("oops", file=sys.stderr)
    sys.stdout.writelines(["a\n", "b\n"])
    capture.stop()

    out, err = capsys.readouterr()
    assert out == "hello\na\nb\n"
    assert err == "oops\n"
    assert log_path.read_text() == "hello\noops\na\nb\n"


def test_stop_restores_the_original_stream_and_write_method(
    capture: ConsoleCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_stdout = _fake_stdout(monkeypatch)
    original_write = fake_stdout.write

    capture.start()
    assert sys.stdout is fake_stdout  # wrapped in place, not replaced
    assert "write" in vars(fake_stdout)
    capture.stop()

    assert sys.stdout is fake_stdout
    assert "write" not in vars(fake_stdout)
    assert "writelines" not in vars(fake_stdout)
    assert fake_stdout.write == original_write


def test_stop_puts_back_a_write_wrapper_installed_before_start(
    capture: ConsoleCapture, monkeypatch: pytest.MonkeyPatch, log_path: pathlib.Path
) -> None:
    fake_stdout = _fake_stdout(monkeypatch)
    seen: list[str] = []
    plain_write = fake_stdout.write

    def other_tool_write(text: str) -> int:
        seen.append(text)
        return plain_write(text)

    fake_stdout.write = other_tool_write  # type: ignore[method-assign]
    capture.start()
    print("through both")
    capture.stop()

    assert vars(fake_stdout)["write"] is other_tool_write
    assert "".join(seen) == "through both\n"
    assert log_path.read_text() == "through both\n"


def test_stream_that_refuses_attributes_is_proxied_and_restored(
    capture: ConsoleCapture, monkeypatch: pytest.MonkeyPatch, log_path: pathlib.Path
) -> None:
    class SlottedStream:
        __slots__ = ("parts",)
        encoding = "utf-8"

        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, text: str) -> int:
            self.parts.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    stream = SlottedStream()
    monkeypatch.setattr(sys, "stdout", stream)

    capture.start()
    assert sys.stdout is not stream
    assert sys.stdout.encoding == "utf-8"  # everything but write is forwarded
    print("via proxy")
    capture.stop()

    assert sys.stdout is stream
    assert "".join(stream.parts) == "via proxy\n"
    assert log_path.read_text() == "via proxy\n"


def test_starting_twice_hooks_once_and_stopping_twice_is_harmless(
    capture: ConsoleCapture, monkeypatch: pytest.MonkeyPatch, log_path: pathlib.Path
) -> None:
    fake_stdout = _fake_stdout(monkeypatch)
    capture.start()
    capture.start()
    print("once")
    capture.stop()
    capture.stop()

    assert fake_stdout.getvalue() == "once\n"
    assert log_path.read_text() == "once\n"
    assert "write" not in vars(fake_stdout)


@pytest.mark.parametrize("outer_stops_first", [False, True])
def test_nested_captures_each_get_their_share_and_unwind_in_any_order(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, outer_stops_first: bool
) -> None:
    fake_stdout = _fake_stdout(monkeypatch)
    outer = ConsoleCapture(tmp_path / "outer.log")
    inner = ConsoleCapture(tmp_path / "inner.log")
    try:
        outer.start()
        print("one")
        inner.start()
        print("two")
        first, second = (outer, inner) if outer_stops_first else (inner, outer)
        first.stop()
        print("three")
        second.stop()
        print("four")
    finally:
        inner.stop()
        outer.stop()

    assert fake_stdout.getvalue() == "one\ntwo\nthree\nfour\n"
    if outer_stops_first:
        assert (tmp_path / "outer.log").read_text() == "one\ntwo\n"
        assert (tmp_path / "inner.log").read_text() == "two\nthree\n"
    else:
        assert (tmp_path / "outer.log").read_text() == "one\ntwo\nthree\n"
        assert (tmp_path / "inner.log").read_text() == "two\n"
    assert sys.stdout is fake_stdout
    assert "write" not in vars(fake_stdout)


def test_print_survives_a_log_file_closed_behind_its_back(
    capture: ConsoleCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_stdout = _fake_stdout(monkeypatch)
    capture.start()
    print("before")
    capture._log._file.close()  # type: ignore[union-attr]  # what a stray os.close would do
    print("after")
    time.sleep(0.3)  # the flush thread hits the closed file
    print("still here")
    capture.stop()

    assert fake_stdout.getvalue() == "before\nafter\nstill here\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_print_survives_a_full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_stdout = _fake_stdout(monkeypatch)
    capture = ConsoleCapture(pathlib.Path("/dev/full"))  # every write fails with ENOSPC
    capture.start()
    try:
        print("first")
        time.sleep(0.3)
        print("second")
    finally:
        capture.stop()

    assert fake_stdout.getvalue() == "first\nsecond\n"


def test_lines_printed_from_four_threads_stay_whole(
    capture: ConsoleCapture,
    monkeypatch: pytest.MonkeyPatch,
    log_path: pathlib.Path,
) -> None:
    # Switch threads as often as possible, to split print()'s text and "\n" writes.
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(200):
            print(f"thread {n} line {i:03d} " + "x" * 40)

    capture.start()
    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old_interval)
    capture.stop()

    expected = {f"thread {n} line {i:03d} " + "x" * 40 for n in range(4) for i in range(200)}
    lines = log_path.read_text().splitlines()
    assert len(lines) == 800
    assert set(lines) == expected


def test_carriage_return_redraws_collapse_to_what_stays_on_screen(
    capture: ConsoleCapture, log_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_stdout = _fake_stdout(monkeypatch)
    capture.start()
    for percent in (10, 50, 100):
        sys.stdout.write(f"\rtraining {percent:3d}%")
    sys.stdout.write("\n")
    sys.stdout.write("windows line\r\n")
    capture.stop()

    assert fake_stdout.getvalue().startswith("\rtraining  10%\rtraining  50%")
    assert log_path.read_text() == "training 100%\nwindows line\n"


def test_unfinished_last_line_is_written_on_stop(
    capture: ConsoleCapture, log_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture.start()
    print("done", end="")
    capture.stop()

    assert log_path.read_text() == "done\n"


def test_output_is_flushed_without_stop_within_a_fraction_of_a_second(
    capture: ConsoleCapture, log_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture.start()
    print("live")
    deadline = time.monotonic() + 2
    while log_path.read_text() != "live\n" and time.monotonic() < deadline:
        time.sleep(0.02)

    assert log_path.read_text() == "live\n"


def test_a_child_process_that_exits_normally_keeps_its_output(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "files" / "output.log"
    script = textwrap.dedent(
        """
        import pathlib, sys
        from nbrun.integrations.console import ConsoleCapture

        ConsoleCapture(pathlib.Path(sys.argv[1])).start()
        print("from the child")
        print("a warning", file=sys.stderr)
        """
    )

    done = subprocess.run(
        [sys.executable, "-c", script, str(log_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    assert done.stdout == "from the child\n"
    assert done.stderr == "a warning\n"
    assert log_path.read_text() == "from the child\na warning\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")  # multi-threaded fork, 3.12+
def test_a_forked_child_adds_its_lines_without_repeating_the_parents(
    capture: ConsoleCapture, log_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture.start()
    print("parent before fork")  # still buffered when the child is forked
    pid = os.fork()
    if pid == 0:
        try:
            print("child")
        finally:
            os._exit(0)  # as multiprocessing children do: no atexit, no stop()
    os.waitpid(pid, 0)
    print("parent after fork")
    capture.stop()

    lines = log_path.read_text().splitlines()
    assert sorted(lines) == ["child", "parent after fork", "parent before fork"]


def test_flushed_lines_reach_the_callback_with_their_stream_in_order(
    log_path: pathlib.Path,
) -> None:
    handed: list[tuple[str, str]] = []
    console = ConsoleCapture(log_path, lambda stream, text: handed.append((stream, text)))
    console.start()
    try:
        print("one")
        print("two", file=sys.stderr)
        print("three", end="")  # unfinished: handed over by stop()
    finally:
        console.stop()
    lines = [(s, line) for s, text in handed for line in text.splitlines()]
    assert lines == [("stdout", "one"), ("stderr", "two"), ("stdout", "three")]
    assert all(text.endswith("\n") for _, text in handed)


def test_a_failing_callback_leaves_the_output_and_the_file_alone(
    log_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(stream: str, text: str) -> None:
        raise RuntimeError("sink is gone")

    console = ConsoleCapture(log_path, broken)
    console.start()
    try:
        print("still here")
    finally:
        console.stop()
    print("after")
    assert "still here" in capsys.readouterr().out
    assert log_path.read_text() == "still here\n"

"""Copy a run's stdout and stderr into ``files/output.log`` while the user still sees them,
and hand each flushed batch of lines to a callback (the run records them in its record log).

Only Python-level writes are seen (``print``, ``sys.stdout.write``, logging handlers, tracebacks):
output that C extensions or child processes write straight to file descriptors 1 and 2 is not.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pathlib
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

_STREAMS = ("stdout", "stderr")
_FLUSH_INTERVAL = 0.1  # seconds; a burst of prints costs one write() call
_MAX_BUFFERED = 1 << 20  # characters; past this a print flushes inline, bounding memory
_MAX_PARTIAL = 1 << 16  # characters; a longer line with no "\n" yet is written in pieces
_JOIN_TIMEOUT = 2.0  # seconds stop() waits for the flush thread

# Guards hooking and unhooking; reset in a forked child, where another thread may have held it.
_hook_lock = threading.RLock()
_active: list[ConsoleCapture] = []
_live_logs: weakref.WeakSet[_LogFile] = weakref.WeakSet()

# Called with (stream name, whole lines) after they are written to the file.
LinesCallback = Callable[[str, str], None]


class ConsoleCapture:
    """Tees everything written to sys.stdout and sys.stderr into a file while active."""

    def __init__(self, path: pathlib.Path, on_lines: LinesCallback | None = None) -> None:
        """``on_lines(stream, text)`` gets the lines of each flush ("stdout" or "stderr"; text
        ends in a line break), on the flush thread; it must be quick and must not print."""
        self.path = pathlib.Path(path)
        self._on_lines = on_lines
        self._log: _LogFile | None = None
        self._tees: list[_Tee] = []

    @property
    def active(self) -> bool:
        return self._log is not None

    def start(self) -> None:
        """Open the file for appending and hook the current streams; a no-op when active.

        Raises OSError if the file cannot be opened, in which case nothing is hooked.
        """
        with _hook_lock:
            if self._log is not None:
                return
            log = _LogFile(self.path, self._on_lines)
            tees: list[_Tee] = []
            try:
                for name in _STREAMS:
                    stream = getattr(sys, name, None)
                    if stream is None or not callable(getattr(stream, "write", None)):
                        continue
                    tee = _tee_for(stream, name)
                    if tee not in tees:  # sys.stdout and sys.stderr may be one object
                        tee.attach(log)
                        tees.append(tee)
            except BaseException:
                for tee in tees:
                    tee.detach(log)
                log.close()
                raise
            self._log, self._tees = log, tees
            _active.append(self)

    def stop(self) -> None:
        """Unhook the streams, flush and close the file; a no-op when not active. Never raises."""
        with _hook_lock:
            log = self._log
            if log is None:
                return
            self._log = None
            for tee in self._tees:
                tee.detach(log)
            self._tees = []
            if self in _active:
                _active.remove(self)
        log.close()


def _tee_for(stream: Any, name: str) -> _Tee:
    """The tee on top of ``stream`` if there is one (a capture is already active), else a new one.

    Sharing the top tee is what keeps nested captures from double-wrapping: each capture only
    attaches its log, so captures can stop in any order and the last one out unhooks.
    """
    if isinstance(stream, _StreamProxy):
        return stream._nbrun_tee
    attrs = getattr(stream, "__dict__", None)
    top = attrs.get("write") if isinstance(attrs, dict) else None
    owner = getattr(top, "__self__", None)
    if isinstance(owner, _Tee) and owner.stream is stream:
        return owner
    # Our hook is not on top (never installed, or someone wrapped over it): hook afresh. An older
    # tee further down the chain only passes through, so no log sees a write twice.
    tee = _Tee(stream, name)
    tee.install()
    return tee


class _Tee:
    """The hook on one stream object: passes each write through, then copies it to the logs."""

    def __init__(self, stream: Any, name: str) -> None:
        self.stream = stream
        self.name = name
        self.logs: tuple[_LogFile, ...] = ()  # replaced, never mutated: writers read it lock-free
        self._orig_write = stream.write
        self._orig_writelines = getattr(stream, "writelines", None)
        # One bound-method object each, so "is our hook still installed?" is an identity check.
        self._write_hook = self._write
        self._writelines_hook = self._writelines
        self._local = threading.local()
        self._saved: dict[str, Any] = {}
        self._proxy: _StreamProxy | None = None

    def install(self) -> None:
        # Wrapping the stream object's own write (not replacing sys.stdout) keeps identity
        # checks true (pytest's capture, ipykernel compare `sys.stdout is ...`) and also catches
        # writes from code holding the object, like a logging.StreamHandler made before start.
        # A stream that takes no instance attributes (__slots__, some C types) gets a proxy
        # assigned to sys.<name> instead: second best, as holders of the object bypass it.
        if not self._patch():
            self._proxy = _StreamProxy(self.stream, self)
            setattr(sys, self.name, self._proxy)

    def attach(self, log: _LogFile) -> None:
        self.logs = (*self.logs, log)

    def detach(self, log: _LogFile) -> None:
        self.logs = tuple(x for x in self.logs if x is not log)
        if not self.logs:
            # An unrestorable stream keeps a pass-through hook; stop() must not fail.
            with contextlib.suppress(Exception):
                self._uninstall()

    def _hooks(self) -> dict[str, Any]:
        hooks: dict[str, Any] = {"write": self._write_hook}
        if self._orig_writelines is not None:
            hooks["writelines"] = self._writelines_hook
        return hooks

    def _patch(self) -> bool:
        attrs = getattr(self.stream, "__dict__", None)
        if not isinstance(attrs, dict):
            return False
        hooks = self._hooks()
        self._saved = {key: attrs[key] for key in hooks if key in attrs}
        try:
            for key, hook in hooks.items():
                setattr(self.stream, key, hook)
            # A property or __setattr__ may accept the assignment without storing it.
            if all(attrs.get(key) is hook for key, hook in hooks.items()):
                return True
        except Exception:
            pass
        self._unpatch()
        return False

    def _unpatch(self) -> None:
        attrs = self.stream.__dict__
        for key, hook in self._hooks().items():
            # Only take back what is still ours: a wrapper installed over ours calls into us
            # and stays valid, because an unattached tee just passes writes through.
            if attrs.get(key) is hook:
                if key in self._saved:
                    attrs[key] = self._saved[key]
                else:
                    del attrs[key]

    def _uninstall(self) -> None:
        if self._proxy is None:
            self._unpatch()
        elif getattr(sys, self.name, None) is self._proxy:
            setattr(sys, self.name, self.stream)

    def _write(self, text: Any) -> Any:
        local = self._local
        if getattr(local, "busy", False):
            # Re-entered from the stream's own writelines (or a signal handler mid-write):
            # the outer call copies the text, so this one must not.
            return self._orig_write(text)
        local.busy = True
        try:
            result = self._orig_write(text)
        finally:
            local.busy = False
        # After the real write: the log gets only what the user actually saw.
        if isinstance(text, str):
            for log in self.logs:
                log.feed(self.name, text)
        return result

    def _writelines(self, lines: Iterable[Any]) -> Any:
        assert self._orig_writelines is not None
        local = self._local
        if getattr(local, "busy", False):
            return self._orig_writelines(lines)
        lines = list(lines)  # we read them twice; a generator would be empty the second time
        local.busy = True
        try:
            result = self._orig_writelines(lines)
        finally:
            local.busy = False
        text = "".join(line for line in lines if isinstance(line, str))
        for log in self.logs:
            log.feed(self.name, text)
        return result


class _StreamProxy:
    """Stands in for a stream whose write cannot be replaced; forwards everything else."""

    def __init__(self, stream: Any, tee: _Tee) -> None:
        self._nbrun_stream = stream
        self._nbrun_tee = tee

    def write(self, text: Any) -> Any:
        return self._nbrun_tee._write(text)

    def writelines(self, lines: Iterable[Any]) -> Any:
        if self._nbrun_tee._orig_writelines is None:
            return self._nbrun_stream.writelines(lines)  # raises as the stream would
        return self._nbrun_tee._writelines(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._nbrun_stream, name)


class _LogFile:
    """One capture's file: assembles lines per thread, buffers them, never raises into callers."""

    def __init__(self, path: pathlib.Path, on_lines: LinesCallback | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._on_lines = on_lines
        # Unbuffered: we buffer ourselves, so no io-module lock can be left held by a fork, and
        # O_APPEND keeps the lines of a forked child (a DataLoader worker, say) whole.
        self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
        self._lock = threading.RLock()  # RLock: a signal handler may print while we hold it
        self._io_lock = threading.RLock()  # serialises file writes so batches stay in order
        # Text after the last "\n", per (stream, thread): print() writes the text and the "\n"
        # in two calls, so one buffer per thread is what keeps lines from threads intact.
        self._pending: dict[tuple[str, int], str] = {}
        # Complete lines waiting for the flush thread, with the stream they came from.
        self._chunks: list[tuple[str, str]] = []
        self._buffered = 0
        self._dead = False
        self._inline = False
        self._dirty = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name="nbrun-console-flush", daemon=True
        )
        try:
            self._thread.start()
        except BaseException:
            self._file.close()
            raise
        _live_logs.add(self)

    def feed(self, stream: str, text: str) -> None:
        if self._dead or not text:
            return
        try:
            key = (stream, threading.get_ident())
            with self._lock:
                line = self._pending.pop(key, "") + text
                end = line.rfind("\n") + 1
                if end:
                    done = line[:end]
                    self._chunks.append((stream, _collapse_lines(done) if "\r" in done else done))
                    self._buffered += end
                    line = line[end:]
                if "\r" in line:
                    line = _collapse_partial(line)
                if len(line) > _MAX_PARTIAL:
                    self._chunks.append((stream, line))
                    self._buffered += len(line)
                    line = ""
                if line:
                    self._pending[key] = line
                ready = bool(self._chunks)
                now = ready and (self._inline or self._buffered > _MAX_BUFFERED)
            if now:
                self._flush()
            elif ready and not self._dirty.is_set():
                self._dirty.set()
        except Exception:
            self._fail()

    def close(self) -> None:
        try:
            self._closing.set()
            self._dirty.set()
            thread = self._thread
            if thread is not None and thread is not threading.current_thread():
                thread.join(_JOIN_TIMEOUT)
            with self._lock:
                for (stream, _thread), rest in self._pending.items():
                    last = _last_segment(rest)
                    if last:
                        self._chunks.append((stream, last + "\n"))
                self._pending.clear()
            self._flush()
        except Exception:
            pass
        finally:
            self._dead = True  # writes racing with stop() are dropped, not written to a closed fd
            with contextlib.suppress(Exception):
                self._file.close()
            _live_logs.discard(self)

    def reset_after_fork(self) -> None:
        """In a forked child: fresh locks, no flush thread, and none of the parent's buffer."""
        self._lock = threading.RLock()
        self._io_lock = threading.RLock()
        # The parent writes what it had buffered; copying it here would duplicate it.
        self._on_lines = None  # the record log is the parent's: its writer thread is not here
        self._pending.clear()
        self._chunks.clear()
        self._buffered = 0
        # No flush thread survives fork, and a child often leaves by os._exit (no atexit).
        self._inline = True
        self._thread = None
        self._dirty = threading.Event()
        self._closing = threading.Event()

    def _run(self) -> None:
        while not self._closing.is_set():
            self._dirty.wait()
            self._closing.wait(_FLUSH_INTERVAL)
            # Cleared before the flush takes the chunks, so a line added after that re-arms it.
            self._dirty.clear()
            self._flush()

    def _flush(self) -> None:
        with self._io_lock:
            with self._lock:
                if not self._chunks:
                    return
                chunks = self._chunks
                self._chunks = []
                self._buffered = 0
            if self._dead:
                return
            data = "".join(text for _stream, text in chunks)
            try:
                # backslashreplace: lone surrogates must not kill the log.
                view = memoryview(data.encode("utf-8", "backslashreplace"))
                while view:
                    written = self._file.write(view)
                    if not written:
                        raise OSError("log file accepted no bytes")
                    view = view[written:]
            except Exception:
                self._fail()
                return
            if self._on_lines is not None:
                self._hand_over(chunks)

    def _hand_over(self, chunks: list[tuple[str, str]]) -> None:
        on_lines = self._on_lines
        assert on_lines is not None
        try:
            # One call per run of chunks from the same stream, so the lines keep their order.
            start = 0
            for index in range(1, len(chunks) + 1):
                if index == len(chunks) or chunks[index][0] != chunks[start][0]:
                    text = "".join(text for _stream, text in chunks[start:index])
                    on_lines(chunks[start][0], text)
                    start = index
        except Exception:
            self._on_lines = None  # a broken callback must not break the user's output

    def _fail(self) -> None:
        # Disk full, file closed behind our back...: stop logging, keep the user's output going.
        self._dead = True
        self._chunks.clear()
        self._pending.clear()


def _last_segment(line: str) -> str:
    """What a progress bar leaves on screen: the last non-empty text after a carriage return."""
    if "\r" not in line:
        return line
    for segment in reversed(line.split("\r")):
        if segment:
            return segment
    return ""


def _collapse_lines(text: str) -> str:
    return "\n".join(_last_segment(line) for line in text.split("\n"))


def _collapse_partial(line: str) -> str:
    # A trailing "\r" is kept: the next write decides whether it was "\r\n" or a redraw.
    last = _last_segment(line)
    return last + "\r" if line.endswith("\r") else last


def _stop_all() -> None:
    for capture in reversed(_active[:]):
        capture.stop()


def _after_fork_in_child() -> None:
    global _hook_lock
    _hook_lock = threading.RLock()
    for log in list(_live_logs):
        log.reset_after_fork()


# At exit the streams are restored and the tail of the output flushed even without stop().
# Registered at import, so a Run.finish registered later runs first and its output is kept.
atexit.register(_stop_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

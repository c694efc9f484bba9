"""The process's active run, and the module-level API (``nbrun.log`` ...) that follows it."""

from __future__ import annotations

import atexit
import sys
import threading
import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any

from nbrun.errors import Error

if TYPE_CHECKING:
    from nbrun.sdk.run import Run

_lock = threading.RLock()
_active: Run | None = None
_open_runs: list[Run] = []
_last_started: Run | None = None  # open or finished: what %nbrun shows after a finished cell
_started: list[weakref.ref[Run]] = []  # finished runs stay findable while the user holds them
_hooks_installed = False
_uncaught_exception = False


def active_run() -> Run | None:
    """The run that ``nbrun.log`` and friends act on, or None."""
    return _active


def last_started_run() -> Run | None:
    """The run most recently started in this process, open or finished."""
    return _last_started


def started_runs() -> list[Run]:
    """The runs started in this process that still exist (open, or finished and referenced),
    oldest first."""
    return [run for run in (ref() for ref in _started) if run is not None]


def register(run: Run, make_active: bool) -> None:
    """Track a newly started run (finished at interpreter exit if the user does not) until it
    finishes."""
    global _active, _last_started
    run._call_at_finish(lambda: unregister(run))
    with _lock:
        _install_exit_hooks()
        _open_runs.append(run)
        _last_started = run
        _started[:] = [ref for ref in _started if ref() is not None]
        _started.append(weakref.ref(run))
        if make_active:
            _active = run


def unregister(run: Run) -> None:
    """Forget a finished run; ``nbrun.run`` becomes None if it was the active one."""
    global _active
    with _lock:
        if run in _open_runs:
            _open_runs.remove(run)
        if _active is run:
            _active = None


def require_run(caller: str) -> Run:
    """The active run, or ``nbrun.Error`` telling the user to call ``nbrun.init()`` first."""
    run = _active
    if run is None:
        raise Error(f"You must call nbrun.init() before nbrun.{caller}")
    return run


def _install_exit_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous_hook = sys.excepthook

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        global _uncaught_exception
        _uncaught_exception = True
        previous_hook(kind, value, tb)

    sys.excepthook = excepthook
    atexit.register(_finish_open_runs)


def _finish_open_runs() -> None:
    exit_code = 1 if _uncaught_exception else 0
    for run in list(_open_runs):
        try:
            run.finish(exit_code=exit_code, quiet=True)
        except Exception as exc:  # interpreter exit: report, never raise
            print(f"nbrun: could not finish run {run.id}: {exc}", file=sys.stderr)


class PreInitObject:
    """``nbrun.config``/``nbrun.summary`` before ``init``: any use raises ``nbrun.Error``."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _fail(self, *_: Any) -> Any:
        raise Error(f"You must call nbrun.init() before using nbrun.{self._name}")

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return self._fail()

    __setattr__ = __getitem__ = __setitem__ = __delitem__ = __iter__ = __len__ = _fail

    def __repr__(self) -> str:
        return f"<nbrun.{self._name}: call nbrun.init() first>"

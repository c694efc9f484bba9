"""Process measuring for the benchmarks: CPU and memory of this process, of other processes and
of whole process trees, bytes on disk, timings (median and p95, a server's own time for a
request, batches sent within a time budget) and the client/server window of the backend
benchmarks.

Only the standard library is imported at module level (psutil inside the functions), so that a
worker that imports this before a tracker still measures the tracker's import time alone."""

from __future__ import annotations

import contextlib
import math
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def self_cpu_s() -> float:
    """User+system CPU seconds of this process, all its threads, and its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def vm_hwm_bytes(pid: int) -> int:
    """Peak RSS (VmHWM) of one process, from /proc; 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_processes(pid: int, *, root: bool = True) -> list[Any]:
    """The process ``pid`` (unless ``root=False``) and all its descendants (psutil objects;
    gone ones left out)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)] if root else parent.children(True)
    except psutil.Error:
        return []


def processes_cpu_s(processes: list[Any]) -> float:
    """User+system CPU seconds of ``processes`` and of the children each has reaped."""
    import psutil

    total = 0.0
    for proc in processes:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue  # exited between listing and reading
        total += t.user + t.system + t.children_user + t.children_system
    return total


def tree_cpu_s(pid: int) -> float:
    """User+system CPU seconds of ``pid`` and its descendants (and their reaped children)."""
    return processes_cpu_s(tree_processes(pid))


def processes_memory(processes: list[Any]) -> tuple[int, int, int]:
    """(current RSS summed over ``processes``, sum of each one's peak RSS, how many were read)."""
    import psutil

    rss = peak = count = 0
    for proc in processes:
        try:
            now = proc.memory_info().rss
        except psutil.Error:
            continue  # exited between listing and reading
        rss += now
        peak += vm_hwm_bytes(proc.pid) or now
        count += 1
    return rss, peak, count


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(current RSS summed over the tree, sum of each process's peak RSS, process count)."""
    return processes_memory(tree_processes(pid))


def server_memory(pid: int) -> dict[str, Any]:
    """A server's memory figures: RSS and peak RSS (MB) summed over its process tree, and how
    many processes it has."""
    rss, peak, count = tree_memory(pid)
    return {
        "server_rss_mb": rss / 2**20,
        "server_peak_rss_mb": peak / 2**20,
        "server_processes": count,
    }


def timed_ms(call: Callable[[], T]) -> tuple[float, T]:
    """Wall-clock milliseconds of ``call()``, and what it returned."""
    t = time.perf_counter()
    result = call()
    return (time.perf_counter() - t) * 1e3, result


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def spread(prefix: str, samples: list[float]) -> dict[str, float]:
    """``<prefix>_median`` and ``<prefix>_p95`` of ``samples``."""
    return {f"{prefix}_median": statistics.median(samples), f"{prefix}_p95": p95(samples)}


def server_timing_ms(response: Any) -> float:
    """The server's own time for a request, from its ``Server-Timing: app;dur=...`` header."""
    timing = response.headers.get("Server-Timing", "")
    return float(timing.split("dur=")[1].split(",")[0]) if "dur=" in timing else math.nan


def within_budget(
    total: int, step: int, probe: int, budget_s: float, send: Callable[[int, int], object]
) -> int:
    """``send(start, end)`` for consecutive slices of ``range(total)``, ``step`` long; after the
    slice that ends at ``probe``, stops if sending all would take over ``budget_s`` at the rate
    so far. Returns how many were sent."""
    t0 = time.perf_counter()
    done = 0
    while done < total:
        end = min(total, done + step)
        send(done, end)
        done = end
        if done == probe < total and (time.perf_counter() - t0) * total / done > budget_s:
            break
    return done


def own_tree_cpu_s() -> float:
    """User+system CPU seconds of this process, all its threads, and all its helper processes.

    Correctness argument: every descendant process is, at the moment of sampling, either
    (a) still running (or a zombie not yet waited for) -- then it is in psutil's recursive
    ``children()`` list and its own ``/proc/<pid>/stat`` times are added, together with the
    times of *its* already-reaped children (``children_user``/``children_system``); or
    (b) exited and reaped by us -- then the kernel has folded its times (and those of the
    descendants it reaped) into our ``RUSAGE_CHILDREN``.  A process cannot be in both sets, so
    nothing is counted twice.  The only loss is a descendant that daemonised (re-parented to
    init) and exited before the sample; none of the trackers here does that (wandb-core stays
    our child until interpreter exit).  Our own times come from ``getrusage(RUSAGE_SELF)``,
    which covers all threads at microsecond resolution; /proc times of helpers have clock-tick
    (10 ms) resolution, which is small against what those helpers spend.
    """
    return self_cpu_s() + processes_cpu_s(tree_processes(os.getpid(), root=False))


def own_tree_rss() -> tuple[int, int, int]:
    """(RSS of this process, RSS of its helper processes, sum of every process's peak RSS)."""
    import psutil

    me = psutil.Process()
    own = me.memory_info().rss
    helpers, helpers_peak, _ = processes_memory(me.children(recursive=True))
    return own, helpers, (vm_hwm_bytes(me.pid) or own) + helpers_peak


def dir_bytes(root: Path, skip: str) -> int:
    """Bytes of the files below ``root``, leaving out its subfolder ``skip``."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root and skip in dirnames:
            dirnames.remove(skip)
        for name in filenames:
            with contextlib.suppress(OSError):  # vanished while walking
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


@dataclass
class Window:
    """CPU and wall clock of this client process and of a server's process tree from the first
    log call to finish; ``db_cpu`` (CPU seconds by process id of the database's own processes,
    e.g. PostgreSQL backends) is read at both ends too, when given."""

    server_pid: int
    db_cpu: Callable[[], dict[int, float]] | None = None
    t0: float = 0.0
    t_last_log: float = 0.0
    t_end: float = 0.0
    cpu0: float = 0.0
    cpu1: float = 0.0
    server_cpu0: float = 0.0
    server_cpu1: float = 0.0
    db_cpu0: dict[int, float] = field(default_factory=dict)
    db_cpu1: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        if self.db_cpu:
            self.db_cpu0 = self.db_cpu()
        self.server_cpu0 = tree_cpu_s(self.server_pid)
        self.cpu0 = self_cpu_s()
        self.t0 = time.perf_counter()

    def logged(self) -> None:
        self.t_last_log = time.perf_counter()

    def end(self) -> None:
        self.t_end = time.perf_counter()
        self.cpu1 = self_cpu_s()
        self.server_cpu1 = tree_cpu_s(self.server_pid)
        if self.db_cpu:
            self.db_cpu1 = self.db_cpu()

    def figures(self, rows: int) -> dict[str, Any]:
        memory = server_memory(self.server_pid)
        db_cpu = None
        if self.db_cpu:
            # Processes that ended inside the window are lost (nbrun's server keeps its pool's
            # connections, so there are none in practice).
            spent = sum(t - self.db_cpu0.get(pid, 0.0) for pid, t in self.db_cpu1.items())
            db_cpu = spent / rows * 1e6
        return {
            "db_cpu_us_per_row": db_cpu,
            "rows": rows,
            "rows_per_s": rows / (self.t_end - self.t0),
            "log_loop_s": self.t_last_log - self.t0,
            "finish_ms": (self.t_end - self.t_last_log) * 1e3,
            "total_s": self.t_end - self.t0,
            "client_cpu_us_per_row": (self.cpu1 - self.cpu0) / rows * 1e6,
            "server_cpu_us_per_row": (self.server_cpu1 - self.server_cpu0) / rows * 1e6,
            **memory,
        }

"""What the benchmark scripts share: CPU and memory of processes and process trees, and the
pieces of their reports (tables, ratios, the command line, sections of bench/RESULTS.md)."""

from __future__ import annotations

import resource
import shlex
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = REPO_ROOT / "bench" / "RESULTS.md"
_RESULTS_INTRO = (
    "# Benchmark results\n\n"
    "Figures from the scripts in `bench/`, one section per benchmark. Reproduce with "
    "`make bench` (which runs `bash bench/setup.sh` and then each script).\n"
)

# --------------------------------------------------------------------------------------------
# Processes.
# --------------------------------------------------------------------------------------------


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


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(current RSS summed over the tree, sum of each process's peak RSS, process count)."""
    import psutil

    rss = peak = count = 0
    for proc in tree_processes(pid):
        try:
            now = proc.memory_info().rss
        except psutil.Error:
            continue
        rss += now
        peak += vm_hwm_bytes(proc.pid) or now
        count += 1
    return rss, peak, count


# --------------------------------------------------------------------------------------------
# Reports.
# --------------------------------------------------------------------------------------------


def version_of(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


def load_text(load: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.2f}" for x in load)


def ratio_text(r: float) -> str:
    if r >= 100:
        return f"{r:,.0f}"
    if r >= 1:
        return f"{r:.3g}"
    return f"{r:.2g} (1/{1 / r:,.0f})"


def markdown_table(header: list[str], rows: list[list[str]], right_from: int = 1) -> str:
    """A Markdown table: columns before ``right_from`` left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = [
            c.rjust(widths[i]) if i >= right_from else c.ljust(widths[i])
            for i, c in enumerate(cells)
        ]
        return "| " + " | ".join(out) + " |"

    sep = [f"-{'-' * w}:" if i >= right_from else f"-{'-' * w}-" for i, w in enumerate(widths)]
    return "\n".join([line(header), "|" + "|".join(sep) + "|", *(line(r) for r in rows)])


def command_line(script: str | Path) -> str:
    """How ``script`` was run, relative to the current directory where it can be."""

    def relative(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

    exe = Path(sys.executable)
    try:
        exe_text = str(exe.relative_to(Path.cwd()))
    except ValueError:
        exe_text = str(exe)
    return shlex.join([exe_text, relative(Path(script).resolve()), *sys.argv[1:]])


def write_results(section: str, body: str) -> None:
    """Replace (or append) ``section`` (a ``## `` heading) in bench/RESULTS.md, keeping every
    other section."""
    text = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else _RESULTS_INTRO
    block = f"{section}\n\n{body.rstrip()}\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == section), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + block
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), None)
        before = "".join(lines[:start]).rstrip("\n")
        after = "".join(lines[end:]) if end is not None else ""
        new = (before + "\n\n" if before else "") + block + ("\n" + after if after else "")
    RESULTS_MD.write_text(new, encoding="utf-8")


def publish(section: str, body: str, started: float, write: bool) -> None:
    """Print a benchmark's report and how long it took; with ``write``, put it in RESULTS.md."""
    print()
    print(body)
    print(f"\n(total {time.monotonic() - started:.0f} s)", file=sys.stderr)
    if write:
        write_results(section, body)
        print(f"wrote {RESULTS_MD.relative_to(REPO_ROOT)}", file=sys.stderr)

"""Report writing for the benchmarks: figure and ratio tables (from specs that are data), the
prose templates in bench/templates/, the environment lines every section starts with, and
sections of bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _workers import Outcome

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = REPO_ROOT / "bench" / "RESULTS.md"
TEMPLATES = REPO_ROOT / "bench" / "templates"
_RESULTS_INTRO = (
    "# Benchmark results\n\n"
    "Figures from the scripts in `bench/`, one section per benchmark. Reproduce with "
    "`make bench` (which runs `bash bench/setup.sh` and then each script).\n"
)


def version_of(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_text(load: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.2f}" for x in load)


def ratio_text(r: float) -> str:
    if r >= 100:
        return f"{r:,.0f}"
    if r >= 1:
        return f"{r:.3g}"
    return f"{r:.2g} (1/{1 / r:,.0f})"


def mark(ok: bool) -> str:
    """The suffix that says whether a figure meets its target."""
    return " ✓" if ok else " ✗"


@dataclass(frozen=True)
class Target:
    """A figure's target (from the issue): at most ``bound``, or at least it."""

    bound: float
    at_least: bool = False

    @property
    def text(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return f"{sign} {self.bound:,.0f}" if self.bound >= 10 else f"{sign} {self.bound:g}"

    def met(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound

    def marked(self, text: str, value: float) -> str:
        """``text`` (``value`` shown) with ✓ or ✗."""
        return text + mark(self.met(value))


# --------------------------------------------------------------------------------------------
# Tables.
# --------------------------------------------------------------------------------------------


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


# One row of a figure table: its label, its target ("" for none) and how an outcome shows it.
Row = tuple[str, str, Callable[["Outcome"], str]]


def figure_table(first: str, columns: Sequence[tuple[str, Outcome]], rows: Sequence[Row]) -> str:
    """A figure per row, an outcome per column ("n/a" where it failed); a "target" column
    after the labels when any row has a target."""
    targets = any(target for _, target, _ in rows)
    header = [first, *(["target"] if targets else []), *(name for name, _ in columns)]
    body = [
        [
            label,
            *([target] if targets else []),
            *(cell(o) if not o.error else "n/a" for _, o in columns),
        ]
        for label, target, cell in rows
    ]
    return markdown_table(header, body)


def ratio_table(
    first: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[tuple[Any, Any]]]]
) -> str:
    """Per row a label and, per column, the pair (a, b) whose ratio a / b is shown."""
    body = [
        [label, *(ratio_text(a / b) if a and b else "–" for a, b in pairs)] for label, pairs in rows
    ]
    return markdown_table([first, *columns], body)


# A figure table's row as data: (key, label, format). ``key`` names a figure, or several with
# " / " between them, each shown with ``format`` (or with its own part of a format that has as
# many " / "-separated parts).
Spec = tuple[str, str, str]


def shown(value: Any, fmt: str) -> str:
    """A figure as a table shows it: "–" when there is none, a check as "yes" or "NO"."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return fmt.format(value)


def spec_rows(
    spec: Sequence[Spec],
    targets: dict[str, Target] | None = None,
    ours: Callable[[Outcome], bool] = lambda o: o.name.startswith("nbrun"),
) -> list[Row]:
    """The rows of a figure table that ``spec`` describes. A row whose (first) key has a target
    in ``targets`` shows it in the "target" column, and ``ours`` outcomes' cells carry ✓/✗."""

    def row(key: str, label: str, fmt: str) -> Row:
        keys = key.split(" / ")
        fmts = fmt.split(" / ") if len(keys) > 1 and " / " in fmt else [fmt] * len(keys)
        target = (targets or {}).get(keys[0])

        def cell(o: Outcome) -> str:
            text = " / ".join(shown(o.figures.get(k), f) for k, f in zip(keys, fmts, strict=True))
            value = o.figures.get(keys[0])
            if target is None or value is None or not ours(o):
                return text
            return target.marked(text, float(value))

        return label, target.text if target else "", cell

    return [row(*s) for s in spec]


def spec_table(
    outcomes: Sequence[Outcome],
    labels: dict[str, str],
    spec: Sequence[Spec],
    targets: dict[str, Target] | None = None,
) -> str:
    """A figure table with a column per outcome and a row per ``spec`` entry."""
    columns = [(labels[o.name], o) for o in outcomes]
    return figure_table("figure", columns, spec_rows(spec, targets))


def ratios(
    first: str,
    spec: Sequence[tuple[str, str]],
    columns: Sequence[tuple[str, dict[str, Any], dict[str, Any]]],
) -> str:
    """A ratio table: a row per (key, label) in ``spec``, a column per (name, ours, theirs),
    showing ours[a] / theirs[b] where ``key`` is "a / b" (or ours[a] / theirs[a] where it is
    just "a")."""
    rows = []
    for key, label in spec:
        a, _, b = key.partition(" / ")
        rows.append((label, [(ours.get(a), theirs.get(b or a)) for _, ours, theirs in columns]))
    return ratio_table(first, [name for name, _, _ in columns], rows)


def outcome_notes(
    outcomes: Sequence[Outcome], labels: dict[str, str], checks: Callable[[Outcome], list[str]]
) -> str:
    """A bullet per failed outcome, per note ``checks`` finds in a measured one and per server
    log with tracebacks in it ("" when there is nothing to say)."""
    notes = []
    for o in outcomes:
        if o.error:
            notes.append(f"{labels[o.name]} failed: `{o.error}`")
            continue
        notes += checks(o)
        if o.figures.get("server_tracebacks"):
            notes.append(f"{labels[o.name]}: the server log holds tracebacks.")
    return "\n".join(f"- {n}" for n in notes)


# --------------------------------------------------------------------------------------------
# Prose and sections of RESULTS.md.
# --------------------------------------------------------------------------------------------

_PART = re.compile(r"^<!-- part: (\S+) -->\n", re.MULTILINE)


def prose(name: str) -> dict[str, str]:
    """The prose a benchmark writes, from bench/templates/<name>.md, by part: each part runs
    from its ``<!-- part: NAME -->`` line to the next one (or the end of the file), without
    the newlines around it. The caller fills its fields with ``str.format``."""
    pieces = _PART.split((TEMPLATES / f"{name}.md").read_text(encoding="utf-8"))
    return {pieces[i]: pieces[i + 1].strip("\n") for i in range(1, len(pieces), 2)}


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


def environment_lines(
    script: str | Path, load_before: tuple[float, float, float], versions: Sequence[str]
) -> list[str]:
    """The lines a section starts with: command, date, machine, Python, load, versions."""
    return [
        f"- command: `{command_line(script)}` (from the repo root)",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: nproc {os.cpu_count()}, {platform.machine()}, "
        f"{platform.system()} {platform.release()}",
        f"- python: {platform.python_version()} ({platform.python_implementation()})",
        # Other work on a 2-core machine skews every figure: the load average says how quiet it was.
        f"- load average (1/5/15 min) before: {load_text(load_before)}, "
        f"after: {load_text(os.getloadavg())}",
        f"- versions: {', '.join(versions)}",
    ]


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


class Section:
    """A benchmark's section of RESULTS.md, begun when the benchmark starts measuring (its
    clock and the load average before are taken then)."""

    def __init__(self, heading: str, script: str | Path) -> None:
        self.heading = heading
        self.script = script
        self.started = time.monotonic()
        self.load_before = os.getloadavg()

    def publish(self, versions: Sequence[str], parts: Sequence[str], write: bool) -> None:
        """The environment lines, then ``parts``, printed and (with ``write``) written."""
        lines = environment_lines(self.script, self.load_before, versions)
        publish(self.heading, "\n\n".join(["\n".join(lines), *parts]), self.started, write)

"""``%nbrun [run path] [-h HEIGHT]`` shows a run below the cell; ``%%nbrun`` runs the cell, then
shows the run. Registered by ``%load_ext nbrun`` and by ``nbrun.init()`` in a notebook.

IPython, and the display code that loads the backend client (requests), are imported only
when used: ``import nbrun`` stays cheap.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from nbrun.environment import default_entity, ipython_shell
from nbrun.errors import CommError
from nbrun.sdk import registry

if TYPE_CHECKING:
    from nbrun.jupyter.embed_url import RunRef
    from nbrun.sdk.run import Run

USAGE = "usage: %nbrun [entity/project/run_id | project/run_id | run_id] [-h HEIGHT]"
DEFAULT_HEIGHT = 420


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbrun``: register the ``%nbrun`` / ``%%nbrun`` magics."""
    from IPython.core.magic import Magics, line_cell_magic, magics_class

    @magics_class
    class NbrunMagics(Magics):
        @line_cell_magic
        def nbrun(self, line: str, cell: str | None = None) -> None:
            """Show a run (the active one by default) below the cell; as a cell magic, run
            the cell first."""
            path, height = parse_arguments(line)
            if cell is not None and self.shell is not None:
                self.shell.run_cell(cell)  # type: ignore[no-untyped-call]
            show_run(path, height)

    ipython.register_magics(NbrunMagics)


def register_magics() -> None:
    """Register the magics in the running notebook kernel, once (a run starting in a notebook
    calls this)."""
    shell = ipython_shell()
    magics = getattr(getattr(shell, "magics_manager", None), "magics", None)
    if isinstance(magics, dict) and "nbrun" not in magics.get("line", {}):
        load_ipython_extension(shell)


def parse_arguments(line: str) -> tuple[str | None, int]:
    """The run path (or None for the active run) and the height of ``%nbrun``'s arguments."""
    from IPython.core.error import UsageError

    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%nbrun: cannot read {line!r}: {exc}; {USAGE}") from exc
    path: str | None = None
    height = DEFAULT_HEIGHT
    while words:
        word = words.pop(0)
        if word in ("-h", "--height"):
            if not words:
                raise UsageError(f"%nbrun: {word} needs a height in pixels; {USAGE}")
            value = words.pop(0)
            if not value.isdigit() or int(value) == 0:
                raise UsageError(f"%nbrun: height must be a positive integer, got {value!r}")
            height = int(value)
        elif word.startswith("-") or path is not None:
            raise UsageError(f"%nbrun: unexpected argument {word!r}; {USAGE}")
        else:
            path = word
    return path, height


def show_run(path: str | None, height: int) -> None:
    """Display the run named by ``path`` (the active run when None): one of this kernel's
    runs, else one on the default backend."""
    from IPython.core.error import UsageError

    # Without a path: the active run, else the last one started (a cell that ran finish()).
    run = (registry.active_run() or registry.last_started_run()) if path is None else find_run(path)
    if run is not None:
        run.display(height=height)
        return
    if path is None:
        raise UsageError("%nbrun: no run yet; call nbrun.init() first or give a run path")
    from nbrun.jupyter.display import path_html, show_html

    try:
        show_html(path_html(parse_run_path(path), height))
    except (CommError, LookupError) as exc:
        raise UsageError(f"%nbrun: {exc}") from exc


def parse_run_path(path: str) -> RunRef:
    """``entity/project/run_id`` or ``project/run_id`` (the default entity) as a reference."""
    from IPython.core.error import UsageError

    from nbrun.jupyter.embed_url import RunRef

    parts = path.strip("/").split("/")
    if len(parts) == 2:
        parts.insert(0, default_entity())
    if len(parts) != 3 or not all(parts):
        raise UsageError(f"%nbrun: {path!r} is not a run path; {USAGE}")
    return RunRef(*parts)


def find_run(path: str) -> Run | None:
    """This kernel's run whose id, project/id or entity/project/id is ``path``."""
    for run in reversed(registry.started_runs()):
        if path in (run.id, f"{run.project}/{run.id}", run.path):
            return run
    return None

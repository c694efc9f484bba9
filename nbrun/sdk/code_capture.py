"""Notebook code capture (``save_code=True``): the cells this kernel session executed, in order,
as one Python file saved with the run (``code/<notebook name>.py``).

The cells come from IPython's history as IPython ran them (magics turned into calls), so the
file is valid Python, one ``# In[n]:`` block per cell like ``jupyter nbconvert --to script``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePath

from nbrun.environment import in_notebook, ipython_shell

CODE_FOLDER = "code"
DEFAULT_NAME = "notebook"


def notebook_code() -> tuple[str, str] | None:
    """``(relative path, source)`` of this session's executed cells; None outside a notebook."""
    if not in_notebook():
        return None
    shell = ipython_shell()
    cells = list(getattr(getattr(shell, "history_manager", None), "input_hist_parsed", []))
    blocks = [
        f"# In[{number}]:\n{cell.rstrip()}\n"
        for number, cell in enumerate(cells)
        if isinstance(cell, str) and cell.strip()
    ]
    header = "# Code of this notebook session, cells in the order they ran (saved by nbrun).\n"
    return f"{CODE_FOLDER}/{notebook_name()}.py", header + "\n\n".join(["", *blocks])


def notebook_name() -> str:
    """The notebook's file name without ``.ipynb`` (from VS Code or the Jupyter server), else
    ``notebook``."""
    user_ns = getattr(ipython_shell(), "user_ns", None)
    vscode = user_ns.get("__vsc_ipynb_file__") if isinstance(user_ns, Mapping) else None
    path = vscode if isinstance(vscode, str) and vscode else os.environ.get("JPY_SESSION_NAME")
    stem = PurePath(path).stem if path else ""
    # The name becomes a file under the run folder: keep it one plain segment.
    cleaned = "".join(c if c.isalnum() or c in "-_. " else "_" for c in stem).strip(" .")
    return cleaned or DEFAULT_NAME


def save_notebook_code(files_dir: Path) -> str | None:
    """Write the session's code under ``files_dir``; its relative path, or None outside a
    notebook."""
    captured = notebook_code()
    if captured is None:
        return None
    relative, source = captured
    destination = files_dir / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(source, encoding="utf-8")
    return relative

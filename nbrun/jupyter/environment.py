"""Where the kernel runs: the one place nbrun asks whether it is in a notebook."""

from __future__ import annotations

import sys


def in_notebook() -> bool:
    """True inside a Jupyter kernel (any front-end), judged by the kernel itself.

    The reference looks for "jupyter" in the connection-file path and so misses kernels run
    by nbclient, VS Code and others; an IPython shell that owns a kernel is the reliable sign.
    """
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return False
    try:
        shell = ipython_module.get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None

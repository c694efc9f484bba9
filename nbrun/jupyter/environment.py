"""Where the kernel runs: the one place nbrun asks whether it is in a notebook."""

from __future__ import annotations

import sys
from typing import Any


def ipython_shell() -> Any:
    """The running IPython shell, or None. Looks only if IPython is already imported:
    importing it here would cost ~100 ms in plain scripts."""
    ipython_module = sys.modules.get("IPython")
    get_ipython = getattr(ipython_module, "get_ipython", None)
    if not callable(get_ipython):
        return None
    try:
        return get_ipython()
    except Exception:
        return None


def in_notebook() -> bool:
    """True inside a Jupyter kernel (any front-end), judged by the kernel itself.

    The reference looks for "jupyter" in the connection-file path and so misses kernels run
    by nbclient, VS Code and others; an IPython shell that owns a kernel (ipykernel's, Colab's)
    is the reliable sign. The terminal IPython REPL has no kernel.
    """
    return getattr(ipython_shell(), "kernel", None) is not None

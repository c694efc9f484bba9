"""Where the process runs: the one place nbrun asks whether it is in a notebook and which
front-end shows its output. A pure helper below every layer: the run, the notebook views and
the Jupyter server extension all read it, and it imports nothing of nbrun.

The kernel cannot see which browser UI (JupyterLab, Notebook 7, classic) is attached to the
Jupyter server; they share the server, its base URL and its output rendering, so they are one
front-end here: ``Frontend.JUPYTER``.
"""

from __future__ import annotations

import enum
import getpass
import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

# Exported by nbrun's Jupyter server extension into the environment of every kernel that
# server starts (jupyter_server builds a kernel's env from its own os.environ).
JUPYTER_BASE_URL_ENV = "NBRUN_JUPYTER_BASE_URL"
# The extension's proxy to the nbrun backend lives at <base_url>nbrun/.
PROXY_SEGMENT = "nbrun"


class Frontend(enum.Enum):
    """What shows the kernel's outputs (or that nothing does)."""

    JUPYTER = "jupyter"  # a local or remote Jupyter server: Lab, Notebook 7, classic
    JUPYTERHUB = "jupyterhub"  # a single-user server spawned by JupyterHub
    COLAB = "colab"
    KAGGLE = "kaggle"
    VSCODE = "vscode"
    HEADLESS = "headless"  # a kernel run by nbclient / nbconvert / papermill
    IPYTHON = "ipython"  # the terminal IPython REPL
    SCRIPT = "script"  # plain Python, no IPython shell


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


# jupyter_client names a kernel's connection file after the id the server's REST API uses.
_CONNECTION_FILE = re.compile(r"kernel-(?P<id>[^/\\]+)\.json")


def kernel_id() -> str | None:
    """The id of this process's Jupyter kernel (``/api/kernels/<id>``), or None outside one.

    ipykernel keeps the connection file the server gave it (``kernel-<id>.json``); its module
    is only consulted when a kernel is running, so plain scripts import nothing.
    """
    if not in_notebook():
        return None
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    app_class = getattr(kernelapp, "IPKernelApp", None)
    if app_class is None or not app_class.initialized():
        return None
    connection_file = str(getattr(app_class.instance(), "connection_file", "") or "")
    found = _CONNECTION_FILE.fullmatch(os.path.basename(connection_file))
    return found.group("id") if found else None


def in_colab() -> bool:
    """True in a Google Colab runtime (kernel or a script run from it)."""
    if "google.colab" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):  # a "google" namespace without colab, or a stub module
        return False


def in_vscode() -> bool:
    """True in a kernel driven by VS Code's notebook editor (or a VS Code terminal)."""
    user_ns = getattr(ipython_shell(), "user_ns", None)
    if isinstance(user_ns, Mapping) and user_ns.get("__vsc_ipynb_file__"):
        return True
    return bool(os.environ.get("VSCODE_PID"))


def frontend() -> Frontend:
    """The front-end that shows this process's outputs, judged in the order that matters:
    hosted notebooks first (they also look like plain kernels), then the Jupyter server."""
    notebook = in_notebook()
    if in_colab():
        return Frontend.COLAB
    if os.environ.get("KAGGLE_KERNEL_RUN_TYPE"):
        return Frontend.KAGGLE
    if notebook and in_vscode():
        return Frontend.VSCODE
    if notebook and os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        return Frontend.JUPYTERHUB
    if notebook:
        return Frontend.JUPYTER if jupyter_server_started_kernel() else Frontend.HEADLESS
    if ipython_shell() is not None:
        return Frontend.IPYTHON
    return Frontend.SCRIPT


def jupyter_server_started_kernel() -> bool:
    """True when a Jupyter server started this kernel. jupyter_server gives every kernel it
    starts ``JPY_SESSION_NAME`` (the notebook path); nbclient and nbconvert do not, and our
    extension adds ``NBRUN_JUPYTER_BASE_URL``."""
    return bool(os.environ.get("JPY_SESSION_NAME") or os.environ.get(JUPYTER_BASE_URL_ENV))


def jupyter_base_url() -> str:
    """The Jupyter server's base URL as the browser sees it (``/`` or ``/user/ann/``).

    Read from what the server tells its kernels: nbrun's extension exports it to every kernel
    it starts, JupyterHub sets ``JUPYTERHUB_SERVICE_PREFIX``. Without either (a headless run
    whose notebook is opened later) the default server's ``/`` is the best guess.
    """
    base = os.environ.get(JUPYTER_BASE_URL_ENV) or os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    base = base or "/"
    if not base.startswith("/"):
        base = "/" + base
    return base if base.endswith("/") else base + "/"


def default_entity() -> str:
    """The entity of runs that name none: the user's login name."""
    try:
        return getpass.getuser()
    except Exception:
        return "local"

"""nbrun's Jupyter server extension: the read-only backend proxy at ``<base_url>nbrun/`` and
the server's base URL handed to the kernels it starts.

Why an environment variable for the base URL: jupyter_server builds every kernel's
environment from its own ``os.environ``, so a variable set here reaches exactly the kernels of
this server (a state file would be ambiguous with two servers on one machine, and JupyterLab
sanitises untrusted HTML, so the browser cannot be asked with a script). On JupyterHub,
``JUPYTERHUB_SERVICE_PREFIX`` says the same and is the fallback.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.utils import url_path_join

from nbrun.environment import JUPYTER_BASE_URL_ENV, PROXY_SEGMENT


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbrun.jupyter_server.extension"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Add the proxy route and export the base URL to kernels started from now on."""
    try:
        from nbrun.jupyter_server.proxy import BackendProxyHandler, BackendSource
    except ImportError as exc:
        server_app.log.warning(
            "nbrun: no backend proxy (%s); pip install 'nbrun[notebook]' for it", exc
        )
        return
    web_app = server_app.web_app
    base_url: str = web_app.settings.get("base_url", "/")
    os.environ[JUPYTER_BASE_URL_ENV] = base_url
    route = url_path_join(base_url, PROXY_SEGMENT, "(.*)")
    web_app.add_handlers(".*$", [(route, BackendProxyHandler, {"source": BackendSource()})])
    server_app.log.info("nbrun: backend proxy at %s", url_path_join(base_url, PROXY_SEGMENT, ""))

"""Where the browser showing this kernel's outputs can load a run's embed view.

One decision per place (see :func:`embed_target`):

- Jupyter (Lab, Notebook 7, classic), JupyterHub, and headless runs whose notebook is opened in
  Jupyter later: nbrun's server extension proxy, ``<base_url>nbrun/...``. The kernel's
  localhost is not the browser's on a hub or a remote server; the proxy is behind Jupyter's
  login and adds the backend's key itself, so the URL carries no token at all. The base URL
  comes from the server (see :func:`nbrun.environment.jupyter_base_url`). A Jupyter
  server without the extension (nbrun installed in the kernel's environment only) has no
  proxy: its kernels get the backend URL, like VS Code.
- Colab: the kernel port proxy, asked for in the output's JavaScript.
- VS Code, terminal IPython, scripts: the backend URL with a read token scoped to the run.
- Kaggle (no way in to the kernel's ports), offline and disabled runs: no URL; a static view.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import urlsplit

from nbrun.environment import (
    JUPYTER_BASE_URL_ENV,
    PROXY_SEGMENT,
    Frontend,
    frontend,
    jupyter_base_url,
)
from nbrun.errors import CommError
from nbrun.sync.client import Backend, NotFoundError, is_loopback

if TYPE_CHECKING:
    from nbrun.sdk.run import Run
    from nbrun.sync.online import OnlineSync


class RunAddress(Protocol):
    """What names a run on a backend: a ``Run`` of this process or :class:`RunRef`."""

    @property
    def entity(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def id(self) -> str: ...


@dataclasses.dataclass(frozen=True)
class RunRef:
    """A run known only by its path (one of another process, shown by ``%nbrun PATH``)."""

    entity: str
    project: str
    id: str


EMBED_QUERY = "embed=1"
TOKEN_WAIT_SECONDS = 30.0  # at most, for a working sender to create the run on the backend
# A sender failing this long means the backend is away: give up on the token then, not at the
# first failure (one request can fail on a loaded machine and succeed when retried).
FAILING_SECONDS = 3.0

_tokens: dict[tuple[str, str], str] = {}  # (backend url, run path) -> read token
_tokens_lock = threading.Lock()


@dataclasses.dataclass(frozen=True)
class EmbedTarget:
    """How to show a run: an iframe ``url``, Colab's ``port`` + ``path``, or ``static``."""

    kind: Literal["url", "colab", "static"]
    url: str | None = None  # kind "url": the iframe src
    port: int | None = None  # kind "colab": the backend's port on the kernel machine
    path: str | None = None  # kind "colab": the embed path, joined to the proxied origin
    reason: str = ""  # kind "static": why there is no live view


def embed_path(run: RunAddress, embed: bool = True) -> str:
    """``{entity}/{project}/runs/{id}?embed=1``: the embed view (or, with ``embed=False``, the
    run's page) relative to the dashboard root."""
    page = Backend("", None).run_url(run.entity, run.project, run.id)[1:]
    return f"{page}?{EMBED_QUERY}" if embed else page


def proxy_url(run: RunAddress, embed: bool = True) -> str:
    """The embed view (or the run's page) through the Jupyter server extension, as an
    absolute path under the Jupyter server's base URL."""
    return f"{jupyter_base_url()}{PROXY_SEGMENT}/{embed_path(run, embed)}"


def via_proxy(online: OnlineSync | None, default_backend: bool) -> bool:
    """True when the browser reaches runs of ``online``'s backend through the Jupyter server
    extension (which serves the default backend only, see :func:`uses_default_backend`)."""
    place = frontend()
    if place is Frontend.JUPYTER and not os.environ.get(JUPYTER_BASE_URL_ENV):
        return False  # that server runs without nbrun's extension: no proxy to go through
    jupyter = (Frontend.JUPYTER, Frontend.JUPYTERHUB, Frontend.HEADLESS)
    return online is not None and place in jupyter and default_backend


def embed_target(
    run: RunAddress, online: OnlineSync | None, default_backend: bool, offline: str = "offline"
) -> EmbedTarget:
    """Decide how the browser in front of this kernel reaches ``run``'s embed view (on
    ``online``'s backend; ``offline`` says why there is none)."""
    if online is None:
        return EmbedTarget("static", reason=f"this run is {offline}")
    place = frontend()
    backend = online.client.backend
    if place is Frontend.KAGGLE:
        return EmbedTarget("static", reason="Kaggle cannot show the kernel's local server")
    if place is Frontend.COLAB and is_loopback(backend.url):
        port = urlsplit(backend.url).port
        if port is not None:
            return EmbedTarget("colab", port=port, path=embed_path(run))
    if via_proxy(online, default_backend):
        return EmbedTarget("url", url=proxy_url(run))
    try:
        token = read_token(run, online)
    except CommError as exc:
        return EmbedTarget("static", reason=f"the backend is not reachable ({exc})")
    return EmbedTarget(
        "url", url=f"{online.run_url(run.entity, run.project, run.id)}?{EMBED_QUERY}&token={token}"
    )


def read_token(run: RunAddress, online: OnlineSync) -> str:
    """A read-only token for this run only (created once per process and run). Never the
    backend's key: embed URLs end up in saved, shared notebooks."""
    key = (online.client.backend.url, f"{run.entity}/{run.project}/{run.id}")
    with _tokens_lock:
        if key in _tokens:
            return _tokens[key]
    deadline = time.monotonic() + TOKEN_WAIT_SECONDS
    while True:
        try:
            token = online.client.read_token(run.entity, run.project, run.id)
            break
        except NotFoundError:
            # Right after init the sender may not have created the run yet: wait while it
            # is getting on (a loaded machine can take seconds), not when it keeps failing.
            sender = online.sender
            now = time.monotonic()
            failing = sender is not None and sender.failing_since is not None
            if (
                sender is None
                or sender.rejected
                or (failing and now - (sender.failing_since or now) >= FAILING_SECONDS)
                or now >= deadline
            ):
                raise
            sender.wake()
            time.sleep(0.05)
    with _tokens_lock:
        return _tokens.setdefault(key, token)


def uses_default_backend(run: Run) -> bool:
    """True when ``run`` talks to the backend configured by the environment (or the embedded
    one): the one nbrun's Jupyter server extension proxies."""
    # The extension proxies NBRUN_BASE_URL from the Jupyter server's environment, else the
    # embedded server; kernels inherit that environment. A backend given to init() is other.
    configured = os.environ.get("NBRUN_BASE_URL") or None
    chosen = run.settings.base_url or None
    return (chosen or "").rstrip("/") == (configured or "").rstrip("/")

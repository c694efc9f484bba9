"""A run shown in a notebook: ``run.to_html()``, ``run.display()`` and the rich repr of a bare
``run``. Where the iframe points is decided in :mod:`nbrun.jupyter.embed_url`."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from nbrun.environment import in_notebook
from nbrun.errors import CommError
from nbrun.jupyter.embed_url import (
    EmbedTarget,
    RunAddress,
    RunRef,
    embed_path,
    embed_target,
    proxy_url,
    read_token,
    uses_default_backend,
    via_proxy,
)
from nbrun.jupyter.live_view import run_snapshot_html
from nbrun.protocol.mime import RUN_MIME_TYPE, RUN_MIME_VERSION, RunMimePayload
from nbrun.sync.connect import default_backend_client
from nbrun.sync.online import OnlineSync

if TYPE_CHECKING:
    from nbrun.sdk.run import Run

COLAB_TOKEN_CALLBACK = "nbrun.embed_token."  # + run id; the kernel answers with a read token


def run_html(run: Run, online: OnlineSync | None, height: int = 420, hidden: bool = False) -> str:
    """HTML with an iframe of the run's embed view (or of a static view when there is no
    backend the browser can reach). ``hidden`` adds a button that reveals the iframe."""
    height = _check_height(height)
    offline = "disabled" if run.disabled else "offline"
    target = embed_target(run, online, uses_default_backend(run), offline)
    if target.kind == "static":
        doc = static_view_html(run, target.reason)
        # No same-origin: the static page cannot touch the notebook around it.
        attributes = f'srcdoc="{html.escape(doc)}" sandbox="allow-scripts"'
        return _iframe(run.name, attributes, height, hidden)
    return _live_html(run, run.name, online, target, height, hidden)


def path_html(ref: RunRef, height: int = 420, hidden: bool = False) -> str:
    """HTML with an iframe of a run of any process, on the default backend (``%nbrun PATH``).
    Raises ``CommError`` when the backend is away, ``LookupError`` when it has no such run."""
    height = _check_height(height)
    online = OnlineSync(default_backend_client())
    info = online.fetch_run(ref.entity, ref.project, ref.id)
    if info is None:
        online.client.close()
        where = online.client.backend.url
        raise LookupError(f"no run {ref.entity}/{ref.project}/{ref.id} on the backend at {where}")
    target = embed_target(ref, online, default_backend=True)
    if target.kind != "colab":
        online.client.close()  # Colab's token callback keeps using it; nothing else does
    if target.kind == "static":
        raise CommError(f"cannot show {ref.entity}/{ref.project}/{ref.id} here: {target.reason}")
    return _live_html(ref, info["name"], online, target, height, hidden)


def show(run: Run, online: OnlineSync | None, height: int = 420, hidden: bool = False) -> bool:
    """Display the run's HTML below the cell; False (and nothing shown) outside a notebook."""
    if not in_notebook():
        return False
    show_html(run_html(run, online, height, hidden))
    return True


def show_html(page: str) -> None:
    """Display ``page`` below the cell."""
    from IPython.display import display

    # A raw bundle: IPython's HTML() warns about HTML that starts with an iframe.
    display({"text/html": page}, raw=True)  # type: ignore[no-untyped-call]


def mime_payload(run: Run, online: OnlineSync | None) -> RunMimePayload:
    """The typed ``application/vnd.nbrun.run+json`` payload of a run."""
    # Only the token-free proxy URL goes in the payload: bundles land in saved notebooks.
    proxied = via_proxy(online, uses_default_backend(run))
    return {
        "version": RUN_MIME_VERSION,
        "entity": run.entity,
        "project": run.project,
        "id": run.id,
        "name": run.name,
        "state": run.status().state,
        "step": run.step,
        "url": proxy_url(run, embed=False) if proxied else run.url,
        "embed_path": embed_path(run),
        "embed_url": proxy_url(run) if proxied else None,
        "summary": _scalar_summary(run),
    }


def mime_bundle(run: Run, online: OnlineSync | None) -> dict[str, Any]:
    """What a bare ``run`` in a cell renders with: the typed payload plus an HTML fallback."""
    return {
        RUN_MIME_TYPE: mime_payload(run, online),
        "text/html": run_html(run, online),
        "text/plain": repr(run),
    }


def static_view_html(run: Run, reason: str) -> str:
    """A self-contained page showing the run from local data (no network, no kernel)."""
    note = (
        f"<p style='color:#666;font:12px sans-serif'>No live dashboard: {html.escape(reason)}.</p>"
    )
    body = f"<body style='margin:0'>{run_snapshot_html(run)}{note}</body>"
    return f"<!doctype html><meta charset='utf-8'>{body}"


def _live_html(
    run: RunAddress,
    name: str,
    online: OnlineSync | None,
    target: EmbedTarget,
    height: int,
    hidden: bool,
) -> str:
    if target.kind == "colab":
        return _colab_html(run, name, online, target, height, hidden)
    assert target.url is not None
    return _iframe(name, f'src="{html.escape(target.url)}"', height, hidden)


def _iframe(name: str, attributes: str, height: int, hidden: bool) -> str:
    style = f"border:none;width:100%;height:{height}px;"
    title = html.escape(f"nbrun run {name}")
    if not hidden:
        return f'<iframe {attributes} style="{style}" title="{title}"></iframe>'
    # The reference's toggle: a button that shows the iframe right after it and hides itself.
    return (
        "<button onClick=\"this.nextSibling.style.display='block';this.style.display='none';\">"
        f'Display nbrun run</button><iframe {attributes} style="{style}display:none;" '
        f'title="{title}"></iframe>'
    )


def _colab_html(
    run: RunAddress,
    name: str,
    online: OnlineSync | None,
    target: EmbedTarget,
    height: int,
    hidden: bool,
) -> str:
    # Colab serves a kernel port to its own browser only, at a URL known in the browser: the
    # output's script asks for it, then asks the kernel for a read token over Colab's
    # callback channel, so the saved HTML holds no token of any kind.
    assert online is not None and target.port is not None and target.path is not None
    from google.colab import output  # type: ignore[import-not-found]

    callback = COLAB_TOKEN_CALLBACK + run.id
    output.register_callback(callback, lambda: _colab_token_reply(run, online))
    element = f"nbrun-{run.id}"
    options = {
        "element": element,
        "port": target.port,
        "path": target.path,
        "callback": callback,
        "height": height,
        "hidden": hidden,
        "title": f"nbrun run {name}",
    }
    data = json.dumps(options).replace("</", "<\\/")
    return (
        f'<div id="{html.escape(element)}"></div><script>\n'
        f"(async (o) => {{\n"
        "  const box = document.getElementById(o.element);\n"
        "  const origin = await google.colab.kernel.proxyPort(o.port, {cache: true});\n"
        "  const reply = await google.colab.kernel.invokeFunction(o.callback, [], {});\n"
        '  const token = reply.data["application/json"].token;\n'
        "  const frame = document.createElement('iframe');\n"
        "  frame.src = new URL(o.path + '&token=' + encodeURIComponent(token), origin).href;\n"
        "  frame.title = o.title;\n"
        "  frame.style.cssText = `border:none;width:100%;height:${o.height}px;`;\n"
        "  if (o.hidden) {\n"
        "    frame.style.display = 'none';\n"
        "    const button = document.createElement('button');\n"
        "    button.textContent = 'Display nbrun run';\n"
        "    button.onclick = () => { frame.style.display = 'block'; button.remove(); };\n"
        "    box.appendChild(button);\n"
        "  }\n"
        "  box.appendChild(frame);\n"
        f"}})({data});\n</script>"
    )


def _colab_token_reply(run: RunAddress, online: OnlineSync) -> Any:
    from IPython.display import JSON

    return JSON({"token": read_token(run, online)})  # type: ignore[no-untyped-call]


def _scalar_summary(run: Run) -> dict[str, int | float | str | bool]:
    return {
        key: value
        for key, value in run.summary.as_dict().items()
        if not key.startswith("_") and isinstance(value, (int, float, str, bool))
    }


def _check_height(height: int) -> int:
    if isinstance(height, bool) or not isinstance(height, int) or height <= 0:
        raise ValueError(f"height must be a positive number of pixels; got {height!r}")
    return height

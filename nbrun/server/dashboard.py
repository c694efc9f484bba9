"""The dashboard: the HTML shell of its pages, its built assets, and the login session.

The pages are one script app (built from ``labextension/src/dashboard`` into ``static/``); the
server only hands out a shell naming the app's assets and the path prefix it is mounted under
(``X-Forwarded-Prefix`` from the Jupyter proxy), under a Content-Security-Policy that allows no
inline script. Data comes from ``/api/v1``, authenticated by a Bearer header, a read token in the
URL, or the session cookie ``POST /login`` sets (which only ever authorises reads).
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from nbrun.server.auth import SESSION_COOKIE, SESSION_SECONDS
from nbrun.server.deps import ServicesDep
from nbrun.server.wire import Entity, Project, RunId

STATIC_DIR = Path(__file__).with_name("static")
APP_SCRIPT = "dashboard.js"
APP_STYLE = "dashboard.css"
PREFIX_HEADER = "x-forwarded-prefix"
# A URL path of plain segments: it goes into the page, so nothing that could leave an attribute.
_PREFIX_PATTERN = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")
_HASHED_ASSET = re.compile(r"-[A-Z0-9]{8}\.[a-z0-9]+$")  # esbuild's "[name]-[hash]" files
_RESERVED = {"api", "static", "login", "logout"}
_THEMES = ("light", "dark")
_IMMUTABLE = "public, max-age=31536000, immutable"
Theme = Annotated[str | None, Query(max_length=16, description="light or dark")]

_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # plotly.js and KaTeX set style attributes and add <style> elements at run time
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        # three.js's glTF loader fetches a model's embedded buffers and images by data: and
        # blob: URLs (both local: nothing leaves the page)
        "connect-src 'self' data: blob:",
        "frame-src 'self' blob: data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


def content_security_policy(embed: bool) -> str:
    """The page's CSP: only the app's own scripts; framing by this origin, or by any page for
    the embed view (notebook outputs in JupyterLab, VS Code, Colab, saved HTML)."""
    ancestors = "*" if embed else "'self'"
    return f"{_CSP}; frame-ancestors {ancestors}"


def request_prefix(request: Request) -> str:
    """The path the dashboard is mounted under (no trailing slash; ``""`` at the root)."""
    prefix = request.headers.get(PREFIX_HEADER, "").rstrip("/")
    if not _PREFIX_PATTERN.match(prefix):
        raise HTTPException(
            400, f"invalid {PREFIX_HEADER} header {prefix[:200]!r}: expected a URL path"
        )
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return prefix or root


class Assets:
    """The built app in ``folder``; ``version`` changes whenever the app does."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._version: tuple[float, str] | None = None

    def built(self) -> bool:
        return (self.folder / APP_SCRIPT).is_file() and (self.folder / APP_STYLE).is_file()

    def version(self) -> str:
        script = self.folder / APP_SCRIPT
        mtime = script.stat().st_mtime
        if self._version is None or self._version[0] != mtime:
            digest = hashlib.sha256(script.read_bytes())
            digest.update((self.folder / APP_STYLE).read_bytes())
            self._version = (mtime, digest.hexdigest()[:16])
        return self._version[1]

    def file(self, path: str) -> Path | None:
        root = self.folder.resolve()
        found = (root / path).resolve()
        if not found.is_relative_to(root) or not found.is_file():
            return None
        return found


_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nbrun: dashboard not built</title></head>
<body><h1>The nbrun dashboard's assets were not built</h1>
<p>This nbrun was installed from a source tree without its front-end build. The API under
<code>/api/v1</code> works; to get the pages, build the app (needs Node.js) and restart the server:
</p><pre>cd labextension &amp;&amp; jlpm install &amp;&amp; jlpm build:prod</pre>
<p>(<code>make install</code> and <code>pip install .</code> do this.)
Looked in: <code>{folder}</code></p></body></html>
"""


def _shell(prefix: str, version: str, theme: str, embed: bool) -> str:
    p = html.escape(prefix, quote=True)
    embed_attr = ' data-embed="1"' if embed else ""
    return (
        f'<!doctype html>\n<html lang="en" data-theme="{theme}"{embed_attr}>\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="nbrun-prefix" content="{p}">\n<base href="{p}/">\n'
        "<title>nbrun</title>\n"
        '<link rel="icon" href="data:,">\n'  # no favicon request to a path that has none
        f'<link rel="stylesheet" href="{p}/static/{APP_STYLE}?v={version}">\n'
        f'<script type="module" src="{p}/static/{APP_SCRIPT}?v={version}"></script>\n'
        '</head>\n<body>\n<div id="app" class="loading">Loading…</div>\n</body>\n</html>\n'
    )


def _page_headers(embed: bool) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(embed),
        "X-Content-Type-Options": "nosniff",
        # run pages may carry a read token in their URL: never pass it on as a referrer
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def create_router(assets_dir: Path = STATIC_DIR) -> APIRouter:
    """The dashboard's routes, serving the app built into ``assets_dir``."""
    assets = Assets(assets_dir)
    router = APIRouter(include_in_schema=False)

    def page(request: Request, embed: bool = False, theme: str | None = None) -> HTMLResponse:
        prefix = request_prefix(request)
        if not assets.built():
            body = _NOT_BUILT.format(folder=html.escape(str(assets.folder)))
            return HTMLResponse(body, 503, headers=_page_headers(embed))
        if theme is not None and theme not in _THEMES:
            raise HTTPException(422, f"theme must be one of {', '.join(_THEMES)}, not {theme!r}")
        chosen = theme or "light"
        return HTMLResponse(
            _shell(prefix, assets.version(), chosen, embed), headers=_page_headers(embed)
        )

    def check_names(*names: str) -> None:
        if names[0] in _RESERVED:
            raise HTTPException(404, f"no page at /{'/'.join(names)}")

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request, theme: Theme = None) -> HTMLResponse:
        return page(request, theme=theme)

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, theme: Theme = None) -> HTMLResponse:
        return page(request, theme=theme)

    @router.post("/login", status_code=204)
    def login(
        request: Request,
        services: ServicesDep,
        token: Annotated[str, Body(embed=True, min_length=1, max_length=4096)],
    ) -> Response:
        """Exchange a full API key for a session cookie (JSON ``{"token": ...}``; a page on
        another site cannot send JSON here without the browser asking first)."""
        cookie = services.auth.create_session(token)
        response = Response(status_code=204)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=SESSION_SECONDS,
            path=request_prefix(request) + "/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/logout", status_code=204)
    def logout(request: Request) -> Response:
        response = Response(status_code=204)
        response.delete_cookie(
            SESSION_COOKIE, path=request_prefix(request) + "/", httponly=True, samesite="strict"
        )
        return response

    @router.get("/static/{path:path}")
    def static(path: str, v: Annotated[str | None, Query(max_length=64)] = None) -> Response:
        found = assets.file(path)
        if found is None:
            raise HTTPException(404, f"no dashboard asset {path!r}")
        versioned = v is not None and assets.built() and v == assets.version()
        fixed = versioned or bool(_HASHED_ASSET.search(found.name))
        headers = {
            "Cache-Control": _IMMUTABLE if fixed else "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        return FileResponse(found, headers=headers)

    def project_page(
        request: Request, entity: Entity, project: Project, theme: Theme = None
    ) -> HTMLResponse:
        check_names(entity, project)
        return page(request, theme=theme)

    # the project's runs, several of them compared (?runs=a,b), its artifacts, an artifact
    # version and the model registry: the app tells them apart
    for path in (
        "/{entity}/{project}",
        "/{entity}/{project}/compare",
        "/{entity}/{project}/artifacts",
        "/{entity}/{project}/artifacts/{name}/{version}",
        "/{entity}/{project}/registry",
    ):
        router.add_api_route(path, project_page, methods=["GET"], response_class=HTMLResponse)

    @router.get("/{entity}/{project}/runs/{run_id}", response_class=HTMLResponse)
    def run_page(
        request: Request,
        entity: Entity,
        project: Project,
        run_id: RunId,
        theme: Theme = None,
        embed: Annotated[str | None, Query(max_length=8)] = None,
    ) -> HTMLResponse:
        check_names(entity, project, run_id)
        return page(request, embed=embed not in (None, "", "0", "false"), theme=theme)

    return router

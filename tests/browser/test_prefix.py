"""The dashboard mounted under a path prefix behind a proxy, as the Jupyter server extension
serves it (``<jupyter base>/nbrun/...``, ``X-Forwarded-Prefix``, and the proxy's own Bearer
header instead of a login): every URL the app uses stays under the prefix, the live stream
included."""

from __future__ import annotations

import http.client
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

PREFIX = "/user/ana/nbrun"
_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "authorization"}


class _Proxy(http.server.BaseHTTPRequestHandler):
    """Forwards ``PREFIX/...`` to the dashboard's server, streaming answers (SSE) as they come."""

    protocol_version = "HTTP/1.0"  # one request per connection: a stream ends when it closes
    target = ""
    token = ""

    def _forward(self) -> None:
        if not self.path.startswith(PREFIX + "/"):
            self.send_error(404, "outside the proxied prefix")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers |= {"X-Forwarded-Prefix": PREFIX, "Authorization": f"Bearer {self.token}"}
        where = urlsplit(self.target)
        upstream = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        upstream.request(self.command, self.path[len(PREFIX) :], body, headers)
        answer = upstream.getresponse()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        self.end_headers()
        try:
            while chunk := answer.read1(65536):
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (a page closing its event stream)
        finally:
            upstream.close()

    do_GET = do_POST = do_HEAD = _forward

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy(dashboard: Any) -> Iterator[str]:
    _Proxy.target, _Proxy.token = dashboard.url, dashboard.token
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_under_a_prefix_every_request_and_link_stays_under_it_and_live_updates_arrive(
    dashboard: Any, new_page: Any, proxy: str, project: str
) -> None:
    run = f"{project}/behind"
    now = time.time()
    dashboard.post_records(run, [[1, "history", {"_step": 0, "loss": 1.0}]])
    watched = new_page()
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{proxy}{PREFIX}/{project}/runs/behind")
    page.wait_for_selector("main[data-loaded='1']")
    chart = page.locator(".chart[data-key='loss']")
    assert chart.get_attribute("data-points") == "1"

    records = [[2, "history", {"_step": 1, "loss": 0.5}], [3, "history", {"_step": 2, "loss": 0.2}]]
    records.append([4, "exit", {"exit_code": 0, "time": now, "runtime": 1.0, "summary": {}}])
    dashboard.post_records(run, records)
    page.wait_for_selector(".run-header .badge[data-state='finished']")
    page.wait_for_selector(".chart[data-key='loss'][data-points='3']")

    assert any("/stream?" in url for url in asked)
    paths = {urlsplit(url).path for url in asked if url.startswith("http")}
    assert paths and all(path.startswith(PREFIX + "/") for path in paths), paths
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert links and all(urlsplit(link).path.startswith(PREFIX + "/") for link in links)
    assert watched.errors == [] and watched.csp_violations == []


def test_under_a_prefix_the_home_page_lists_projects_with_prefixed_links(
    dashboard: Any, new_page: Any, proxy: str, project: str
) -> None:
    dashboard.post_records(f"{project}/listed", [[1, "history", {"_step": 0, "loss": 1.0}]])
    page = new_page().page
    page.goto(f"{proxy}{PREFIX}/")
    link = page.locator(f"a:text-is('{project.split('/')[1]}')")
    link.click()
    page.wait_for_selector("tr[data-run='listed']")
    assert urlsplit(page.url).path == f"{PREFIX}/{project}"

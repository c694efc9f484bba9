"""User strings are data, never code: XSS payloads in every field show as text and run nothing;
only the embed view may be framed by a page of another origin."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

IMG = '<img src=x onerror="window.__xss=1;alert(1)">'
SCRIPT = "<script>window.__xss=2;alert(2)</script>"
SVG = "<svg onload=alert(4)>"
NOTES = (
    f"# Notes {IMG}\n\n{SCRIPT}\n\n[click me](javascript:alert(3))\n\n"
    f'<a href="javascript:alert(5)">raw link</a> {SVG}\n\n'
    "$$ \\href{javascript:alert(6)}{x} $$\n"
)
PROJECT = "<img src=x onerror=alert(7)>"  # a project name may hold anything but "/"
RUN_ID = "xss1"

# Nothing of these may exist in any page: they would be the payloads turned into markup.
NO_MARKUP = """() => [
  document.querySelectorAll('img[src="x"], svg[onload], [onerror]').length,
  document.querySelectorAll('script:not([src])').length,
  [...document.querySelectorAll('a[href]')].filter(a => /^javascript:/i.test(a.href)).length,
  window.__xss === undefined ? 0 : 1,
]"""


@pytest.fixture(scope="module")
def xss_run(dashboard: Any) -> str:
    """A run whose every user string is a payload, sent as the SDK would send it."""
    run = f"browser/{PROJECT}/{RUN_ID}"
    table = {"_type": "table", "columns": [IMG, "b"], "data": [[SCRIPT, IMG], [SVG, 2]]}
    now = time.time()
    dashboard.post_records(
        run,
        [
            [
                1,
                "run",
                {
                    "id": RUN_ID,
                    "entity": "browser",
                    "project": PROJECT,
                    "name": IMG + SCRIPT,
                    "notes": NOTES,
                    "tags": [IMG, SCRIPT],
                    "group": SVG,
                    "job_type": SCRIPT,
                    "mode": "online",
                    "start_time": now,
                    "starting_step": 0,
                    "resumed": False,
                    "sweep_id": None,
                    "host": IMG,
                    "pid": 1,
                },
            ],
            [2, "config", {"update": {IMG: SCRIPT, "nested": {SVG: IMG}}, "remove": []}],
            [3, "history", {"_step": 0, "loss": 1.0, IMG: 2.0, "tbl": table}],
            [4, "history", {"_step": 1, "loss": 0.5, IMG: 1.0}],
            [5, "summary", {"update": {SCRIPT: IMG}, "remove": []}],
            [6, "exit", {"exit_code": 0, "time": now + 1, "runtime": 1.0, "summary": {}}],
        ],
    )
    plain = [[1, "history", {"_step": 0, "loss": 2.0}], [2, "history", {"_step": 1, "loss": 1.0}]]
    dashboard.post_records(f"browser/{PROJECT}/plain", plain)
    return run


def _assert_inert(watched: Any) -> None:
    assert watched.page.evaluate(NO_MARKUP) == [0, 0, 0, 0]
    assert watched.dialogs == []


def test_payloads_on_the_run_page_show_as_text_and_run_nothing(
    dashboard: Any, signed_in: Any, xss_run: str
) -> None:
    watched = signed_in
    page = watched.page
    watched.open(f"{dashboard.url}/browser/{quote(PROJECT, safe='')}/runs/{RUN_ID}")
    page.wait_for_selector(".rich-table td")

    assert page.locator(".run-name").inner_text() == IMG + SCRIPT
    assert page.locator(".run-header .tag").all_inner_texts() == [IMG, SCRIPT]
    notes = page.locator(".notes").inner_text()
    assert IMG in notes and SCRIPT in notes and "click me" in notes
    config = page.locator("table.config").inner_text()
    assert IMG in config and SCRIPT in config
    assert IMG in page.locator("table.summary").inner_text()
    cells = page.locator(".rich-table").inner_text()
    assert IMG in cells and SCRIPT in cells and SVG in cells
    assert page.locator(f".chart[data-key='{IMG}']").count() == 1
    titles = page.locator(".chart .chart-title").all_inner_texts()
    assert sorted(titles) == sorted(["loss", IMG])
    page.get_by_text("click me").click()  # a javascript: link never became a link
    _assert_inert(watched)
    assert watched.errors == [] and watched.csp_violations == []


@pytest.mark.parametrize("where", ["home", "project", "compare"])
def test_payloads_in_lists_and_legends_show_as_text_and_run_nothing(
    dashboard: Any, new_page: Any, xss_run: str, where: str
) -> None:
    watched = new_page()
    watched.sign_in(dashboard)
    page = watched.page
    project_url = f"{dashboard.url}/browser/{quote(PROJECT, safe='')}"
    if where == "home":
        page.goto(dashboard.url + "/")
        page.wait_for_selector(f"a:text-is('{PROJECT}')")
    elif where == "project":
        page.goto(project_url)
        page.wait_for_selector("main[data-loaded='1']")
        row = page.locator(f"tr[data-run='{RUN_ID}']")
        assert row.locator(".run-link").inner_text() == IMG + SCRIPT
        assert IMG in row.inner_text() and SVG in row.inner_text()
        page.locator("input.filter").fill("onerror")
        assert page.locator(f"tr[data-run='{RUN_ID}']").count() == 1
    else:
        page.goto(f"{project_url}/compare?runs={RUN_ID},plain")
        page.wait_for_selector("main[data-loaded='1']")
        assert page.locator(".legend li").first.inner_text().startswith(IMG + SCRIPT)
        page.wait_for_selector(".chart[data-key='loss'][data-drawn='1']")
        legend = page.locator(".chart[data-key='loss'] .legendtext").first
        assert legend.text_content() == IMG + SCRIPT  # plotly's own markup shows it as text
    _assert_inert(watched)
    assert watched.errors == []


class _HostPage(http.server.BaseHTTPRequestHandler):
    """Another origin's page that frames the dashboard (a notebook output, say)."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def host_page() -> Iterator[Any]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_embed_view_loads_in_an_iframe_of_another_origin_and_other_pages_do_not(
    dashboard: Any, new_page: Any, xss_run: str, host_page: Any
) -> None:
    token = dashboard.read_token(xss_run)
    run_url = f"{dashboard.url}/browser/{quote(PROJECT, safe='')}/runs/{RUN_ID}"
    _HostPage.body = (
        f'<!doctype html><iframe id="embed" width="420" height="600" '
        f'src="{run_url}?embed=1&amp;theme=dark&amp;token={token}"></iframe>'
        f'<iframe id="full" src="{run_url}?token={token}"></iframe>'
    ).encode()
    host = f"http://127.0.0.1:{host_page.server_address[1]}/"
    watched = new_page()
    page = watched.page
    with page.expect_console_message(lambda m: "frame-ancestors 'self'" in m.text) as refusal:
        page.goto(host)
    assert "The request has been blocked" in refusal.value.text
    frame = page.frame_locator("#embed")
    frame.locator(".chart[data-key='loss'][data-drawn='1']").wait_for()
    assert frame.locator(".run-name").inner_text() == IMG + SCRIPT
    assert frame.locator(".topbar").count() == 0
    full = page.frame(url=lambda url: "embed=1" not in url and url != host)
    assert full is not None and full.url.startswith("chrome-error:")  # blocked, not shown
    assert watched.dialogs == []

"""Browser fixtures: Debian's Chromium driven by Playwright, a real ``nbrun server`` process
serving the built dashboard, and helpers to log runs to it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
import requests

from nbrun.protocol.http import API_PREFIX, MSGPACK_CONTENT_TYPE, run_path
from tests.processes import stop_process

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
ASSETS = Path(__file__).parents[2] / "nbrun" / "server" / "static" / "dashboard.js"
TOKEN = "browser-test-token"
WAIT_MS = 30_000  # an upper bound for the browser to catch up, never a speed check


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Logger:
    """A process logging a run; it and the test hand over by files in ``folder``."""

    def __init__(self, process: subprocess.Popen[bytes], folder: Path) -> None:
        self.process = process
        self.folder = folder

    def wait_for(self, name: str, timeout: float = 60) -> None:
        """Wait until the process has written the file ``name`` (it says how far it got)."""
        deadline = time.monotonic() + timeout
        while not (self.folder / name).exists():
            assert self.process.poll() is None, f"logging process exited: {self.process.returncode}"
            assert time.monotonic() < deadline, f"{name} never appeared"
            time.sleep(0.05)

    def signal(self, name: str) -> None:
        (self.folder / name).touch()

    def finish(self, timeout: float = 60) -> None:
        assert self.process.wait(timeout) == 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Dashboard:
    """A running ``python -m nbrun.server`` with the dashboard's assets, and a client for it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = TOKEN
        self.log = root / "server.log"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {TOKEN}"
        argv = [sys.executable, "-m", "nbrun.server", "--host", "127.0.0.1"]
        argv += ["--port", str(self.port), "--db-url", f"sqlite:///{root / 'nbrun.db'}"]
        argv += ["--storage", str(root / "storage"), "--token", TOKEN]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}{API_PREFIX}/health", timeout=1).ok:
                    return
            time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.log.read_text()}")

    def post_records(self, run: str, records: list[list[Any]]) -> None:
        """Send records as the SDK's sender does (for runs a test spells out by hand)."""
        body = msgpack.packb({"records": records}, use_bin_type=True)
        reply = self.session.post(
            f"{self.url}{run_path(*run.split('/'))}/records",
            data=body,
            headers={"Content-Type": MSGPACK_CONTENT_TYPE},
        )
        assert reply.ok, reply.text

    def run_info(self, run: str) -> dict[str, Any]:
        reply = self.session.get(f"{self.url}{run_path(*run.split('/'))}")
        assert reply.ok, reply.text
        info: dict[str, Any] = reply.json()
        return info

    def wait_uploaded(self, run: str, last_step: int, timeout: float = 60) -> None:
        """Wait until the server holds the run's rows up to ``last_step`` (the SDK uploads
        from a background thread)."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.session.get(f"{self.url}{run_path(*run.split('/'))}")
            if reply.ok and (reply.json()["last_step"] or -1) >= last_step:
                return
            assert reply.ok or reply.status_code == 404, reply.text
            assert time.monotonic() < deadline, f"{run} never reached step {last_step}"
            time.sleep(0.05)

    def read_token(self, run: str) -> str:
        reply = self.session.post(f"{self.url}{run_path(*run.split('/'))}/tokens")
        assert reply.ok, reply.text
        return str(reply.json()["token"])

    def start_logging(self, script: str, cwd: Path) -> Logger:
        """Run ``script`` in a Python process that logs to this server."""
        path = cwd / f"log_{uuid.uuid4().hex[:6]}.py"
        path.write_text(script)
        return Logger(subprocess.Popen([sys.executable, str(path)], cwd=cwd, env=self.env()), cwd)

    def env(self) -> dict[str, str]:
        """The environment of a process that logs runs to this server."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("NBRUN_", "WANDB_"))}
        return clean | {
            "NBRUN_BASE_URL": self.url,
            "NBRUN_API_KEY": self.token,
            "NBRUN_SILENT": "true",
            "NBRUN_CONSOLE": "off",
        }

    def stop(self) -> None:
        self.session.close()
        stop_process(self.process)


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    if not ASSETS.is_file():
        pytest.fail(f"the dashboard is not built ({ASSETS} missing): run labextension/build.sh")
    server = Dashboard(tmp_path_factory.mktemp("dashboard-server"))
    yield server
    server.stop()
    assert "Traceback" not in server.log.read_text(), server.log.read_text()[-5000:]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        if os.environ.get("NBRUN_TEST_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page plus what it did that a user would notice: dialogs and page errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp_violations: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def sign_in(self, dashboard: Dashboard) -> None:
        """Sign in as a user does, with the link ``nbrun server status`` prints."""
        self.page.goto(f"{dashboard.url}/login#token={dashboard.token}")
        self.page.wait_for_selector("main.page h1:text('Projects')")

    def open(self, url: str) -> Any:
        """Go to ``url`` and wait until the app says the page has loaded; returns the page."""
        self.page.goto(url)
        self.page.wait_for_selector("main[data-loaded='1']")
        return self.page

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot under tests/browser/artifacts/ for reviewers."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Watched]]:
    """Open pages in fresh browser contexts (no cookies shared between tests)."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 900) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        context.set_default_timeout(WAIT_MS)
        return Watched(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(new_page: Callable[..., Watched], dashboard: Dashboard) -> Watched:
    """A page signed in to the dashboard (a session cookie, as after the login page)."""
    watched = new_page()
    watched.sign_in(dashboard)
    return watched


@pytest.fixture
def project() -> str:
    """A fresh entity/project for one test."""
    return f"browser/proj-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def start_run(online: Dashboard, project: str) -> Callable[..., Any]:
    """``nbrun.init`` of a run in this test's project, logging to the dashboard's server."""
    import nbrun

    entity, name = project.split("/")
    return lambda **kwargs: nbrun.init(entity=entity, project=name, **kwargs)


@pytest.fixture
def start_logging(dashboard: Dashboard, tmp_path: Path) -> Iterator[Callable[[str], Logger]]:
    """Start logging processes (killed at the end of the test if still running)."""
    started: list[Logger] = []

    def start(script: str) -> Logger:
        logger = dashboard.start_logging(script, tmp_path)
        started.append(logger)
        return logger

    yield start
    for logger in started:
        logger.stop()


@pytest.fixture
def online(dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> Dashboard:
    """Runs created in this test's process log to the dashboard's server."""
    for name, value in dashboard.env().items():
        if name.startswith("NBRUN_"):
            monkeypatch.setenv(name, value)
    return dashboard

"""A backend that is down, silent (accepts and never answers), slow or refusing: init() starts at
once (its lookup of a run id is bounded), finish() keeps to its sync_timeout, and what could not
be uploaded waits on disk for `nbrun sync`, which places it after anything the backend has."""

from __future__ import annotations

import argparse
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.errors import UsageError
from nbrun.sync.command import run_sync
from nbrun.sync.online import LOOKUP_TIMEOUT_SECONDS
from tests.sync.conftest import ServerProcess, free_port

QUIET: dict[str, Any] = {"silent": True, "console": "off"}


def closed_port() -> Iterator[str]:
    yield f"http://127.0.0.1:{free_port()}"


def black_hole() -> Iterator[str]:
    """Accepts connections (the kernel completes them) and never reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _http_backend(status: int, delay: float) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            time.sleep(delay)
            body = b'{"detail": "unavailable"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def slow() -> Iterator[str]:
    """Answers every request, after 20 s."""
    yield from _http_backend(200, 20.0)


def refusing() -> Iterator[str]:
    """Answers every request at once with 503."""
    yield from _http_backend(503, 0.0)


BACKENDS: dict[str, Callable[[], Iterator[str]]] = {
    "down": closed_port,
    "black-hole": black_hole,
    "slow": slow,
    "refusing": refusing,
}


@pytest.fixture(params=sorted(BACKENDS))
def bad_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """NBRUN_BASE_URL pointing at a backend in one of the bad states."""
    make = BACKENDS[request.param]
    backend = make()
    url = next(backend)
    monkeypatch.setenv("NBRUN_BASE_URL", url)
    monkeypatch.setenv("NBRUN_API_KEY", "a-key-long-enough-for-any-server")
    yield url
    next(backend, None)


@pytest.mark.parametrize("sync_timeout", [0.5, 3.0])
def test_finish_keeps_to_sync_timeout_whatever_state_the_backend_is_in(
    bad_backend: str, sync_timeout: float, capfd: pytest.CaptureFixture[str]
) -> None:
    run = nbrun.init(project="faults", settings={**QUIET, "sync_timeout": sync_timeout})
    for step in range(1000):
        run.log({"loss": 1 / (step + 1)})

    started = time.monotonic()
    run.finish()
    took = time.monotonic() - started

    assert took <= sync_timeout + 0.5, f"finish took {took:.2f}s"
    err = capfd.readouterr().err
    assert "upload not finished" in err
    assert f"nbrun sync {Path(run.status().log_path or '').parent}" in err
    kept = nbrun.Api().run(str(Path(run.status().log_path or "").parent)).history(pandas=False)
    assert len(kept) == 1000  # everything waits on disk


@pytest.mark.parametrize("resume", [None, "allow"])
def test_init_with_an_id_starts_at_once_when_the_backend_does_not_answer(
    bad_backend: str, resume: str | None, capfd: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    run = nbrun.init(
        project="faults", id="chosen-id", resume=resume, settings={**QUIET, "sync_timeout": 0}
    )
    took = time.monotonic() - started

    assert took <= LOOKUP_TIMEOUT_SECONDS + 0.5, f"init took {took:.2f}s"
    assert "could not ask the backend" in capfd.readouterr().err
    run.log({"loss": 1.0})
    run.finish(quiet=True)
    assert run.id == "chosen-id"


def test_resume_must_raises_at_once_and_clearly_when_the_backend_does_not_answer(
    bad_backend: str,
) -> None:
    started = time.monotonic()
    with pytest.raises(UsageError, match="resume='must' needs the backend's record of run"):
        nbrun.init(project="faults", id="chosen-id", resume="must", settings=QUIET)
    assert time.monotonic() - started <= LOOKUP_TIMEOUT_SECONDS + 0.5


def _sync(*paths: Path) -> int:
    arguments = argparse.Namespace(
        paths=list(paths), include_synced=False, base_url=None, api_key=None
    )
    return run_sync(arguments)


def test_a_run_started_while_the_backend_was_away_uploads_after_what_it_already_has(
    server_process: ServerProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NBRUN_BASE_URL", server_process.url)
    monkeypatch.setenv("NBRUN_API_KEY", server_process.token)
    server_process.start()
    first = nbrun.init(project="faults", id="resumed-id", settings=QUIET)
    for step in range(100):
        first.log({"loss": float(step)})
    first.finish()
    assert first.status().synced
    server_process.stop()

    # Elsewhere (another folder, say another machine), with the backend away: the run cannot
    # learn that the backend holds 100 rows of this id already.
    elsewhere = tmp_path / "elsewhere"
    second = nbrun.init(
        project="faults",
        id="resumed-id",
        resume="allow",
        dir=str(elsewhere),
        settings={**QUIET, "sync_timeout": 0},
    )
    for step in range(50):
        second.log({"loss": 100.0 + step})
    second.finish()
    assert not second.status().synced

    server_process.start()
    assert _sync(elsewhere) == 0

    remote = nbrun.Api().run(second.path)
    history = remote.history(pandas=False)
    assert [row["_step"] for row in history] == list(range(150))
    assert [row["loss"] for row in history] == [float(v) for v in range(150)]
    assert remote.state == "finished"
    assert _sync(elsewhere) == 0  # again: nothing changes
    assert len(nbrun.Api().run(second.path).history(pandas=False)) == 150


def test_a_run_resumed_in_its_folder_while_the_backend_is_away_is_not_called_synced(
    server_process: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBRUN_BASE_URL", server_process.url)
    monkeypatch.setenv("NBRUN_API_KEY", server_process.token)
    server_process.start()
    first = nbrun.init(project="faults", id="local-id", settings=QUIET)
    first.log({"loss": 0.0})
    first.finish()
    server_process.stop()

    second = nbrun.init(
        project="faults", id="local-id", resume="allow", settings={**QUIET, "sync_timeout": 0}
    )
    second.log({"loss": 1.0})
    second.finish()

    assert not second.status().synced
    server_process.start()
    assert _sync() == 0
    assert [row["loss"] for row in nbrun.Api().run(second.path).history(pandas=False)] == [0, 1]


def test_a_backend_that_fails_is_said_at_once_and_again_when_it_answers(
    server_process: ServerProcess,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NBRUN_BASE_URL", server_process.url)
    monkeypatch.setenv("NBRUN_API_KEY", server_process.token)
    run = nbrun.init(project="faults", settings={**QUIET, "sync_timeout": 30})
    run.log({"loss": 1.0})
    said = ""
    deadline = time.monotonic() + 10
    while "cannot upload" not in said:
        assert time.monotonic() < deadline, "the failing backend was never mentioned"
        said += capfd.readouterr().err
        time.sleep(0.05)
    assert "the records wait on disk" in said

    server_process.start()
    run.finish()
    assert "answers again" in capfd.readouterr().err
    assert run.status().synced

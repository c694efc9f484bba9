"""A client killed in the middle of uploading a 500 MB artifact: `nbrun sync` completes the
version, and what downloads from the backend verifies against the manifest."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

import nbrun
from nbrun.paths import artifact_store_dir
from nbrun.sync.command import run_sync

SIZE_MB = 500

CHILD = """
import nbrun, sys
run = nbrun.init(project="big", settings={"silent": True, "console": "off"})
artifact = nbrun.Artifact("weights", "model")
artifact.add_file(sys.argv[1])
run.log_artifact(artifact)
print(run.path, run.dir, artifact.digest, flush=True)
artifact.wait(timeout=600)
print("committed", flush=True)
"""


def write_big_file(path: Path, megabytes: int) -> None:
    block = bytearray(os.urandom(1 << 20))
    with open(path, "wb") as f:
        for index in range(megabytes):
            block[:8] = index.to_bytes(8, "little")  # no two megabytes alike
            f.write(block)


def uploaded_bytes_in_flight(storage: Path) -> int:
    """The size of the blob the server is receiving (its temporary file), else 0."""
    sizes = [p.stat().st_size for p in (storage / "tmp").glob("*") if p.is_file()]
    return max(sizes, default=0)


def test_a_client_killed_mid_upload_leaves_a_version_that_nbrun_sync_completes(
    server: Any, isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "weights.bin"
    write_big_file(source, SIZE_MB)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(source)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    run_path, files_dir, digest = child.stdout.readline().split()
    # Killed once a fifth of the file has reached the server: the upload is surely not over.
    deadline = time.monotonic() + 120
    while uploaded_bytes_in_flight(server.storage) < (SIZE_MB << 20) // 5:
        assert child.poll() is None, "the client ended before the upload was under way"
        assert time.monotonic() < deadline, "the upload never started"
        time.sleep(0.002)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    entity = run_path.split("/")[0]
    version_url = f"{server.url}/api/v1/artifacts/{entity}/big/weights/v0"
    auth = {"Authorization": f"Bearer {server.token}"}
    assert requests.get(version_url, headers=auth, timeout=10).status_code == 404

    sync = argparse.Namespace(
        paths=[Path(files_dir).parent], include_synced=False, base_url=None, api_key=None
    )
    assert run_sync(sync) == 0
    shutil.rmtree(artifact_store_dir(), ignore_errors=True)  # bytes must come from the backend

    found = nbrun.Api().artifact(f"{entity}/big/weights:latest")
    folder = Path(found.download(tmp_path / "downloaded"))

    assert found.version == "v0" and found.digest == digest and found.size == SIZE_MB << 20
    found.verify(folder)
    assert [a.digest for a in nbrun.Api().run(run_path).logged_artifacts()] == [digest]

"""Online runs against a real server process: everything arrives exactly once, through
backend outages, server crashes and client crashes."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

import nbrun
from nbrun.sync.command import run_sync

QUIET: dict[str, Any] = {"silent": True, "console": "off"}


def logged_values(step: int) -> dict[str, Any]:
    return {"loss": 1 / (step + 1), "acc": (step % 97) / 97, "epoch": step // 1000}


def assert_history_exact(path: str, rows: int) -> None:
    remote = nbrun.Api().run(path)
    assert type(remote).__name__ == "RemoteRun"
    history = remote.history(pandas=False)
    assert len(history) == rows
    assert [r["_step"] for r in history] == list(range(rows))
    for row in history:
        expected = logged_values(row["_step"])
        assert {k: row[k] for k in expected} == expected


def test_ten_thousand_rows_read_back_exactly(server: Any) -> None:
    run = nbrun.init(project="e2e", config={"lr": 0.1, "layers": [64, 64]}, settings=QUIET)
    run.define_metric("loss", summary="min")
    for step in range(10_000):
        run.log(logged_values(step))
    run.summary["note"] = "done"
    run.finish()
    assert run.status().synced
    assert run.url is not None and run.url.startswith(server.url)
    remote = nbrun.Api().run(run.path)
    assert remote.state == "finished"
    assert remote.config == {"lr": 0.1, "layers": [64, 64]}
    assert remote.summary["loss"] == {"min": 1 / 10_000}
    assert remote.summary["note"] == "done"
    assert_history_exact(run.path, 10_000)


def _sync_args(paths: list[Path]) -> Any:
    import argparse

    return argparse.Namespace(paths=paths, include_synced=False, base_url=None, api_key=None)


def test_offline_runs_upload_with_nbrun_sync_and_are_marked_synced(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run = nbrun.init(project="e2e", mode="offline", settings=QUIET)
    for step in range(500):
        run.log(logged_values(step))
    run.finish()
    assert run.url is None
    assert run_sync(_sync_args([])) == 0
    assert_history_exact(run.path, 500)
    assert run_sync(_sync_args([])) == 0
    assert "nothing to sync" in capsys.readouterr().out


def test_nan_and_infinities_survive_the_round_trip(server: Any) -> None:
    run = nbrun.init(project="e2e", settings=QUIET)
    run.log({"x": math.nan, "y": math.inf, "z": -math.inf})
    run.finish()
    row = nbrun.Api().run(run.path).history(pandas=False)[0]
    assert math.isnan(row["x"]) and row["y"] == math.inf and row["z"] == -math.inf


def test_saved_files_and_console_output_reach_the_backend(server: Any, tmp_path: Path) -> None:
    Path("model.txt").write_text("weights v1")
    run = nbrun.init(project="e2e", settings={"silent": True})
    run.save("model.txt", policy="now")
    print("hello from the run")
    run.finish()
    remote = nbrun.Api().run(run.path)
    names = {f.name for f in remote.files()}
    assert {"model.txt", "output.log", "config.yaml", "nbrun-metadata.json"} <= names
    downloaded = remote.file("model.txt").download(root=str(tmp_path / "dl"))
    assert downloaded.read_text() == "weights v1"
    output = remote.file("output.log").download(root=str(tmp_path / "dl"))
    assert "hello from the run" in output.read_text()


def test_a_run_resumed_where_its_folder_is_absent_continues_from_the_backend(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = nbrun.init(project="e2e", id="resume-me", config={"lr": 0.1}, settings=QUIET)
    for step in range(100):
        first.log(logged_values(step))
    first.finish()
    elsewhere = tmp_path / "other-machine"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(nbrun.UsageError, match="already exists"):
        nbrun.init(project="e2e", id="resume-me", settings=QUIET)
    second = nbrun.init(project="e2e", id="resume-me", resume="must", settings=QUIET)
    assert second.resumed and second.step == 100 and second.config["lr"] == 0.1
    assert second.name == first.name
    for step in range(100, 150):
        second.log(logged_values(step))
    second.finish()
    assert second.status().synced
    assert_history_exact(second.path, 150)
    with pytest.raises(nbrun.UsageError, match="resume='must'"):
        nbrun.init(project="e2e", id="never-logged", resume="must", settings=QUIET)


def test_restore_downloads_a_file_an_earlier_run_saved(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("weights.bin").write_text("w=42")
    first = nbrun.init(project="e2e", settings=QUIET)
    first.save("weights.bin", policy="now")
    first.finish()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    handle = nbrun.restore("weights.bin", run_path=first.path, root=str(elsewhere))
    assert handle is not None
    with handle:
        assert handle.read() == "w=42"
    second = nbrun.init(project="e2e", settings=QUIET)
    assert second.restore("missing.bin", run_path=first.path) is None
    restored = second.restore("weights.bin", run_path=first.path, replace=True)
    assert restored is not None
    with restored:
        assert restored.read() == "w=42"
        assert Path(restored.name).parent == Path(second.dir)


def test_console_lines_alerts_and_the_program_reach_their_endpoints(server: Any) -> None:
    run = nbrun.init(project="e2e", settings={"silent": True})
    print("epoch 1 done")
    print("careful", file=sys.stderr)
    run.alert("loss spiked", "above 10", level="WARN")
    run.log({"loss": 1.0})
    print("last words")
    run.finish()
    base = f"{server.url}/api/v1/runs/{run.path}"
    auth = {"Authorization": f"Bearer {server.token}"}
    lines = requests.get(f"{base}/console", headers=auth, timeout=10).json()["lines"]
    seen = [(line["stream"], line["text"]) for line in lines]
    mine = [pair for pair in seen if pair[1] in ("epoch 1 done", "careful", "last words")]
    assert mine == [("stdout", "epoch 1 done"), ("stderr", "careful"), ("stdout", "last words")]
    assert [line["n"] for line in lines] == list(range(len(lines)))
    alerts = requests.get(f"{base}/alerts", headers=auth, timeout=10).json()["alerts"]
    assert [(a["title"], a["text"], a["level"]) for a in alerts] == [
        ("loss spiked", "above 10", "WARN")
    ]
    program = requests.get(base, headers=auth, timeout=10).json()["program"]
    metadata = json.loads((Path(run.dir) / "nbrun-metadata.json").read_text())
    assert program == metadata["program"] and program.endswith(".py")

"""nbrun.Api over local runs: finding runs, reading config/summary/state, history and scans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nbrun


@pytest.fixture
def finished_run(offline_settings: dict[str, Any]) -> nbrun.Run:
    run = nbrun.init(
        project="mnist", entity="ana", config={"lr": 0.01}, group="cv", **offline_settings
    )
    for step in range(50):
        if step % 10 == 0:
            run.log({"val/acc": step / 100}, commit=False)
        run.log({"loss": 1 / (step + 1), "acc": step / 50, "extra": {"gpu": step}})
    run.finish()
    return run


def test_a_run_is_found_by_path_project_and_id_id_or_directory(
    finished_run: nbrun.Run,
) -> None:
    api = nbrun.Api()
    run_dir = str(Path(finished_run.dir).parent)
    for path in (finished_run.path, f"mnist/{finished_run.id}", finished_run.id, run_dir):
        read = api.run(path)
        assert read.id == finished_run.id and read.path == finished_run.path


def test_a_wrong_project_or_unknown_id_raises_naming_the_path(finished_run: nbrun.Run) -> None:
    with pytest.raises(nbrun.Error, match="no run 'ana/other/"):
        nbrun.Api().run(f"ana/other/{finished_run.id}")
    with pytest.raises(nbrun.Error, match="no run 'nope'"):
        nbrun.Api().run("nope")


def test_config_summary_and_metadata_read_back(finished_run: nbrun.Run) -> None:
    read = nbrun.Api().run(finished_run.path)
    assert read.config == {"lr": 0.01}
    assert read.summary["loss"] == 1 / 50 and read.summary["_step"] == 49
    assert read.summary["val/acc"] == 0.4
    assert (read.name, read.group, read.project, read.entity) == (
        finished_run.name,
        "cv",
        "mnist",
        "ana",
    )
    assert read.state == "finished" and read.last_step == 49


def test_history_is_a_dataframe_with_one_row_per_step(finished_run: nbrun.Run) -> None:
    frame = nbrun.Api().run(finished_run.path).history()
    assert len(frame) == 50
    assert list(frame["_step"]) == list(range(50))
    assert {"loss", "acc", "extra.gpu", "val/acc", "_runtime", "_timestamp"} <= set(frame.columns)
    assert frame["val/acc"].notna().sum() == 5
    assert frame.loc[10, "val/acc"] == 0.1


def test_history_with_keys_keeps_rows_holding_them(finished_run: nbrun.Run) -> None:
    frame = nbrun.Api().run(finished_run.path).history(keys=["val/acc"])
    assert list(frame.columns) == ["_step", "val/acc"]
    assert list(frame["_step"]) == [0, 10, 20, 30, 40]


def test_scan_history_streams_every_row_and_honours_step_bounds(
    finished_run: nbrun.Run,
) -> None:
    read = nbrun.Api().run(finished_run.path)
    scan = read.scan_history()
    assert next(scan)["_step"] == 0
    assert sum(1 for _ in scan) == 49
    bounded = list(read.scan_history(keys=["loss"], min_step=10, max_step=13))
    assert bounded == [{"_step": s, "loss": 1 / (s + 1)} for s in (10, 11, 12)]


def test_a_running_run_can_be_read_while_it_logs(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"a": 1})
    run.detach()
    read = nbrun.Api().run(run.path)
    assert read.state == "running" and read.summary["a"] == 1


def test_runs_lists_a_projects_runs_newest_first_with_filters(
    offline_settings: dict[str, Any],
) -> None:
    made = []
    for group in ("a", "b", "a"):
        run = nbrun.init(project="sweep", group=group, **offline_settings)
        run.finish()
        made.append(run.id)
    nbrun.init(project="elsewhere", **offline_settings).finish()
    api = nbrun.Api()
    assert [r.id for r in api.runs("sweep")] == made[::-1]
    assert [r.id for r in api.runs("sweep", filters={"group": "a"})] == [made[2], made[0]]
    assert len(api.runs()) == 4


def test_runs_under_nbrun_dir_are_found_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBRUN_DIR", str(tmp_path / "store"))
    run = nbrun.init(mode="offline", settings={"silent": True, "console": "off"})
    run.finish()
    assert str(tmp_path / "store") in run.dir
    monkeypatch.chdir(tmp_path)
    assert nbrun.Api().run(run.path).id == run.id


def test_history_without_pandas_asks_for_it_by_name(
    finished_run: nbrun.Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    read = nbrun.Api().run(finished_run.path)
    with pytest.raises(ImportError, match="pip install pandas"):
        read.history()
    assert len(read.history(pandas=False)) == 50

"""The Run's attributes, lifecycle, local files, resume and the methods that wait on later work."""

from __future__ import annotations

import inspect
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.record.replay import replay_log

REFERENCE_ATTRIBUTES = [
    "summary",
    "config",
    "dir",
    "entity",
    "group",
    "id",
    "mode",
    "name",
    "notes",
    "path",
    "project",
    "resumed",
    "settings",
    "start_time",
    "starting_step",
    "step",
    "sweep_id",
    "tags",
    "url",
]
REFERENCE_METHODS = {
    "alert": ["title", "text", "level", "wait_duration"],
    "define_metric": ["name", "step_metric", "step_sync", "hidden", "summary", "goal", "overwrite"],
    "detach": [],
    "display": ["height", "hidden"],
    "finish": ["exit_code", "quiet"],
    "finish_artifact": ["artifact_or_path", "name", "type", "aliases", "distributed_id"],
    "get_project_url": [],
    "get_sweep_url": [],
    "get_url": [],
    "join": ["exit_code"],
    "link_artifact": ["artifact", "target_path", "aliases"],
    "link_model": ["path", "registered_model_name", "name", "aliases"],
    "log": ["data", "step", "commit", "sync"],
    "log_artifact": ["artifact_or_path", "name", "type", "aliases", "tags"],
    "log_code": ["root", "name", "include_fn", "exclude_fn"],
    "log_model": ["path", "name", "aliases"],
    "mark_preempting": [],
    "project_name": [],
    "restore": ["name", "run_path", "replace", "root"],
    "save": ["glob_str", "base_path", "policy"],
    "status": [],
    "to_html": ["height", "hidden"],
    "unwatch": ["models"],
    "upsert_artifact": ["artifact_or_path", "name", "type", "aliases", "distributed_id"],
    "use_artifact": ["artifact_or_name", "type", "aliases", "use_as"],
    "use_model": ["name"],
    "watch": ["models", "criterion", "log", "log_freq", "idx", "log_graph"],
}


def test_every_reference_method_exists_with_the_reference_parameters() -> None:
    for method, parameters in REFERENCE_METHODS.items():
        signature = inspect.signature(getattr(nbrun.Run, method))
        assert list(signature.parameters)[1:] == parameters, method


def test_every_reference_attribute_is_readable(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(
        project="proj",
        entity="team",
        name="first",
        notes="*hi*",
        tags=["a", "b"],
        group="g",
        **offline_settings,
    )
    values = {name: getattr(run, name) for name in REFERENCE_ATTRIBUTES}
    assert values["path"] == f"team/proj/{run.id}"
    assert (values["project"], values["entity"], values["name"]) == ("proj", "team", "first")
    assert values["tags"] == ("a", "b") and values["group"] == "g" and values["notes"] == "*hi*"
    assert values["step"] == 0 and values["starting_step"] == 0 and values["resumed"] is False
    assert values["url"] is None and values["sweep_id"] is None and values["mode"] == "dryrun"
    assert abs(values["start_time"] - time.time()) < 60
    assert Path(values["dir"]).is_dir() and Path(values["dir"]).name == "files"
    assert run.project_name() == "proj"
    assert run.get_url() is None and run.get_project_url() is None and run.get_sweep_url() is None


def test_defaults_give_a_random_name_an_eight_character_id_and_a_project(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(**offline_settings)
    assert len(run.id) == 8 and run.id.isalnum()
    assert run.name.count("-") == 2
    assert run.project == "uncategorized"


def test_an_invalid_run_id_is_refused_by_name(offline_settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="run id 'a/b' is invalid"):
        nbrun.init(id="a/b", **offline_settings)


def test_the_run_directory_holds_the_log_and_the_run_files(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(config={"lr": 0.1}, **offline_settings)
    run.log({"loss": 0.25})
    run.finish()
    run_dir = Path(run.dir).parent
    assert run_dir.name.startswith("offline-run-") and run_dir.name.endswith(run.id)
    assert (run_dir / f"run-{run.id}.nbrun").is_file()
    assert (run_dir.parent / "latest-run").resolve() == run_dir.resolve()
    files = Path(run.dir)
    assert json.loads((files / "nbrun-summary.json").read_text())["loss"] == 0.25
    metadata = json.loads((files / "nbrun-metadata.json").read_text())
    assert metadata["run_id"] == run.id and metadata["python"]
    assert "msgpack==" in (files / "requirements.txt").read_text()
    assert "lr:\n  value: 0.1" in (files / "config.yaml").read_text()


def test_output_of_the_run_is_saved_to_output_log(capsys: pytest.CaptureFixture[str]) -> None:
    run = nbrun.init(mode="offline", settings={"silent": True})
    print("epoch 1 done")
    run.finish()
    assert "epoch 1 done" in capsys.readouterr().out
    assert "epoch 1 done" in (Path(run.dir) / "output.log").read_text()


def test_finish_marks_the_state_by_exit_code(offline_settings: dict[str, Any]) -> None:
    ok = nbrun.init(**offline_settings)
    ok.finish()
    failed = nbrun.init(**offline_settings)
    failed.finish(exit_code=3)
    assert ok.status().state == "finished" and failed.status().state == "failed"
    assert nbrun.Api().run(ok.path).state == "finished"
    assert nbrun.Api().run(failed.path).state == "failed"
    assert nbrun.Api().run(failed.path).exit_code == 3


def test_calls_on_a_finished_run_raise_naming_the_run(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(name="done-run", **offline_settings)
    run.finish()
    run.finish()  # finishing twice is harmless
    for call in (
        lambda: run.log({"a": 1}),
        lambda: run.define_metric("a"),
        lambda: run.alert("t", "x"),
        lambda: run.config.update({"a": 1}),
        lambda: run.summary.update({"a": 1}),
    ):
        with pytest.raises(nbrun.Error, match=f"done-run \\({run.id}\\) is finished"):
            call()


def test_join_is_an_alias_of_finish(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.join()
    assert run.status().state == "finished" and nbrun.run is None


def test_a_with_block_finishes_the_run(offline_settings: dict[str, Any]) -> None:
    with nbrun.init(**offline_settings) as run:
        run.log({"a": 1})
    assert nbrun.run is None
    assert nbrun.Api().run(run.path).state == "finished"


def test_an_exception_in_a_with_block_fails_the_run_and_propagates(
    offline_settings: dict[str, Any],
) -> None:
    with pytest.raises(RuntimeError, match="boom"), nbrun.init(**offline_settings) as run:
        raise RuntimeError("boom")
    assert nbrun.Api().run(run.path).state == "failed"
    assert nbrun.Api().run(run.path).exit_code == 1


def test_status_reports_records_written_and_pending(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    for i in range(10):
        run.log({"i": i})
    run.detach()  # makes everything durable
    status = run.status()
    assert status.state == "running" and status.step == 10
    assert status.records_pending == 0 and status.records_written >= 11
    assert status.last_error is None and status.synced is False
    assert Path(status.log_path or "").is_file()


def test_mark_preempting_is_on_disk_at_once(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(
        settings={"silent": True, "console": "off", "flush_interval": 30.0}, mode="offline"
    )
    run.mark_preempting()
    assert replay_log(run.status().log_path or "").preempting
    assert nbrun.Api().run(run.path).state == "preempting"


def test_renaming_a_run_is_recorded(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.name = "renamed"
    run.tags = ["x"]
    run.notes = "why"
    run.finish()
    read = nbrun.Api().run(run.path)
    assert (read.name, read.tags, read.notes) == ("renamed", ["x"], "why")


def test_methods_that_need_later_work_raise_a_clear_error(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(**offline_settings)
    for call, name in (
        (lambda: run.watch(None), "watch"),
        (lambda: run.unwatch(), "unwatch"),
    ):
        with pytest.raises(nbrun.Error, match=f"run.{name}\\(\\) is not available yet"):
            call()


def test_restore_fetches_a_file_saved_by_an_earlier_local_run(
    offline_settings: dict[str, Any], tmp_path: Path
) -> None:
    Path("weights.txt").write_text("w=1")
    first = nbrun.init(**offline_settings)
    first.save("weights.txt", policy="now")
    first.finish()
    os.remove("weights.txt")
    second = nbrun.init(**offline_settings)
    restored = second.restore("weights.txt", run_path=first.path, root=str(tmp_path / "out"))
    assert restored is not None
    with restored:
        assert restored.read() == "w=1"
    assert second.restore("missing.txt", run_path=first.path) is None
    with pytest.raises(ValueError, match="no run 'someone/else/unknown1'"):
        second.restore("weights.txt", run_path="someone/else/unknown1")


def test_to_html_of_an_offline_run_is_a_self_contained_escaped_view(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(name="<script>alert(1)</script>", **offline_settings)
    run.log({"acc": 0.5})
    html = run.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    # No server to point at: the view travels in the iframe's srcdoc.
    assert html.startswith("<iframe srcdoc=") and "acc" in html
    assert run.display() is False


def test_resume_allow_continues_the_same_run_after_its_last_step(
    offline_settings: dict[str, Any],
) -> None:
    first = nbrun.init(id="resumable", config={"lr": 0.1}, **offline_settings)
    first.define_metric("loss", summary="min")
    for loss in (0.9, 0.5, 0.7):
        first.log({"loss": loss})
    first.finish(exit_code=1)

    second = nbrun.init(id="resumable", resume="allow", **offline_settings)
    assert second.resumed and second.starting_step == 3 and second.step == 3
    assert second.name == first.name and second.config["lr"] == 0.1
    second.log({"loss": 0.6})
    second.finish()
    read = nbrun.Api().run("resumable")
    assert read.state == "finished"
    assert [r["_step"] for r in read.history(pandas=False)] == [0, 1, 2, 3]
    assert read.summary["loss"] == {"min": 0.5}


def test_resume_rules_for_must_never_and_an_existing_id(
    offline_settings: dict[str, Any],
) -> None:
    with pytest.raises(nbrun.UsageError, match="resume='must'"):
        nbrun.init(id="nothere", resume="must", **offline_settings)
    nbrun.init(id="taken", **offline_settings).finish()
    with pytest.raises(nbrun.UsageError, match="already exists"):
        nbrun.init(id="taken", resume="never", **offline_settings)
    with pytest.raises(nbrun.UsageError, match="resume='allow'"):
        nbrun.init(id="taken", **offline_settings)

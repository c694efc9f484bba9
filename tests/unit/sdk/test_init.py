"""nbrun.init and the module-level API: the active run, reinit, and errors before init."""

from __future__ import annotations

from typing import Any

import pytest

import nbrun


def test_nbrun_run_is_none_before_init_and_after_finish(offline_settings: dict[str, Any]) -> None:
    assert nbrun.run is None
    run = nbrun.init(**offline_settings)
    assert nbrun.run is run
    nbrun.finish()
    assert nbrun.run is None


def test_module_functions_follow_the_active_run(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(config={"lr": 0.1}, **offline_settings)
    nbrun.log({"loss": 0.5})
    nbrun.config.update({"batch": 32})
    nbrun.summary["best"] = 0.9
    nbrun.define_metric("loss", summary="min")
    nbrun.alert("slow", "epoch took long")
    assert nbrun.config is run.config and nbrun.summary is run.summary
    assert run.config.as_dict() == {"lr": 0.1, "batch": 32}
    assert run.summary["best"] == 0.9 and run.step == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: nbrun.log({"a": 1}),
        lambda: nbrun.save("x"),
        lambda: nbrun.define_metric("a"),
        lambda: nbrun.alert("t", "x"),
        lambda: nbrun.watch(None),
        lambda: nbrun.mark_preempting(),
        lambda: nbrun.config["a"],
        lambda: nbrun.config.update({"a": 1}),
        lambda: nbrun.summary["a"],
    ],
)
def test_using_the_module_api_before_init_raises_nbrun_error(call: Any) -> None:
    with pytest.raises(nbrun.Error, match=r"nbrun\.init\(\)"):
        call()


def test_finish_without_a_run_does_nothing() -> None:
    nbrun.finish()


def test_a_second_init_in_a_script_returns_the_active_run(
    offline_settings: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    first = nbrun.init(**offline_settings)
    assert nbrun.init(**offline_settings) is first
    assert "returned the active run" in capsys.readouterr().err


def test_reinit_finish_previous_finishes_the_active_run(offline_settings: dict[str, Any]) -> None:
    first = nbrun.init(**offline_settings)
    second = nbrun.init(reinit=True, **offline_settings)
    assert second is not first and nbrun.run is second
    assert first.status().state == "finished"
    third = nbrun.init(reinit="finish_previous", **offline_settings)
    assert second.status().state == "finished" and nbrun.run is third


def test_reinit_create_new_leaves_the_active_run_alone(offline_settings: dict[str, Any]) -> None:
    main = nbrun.init(**offline_settings)
    side = nbrun.init(reinit="create_new", **offline_settings)
    side.log({"eval": 1})
    side.finish()
    assert nbrun.run is main and main.status().state == "running"


def test_bad_reinit_and_unknown_arguments_are_named(offline_settings: dict[str, Any]) -> None:
    with pytest.raises(nbrun.UsageError, match="reinit"):
        nbrun.init(reinit="sometimes", **offline_settings)
    with pytest.raises(TypeError, match="projct"):
        nbrun.init(projct="typo", **offline_settings)  # type: ignore[call-arg]


def test_reference_arguments_nbrun_ignores_are_accepted_with_a_warning(
    offline_settings: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    nbrun.init(sync_tensorboard=True, anonymous="allow", **offline_settings)
    err = capsys.readouterr().err
    assert "sync_tensorboard" in err and "anonymous" in err


def test_an_online_run_without_a_startable_server_goes_on_offline_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("NBRUN_DATA_DIR", str(blocker / "nbrun"))
    run = nbrun.init(settings={"console": "off"})
    run.log({"a": 1})
    run.finish()
    err = capsys.readouterr().err
    assert "cannot start the embedded nbrun server" in err and "recorded offline" in err
    assert run.url is None and "offline-run-" in run.dir
    assert nbrun.Api().run(run.path).summary["a"] == 1


def test_an_uncaught_exception_at_exit_marks_the_run_failed(tmp_path: Any) -> None:
    import subprocess
    import sys

    script = (
        "import nbrun\n"
        "run = nbrun.init(mode='offline', settings={'silent': True})\n"
        "print(run.path, flush=True)\n"
        "run.log({'a': 1})\n"
        "raise SystemExit('boom') if False else ValueError('boom')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert "ValueError: boom" in done.stderr
    path = done.stdout.strip()
    read = nbrun.Api(dirs=[tmp_path]).run(path)
    assert read.state == "failed" and read.summary["a"] == 1


def test_a_script_that_never_calls_finish_is_finished_at_exit(tmp_path: Any) -> None:
    import subprocess
    import sys

    script = (
        "import nbrun\n"
        "run = nbrun.init(mode='offline', settings={'silent': True})\n"
        "print(run.path, flush=True)\n"
        "run.log({'a': 1})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert nbrun.Api(dirs=[tmp_path]).run(done.stdout.strip()).state == "finished"

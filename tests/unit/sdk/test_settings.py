import dataclasses
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nbrun

QUIET = {"silent": True, "console": "off"}

# (variable suffix, value in the environment, what the run shows, expected)
ENV_FIELDS: list[tuple[str, str, Callable[[nbrun.Run], Any], Any]] = [
    ("PROJECT", "env-project", lambda run: run.project, "env-project"),
    ("ENTITY", "env-team", lambda run: run.entity, "env-team"),
    ("NAME", "env-name", lambda run: run.name, "env-name"),
    ("TAGS", "baseline, resnet,baseline", lambda run: run.tags, ("baseline", "resnet")),
    ("GROUP", "fold-1", lambda run: run.group, "fold-1"),
    ("JOB_TYPE", "eval", lambda run: run.job_type, "eval"),
    ("NOTES", "first try", lambda run: run.notes, "first try"),
    ("RUN_ID", "abc123", lambda run: run.id, "abc123"),
]
ENV_IDS = [field[0] for field in ENV_FIELDS]


def quiet_offline(**kwargs: Any) -> nbrun.Run:
    return nbrun.init(mode="offline", settings=dict(QUIET), **kwargs)


def cwd_contents() -> set[str]:
    return {p.relative_to(Path.cwd()).as_posix() for p in Path.cwd().rglob("*")}


# -- environment variables -----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["NBRUN_", "WANDB_"])
@pytest.mark.parametrize(("suffix", "value", "shown", "expected"), ENV_FIELDS, ids=ENV_IDS)
def test_an_environment_variable_sets_the_run_field(
    monkeypatch: pytest.MonkeyPatch,
    prefix: str,
    suffix: str,
    value: str,
    shown: Callable[[nbrun.Run], Any],
    expected: Any,
) -> None:
    monkeypatch.setenv(prefix + suffix, value)

    run = quiet_offline()

    assert shown(run) == expected


@pytest.mark.parametrize(("suffix", "value", "shown", "expected"), ENV_FIELDS, ids=ENV_IDS)
def test_the_nbrun_variable_wins_over_the_wandb_one(
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    value: str,
    shown: Callable[[nbrun.Run], Any],
    expected: Any,
) -> None:
    monkeypatch.setenv("NBRUN_" + suffix, value)
    monkeypatch.setenv("WANDB_" + suffix, "wandb-value")

    run = quiet_offline()

    assert shown(run) == expected


def test_fields_from_the_environment_reach_the_record_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBRUN_PROJECT", "vision")
    monkeypatch.setenv("WANDB_ENTITY", "team")
    monkeypatch.setenv("NBRUN_NAME", "baseline")
    monkeypatch.setenv("WANDB_TAGS", "a,b")
    monkeypatch.setenv("NBRUN_GROUP", "cv")
    monkeypatch.setenv("WANDB_JOB_TYPE", "train")
    run = quiet_offline()
    run.finish(quiet=True)

    recorded = nbrun.Api().run(run.path)

    assert run.path == f"team/vision/{run.id}"
    assert (recorded.entity, recorded.project, recorded.name) == ("team", "vision", "baseline")
    assert (recorded.tags, recorded.group, recorded.job_type) == (["a", "b"], "cv", "train")


@pytest.mark.parametrize("variable", ["NBRUN_MODE", "WANDB_MODE"])
@pytest.mark.parametrize("mode", ["offline", "dryrun"])
def test_the_mode_variable_sets_the_mode(
    monkeypatch: pytest.MonkeyPatch, variable: str, mode: str
) -> None:
    monkeypatch.setenv(variable, mode)

    run = nbrun.init(settings=dict(QUIET))

    assert run.settings.mode == "offline"
    assert run.offline
    assert Path(run.dir).parent.name.startswith("offline-run-")


def test_nbrun_mode_wins_over_wandb_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBRUN_MODE", "offline")
    monkeypatch.setenv("WANDB_MODE", "disabled")

    run = nbrun.init(settings=dict(QUIET))

    assert run.settings.mode == "offline"


@pytest.mark.parametrize("variable", ["NBRUN_DIR", "WANDB_DIR"])
def test_the_dir_variable_puts_runs_under_that_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str
) -> None:
    root = tmp_path / "runs"
    monkeypatch.setenv(variable, str(root))

    run = quiet_offline()
    run.log({"loss": 1.0})
    run.finish(quiet=True)

    assert Path(run.dir).is_relative_to(root / "nbrun")
    assert cwd_contents() == set()
    assert nbrun.Api().run(run.path).history(pandas=False)[0]["loss"] == 1.0


def test_nbrun_dir_wins_over_wandb_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NBRUN_DIR", str(tmp_path / "nb"))
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wb"))

    run = quiet_offline()

    assert Path(run.dir).is_relative_to(tmp_path / "nb")


@pytest.mark.parametrize(
    ("variables", "silent"),
    [
        ({"NBRUN_SILENT": "true"}, True),
        ({"WANDB_SILENT": "1"}, True),
        ({"NBRUN_SILENT": "false", "WANDB_SILENT": "true"}, False),
        ({}, False),
    ],
)
def test_the_silent_variable_silences_nbrun_messages(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    silent: bool,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    run = nbrun.init(mode="offline", settings={"console": "off"})
    run.finish()

    err = capsys.readouterr().err
    assert run.settings.silent is silent
    assert ("recording run" not in err) is silent
    assert ("read it back" not in err) is silent


def test_warnings_still_print_when_silent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NBRUN_SILENT", "1")
    run = nbrun.init(mode="offline", settings={"console": "off"})

    run.save("no-such-file.txt")

    assert "no-such-file.txt" in capsys.readouterr().err


def test_an_unreadable_boolean_variable_raises_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBRUN_SILENT", "maybe")

    with pytest.raises(nbrun.UsageError, match="'maybe'"):
        nbrun.init(mode="offline", settings={"console": "off"})


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBRUN_PROJECT", "")
    monkeypatch.setenv("NBRUN_TAGS", "")

    run = quiet_offline()

    assert run.project == "uncategorized"
    assert run.tags == ()


# -- precedence ----------------------------------------------------------------------------


def test_init_arguments_beat_settings_which_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBRUN_PROJECT", "from-env")
    monkeypatch.setenv("NBRUN_GROUP", "from-env")
    monkeypatch.setenv("NBRUN_JOB_TYPE", "from-env")
    settings = {**QUIET, "project": "from-settings", "group": "from-settings"}

    run = nbrun.init(mode="offline", project="from-init", settings=settings)

    assert run.project == "from-init"
    assert run.group == "from-settings"
    assert run.job_type == "from-env"


def test_a_settings_object_works_like_a_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBRUN_MODE", "disabled")
    settings = nbrun.Settings(mode="offline", project="p", tags=("x",), silent=True, console="off")

    run = nbrun.init(settings=settings)

    assert (run.settings.mode, run.project, run.tags) == ("offline", "p", ("x",))


def test_init_mode_beats_the_mode_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBRUN_MODE", "disabled")

    run = quiet_offline()

    assert run.settings.mode == "offline"
    assert run.status().log_path is not None


def test_init_tags_replace_the_tags_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBRUN_TAGS", "env")

    assert quiet_offline(tags=["a", "b"]).tags == ("a", "b")


def test_empty_init_tags_replace_the_tags_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBRUN_TAGS", "env")

    assert quiet_offline(tags=[]).tags == ()


def test_a_single_string_tag_in_init_is_one_tag() -> None:
    assert quiet_offline(tags="baseline").tags == ("baseline",)


def test_unset_fields_get_defaults() -> None:
    run = nbrun.init(settings=dict(QUIET))

    assert run.settings.mode == "online"
    assert run.project == "uncategorized"
    assert run.tags == ()
    assert run.group is None
    assert run.settings.run_id == run.id
    assert run.settings.name == run.name


# -- secrets -------------------------------------------------------------------------------


def test_wandb_api_key_and_base_url_are_not_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    # A WANDB_API_KEY is a secret for another service: it must never be picked up.
    monkeypatch.setenv("WANDB_API_KEY", "wandb-secret")
    monkeypatch.setenv("WANDB_BASE_URL", "https://api.wandb.ai")

    run = quiet_offline()

    assert run.settings.api_key is None
    assert run.settings.base_url is None


def test_nbrun_api_key_and_base_url_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBRUN_API_KEY", "nbrun-secret")
    monkeypatch.setenv("WANDB_API_KEY", "wandb-secret")
    monkeypatch.setenv("NBRUN_BASE_URL", "http://localhost:8080")

    run = quiet_offline()

    assert run.settings.api_key == "nbrun-secret"
    assert run.settings.base_url == "http://localhost:8080"


def test_the_api_key_is_hidden_from_repr_and_not_written_to_disk() -> None:
    run = nbrun.init(mode="offline", settings={**QUIET, "api_key": "sekrit-123"})
    run.log({"loss": 1.0})
    run.finish(quiet=True)

    assert run.settings.api_key == "sekrit-123"
    assert "sekrit-123" not in repr(run.settings)
    assert "sekrit-123" not in str(run.settings)
    assert "api_key='***'" in repr(run.settings)
    assert "sekrit-123" not in repr(run)
    written = [p for p in Path.cwd().rglob("*") if p.is_file()]
    assert written
    assert not [p for p in written if b"sekrit-123" in p.read_bytes()]


# -- the run's settings --------------------------------------------------------------------


def test_run_settings_are_frozen() -> None:
    run = quiet_offline(project="p")

    with pytest.raises(dataclasses.FrozenInstanceError):
        run.settings.project = "other"  # type: ignore[misc]
    assert run.project == "p"


def test_run_settings_are_fully_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_GROUP", "g")

    settings = quiet_offline(project="p").settings

    assert isinstance(settings, nbrun.Settings)
    assert (settings.mode, settings.project, settings.group) == ("offline", "p", "g")
    assert settings.silent is True
    assert settings.console == "off"


def test_settings_tags_accept_a_comma_separated_string_and_drop_duplicates() -> None:
    assert nbrun.Settings(tags="a, b,,a").tags == ("a", "b")  # type: ignore[arg-type]
    assert nbrun.Settings(tags=["x", "x", " y "]).tags == ("x", "y")  # type: ignore[arg-type]


def test_an_unknown_setting_raises_usage_error_naming_it() -> None:
    with pytest.raises(nbrun.UsageError, match="colour"):
        nbrun.init(mode="offline", settings={**QUIET, "colour": "blue"})


def test_settings_of_the_wrong_type_raise_type_error() -> None:
    with pytest.raises(TypeError, match="list"):
        nbrun.init(mode="offline", settings=[("silent", True)])  # type: ignore[arg-type]


def test_an_unknown_console_mode_raises_usage_error_naming_it() -> None:
    with pytest.raises(nbrun.UsageError, match="'loud'"):
        nbrun.init(mode="offline", settings={"silent": True, "console": "loud"})


# -- modes ---------------------------------------------------------------------------------


def test_an_unknown_mode_raises_usage_error_naming_it_and_starts_no_run() -> None:
    with pytest.raises(nbrun.UsageError, match="'sideways'"):
        nbrun.init(mode="sideways", settings=dict(QUIET))

    assert nbrun.run is None
    assert cwd_contents() == set()


def test_an_unknown_mode_variable_raises_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WANDB_MODE", "sideways")

    with pytest.raises(nbrun.UsageError, match="'sideways'"):
        nbrun.init(settings=dict(QUIET))


def test_dryrun_means_offline() -> None:
    run = nbrun.init(mode="dryrun", settings=dict(QUIET))

    assert run.settings.mode == "offline"
    assert run.offline
    assert run.url is None


@pytest.mark.parametrize(("mode", "shown"), [("offline", "dryrun"), ("online", "run")])
def test_run_mode_has_the_references_compatibility_values(mode: str, shown: str) -> None:
    assert nbrun.init(mode=mode, settings=dict(QUIET)).mode == shown


def test_run_means_online() -> None:
    run = nbrun.init(mode="run", settings=dict(QUIET))

    assert run.settings.mode == "online"
    assert not run.offline


def test_in_disabled_mode_every_call_works_and_nothing_is_written() -> None:
    Path("model.pt").write_text("weights")
    before = cwd_contents()

    with nbrun.init(mode="disabled", config={"lr": 0.1}, project="p") as run:
        assert nbrun.run is run
        run.log({"loss": 0.5})
        nbrun.log({"loss": 0.4, "nested": {"a": 1}})
        run.log({"acc": 0.9}, step=5)
        run.config.update({"epochs": 3})
        nbrun.config.batch_size = 32
        run.summary["best_loss"] = 0.4
        run.define_metric("loss", summary="min")
        assert run.save("model.pt") == []
        assert nbrun.save("*.pt", policy="now") == []
        run.alert("Title", "text", level="WARN")
        run.mark_preempting()
        run.name = "renamed"
        assert run.status().log_path is None
        assert run.project == "p"

    assert cwd_contents() == before
    assert nbrun.run is None
    assert run.summary["loss"] == 0.4
    assert run.summary["best_loss"] == 0.4
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3, "batch_size": 32}
    assert run.step == 6
    assert run.status().state == "finished"


def test_in_disabled_mode_run_dir_is_a_writable_folder_outside_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    run = nbrun.init(mode="disabled")

    with open(os.path.join(run.dir, "model.pt"), "w") as checkpoint:
        checkpoint.write("weights")
    run.save(os.path.join(run.dir, "model.pt"))
    run.finish()

    assert cwd_contents() == set()


@pytest.mark.parametrize("variable", ["NBRUN_MODE", "WANDB_MODE"])
def test_the_mode_variable_can_disable_runs(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "disabled")

    run = nbrun.init(config={"lr": 0.1})
    run.log({"loss": 1.0})
    run.finish()

    assert run.disabled
    assert cwd_contents() == set()

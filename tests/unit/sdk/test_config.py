import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import nbrun
from nbrun.sdk.config import Config


def start(offline_settings: dict[str, Any], **kwargs: Any) -> nbrun.Run:
    return nbrun.init(**offline_settings, **kwargs)


def recorded_config(run: nbrun.Run) -> dict[str, Any]:
    """The config a reader sees once the run is finished."""
    run.finish(quiet=True)
    return nbrun.Api().run(run.path).config


def config_yaml(run: nbrun.Run) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((Path(run.dir) / "config.yaml").read_text())
    return loaded


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# -- reading -------------------------------------------------------------------------------


def test_values_are_readable_as_attributes_and_items(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"lr": 0.1, "layers": [64, 32]})

    assert run.config.lr == 0.1
    assert run.config["lr"] == 0.1
    assert run.config.layers == [64, 32]
    assert run.config.get("missing", "default") == "default"
    assert "lr" in run.config
    assert sorted(run.config) == ["layers", "lr"]
    assert len(run.config) == 2
    assert dict(run.config) == {"lr": 0.1, "layers": [64, 32]}
    assert run.config == {"lr": 0.1, "layers": [64, 32]}


def test_a_missing_key_raises_attribute_error_and_key_error(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings)

    with pytest.raises(AttributeError, match="'nope'"):
        _ = run.config.nope
    with pytest.raises(KeyError):
        _ = run.config["nope"]
    assert not hasattr(run.config, "nope")


def test_as_dict_is_a_copy_that_does_not_change_the_config(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"layers": [64, 32]})

    copy = run.config.as_dict()
    copy["layers"].append(16)
    copy["new"] = 1

    assert run.config.as_dict() == {"layers": [64, 32]}


def test_module_level_config_follows_the_active_run(offline_settings: dict[str, Any]) -> None:
    with pytest.raises(nbrun.Error, match=r"nbrun\.init\(\)"):
        _ = nbrun.config.lr

    run = start(offline_settings, config={"lr": 0.1})
    nbrun.config.epochs = 3

    assert nbrun.config.lr == 0.1
    assert run.config.epochs == 3


# -- writing -------------------------------------------------------------------------------


def test_attribute_and_item_assignment_add_keys(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings)

    run.config.lr = 0.1
    run.config["batch_size"] = 32

    assert run.config.as_dict() == {"lr": 0.1, "batch_size": 32}


def test_update_takes_a_dict_and_keyword_arguments(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings)

    run.config.update({"lr": 0.1})
    run.config.update(epochs=5)

    assert run.config.as_dict() == {"lr": 0.1, "epochs": 5}


def test_update_takes_an_argparse_namespace(offline_settings: dict[str, Any]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(["--lr", "0.5"])
    run = start(offline_settings)

    run.config.update(args)

    assert run.config.as_dict() == {"lr": 0.5, "epochs": 10}


def test_init_takes_an_argparse_namespace(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config=argparse.Namespace(lr=0.5, name="resnet"))

    assert run.config.as_dict() == {"lr": 0.5, "name": "resnet"}


@dataclasses.dataclass
class Optimiser:
    name: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)


@dataclasses.dataclass
class TrainConfig:
    lr: float = 0.1
    epochs: int = 3
    optimiser: Optimiser = dataclasses.field(default_factory=Optimiser)


def test_update_takes_a_dataclass_instance_with_nested_dataclasses(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings)

    run.config.update(TrainConfig(lr=0.5))

    assert run.config.as_dict() == {
        "lr": 0.5,
        "epochs": 3,
        "optimiser": {"name": "adam", "betas": [0.9, 0.999]},
    }


def test_a_dataclass_class_rather_than_an_instance_is_refused(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings)

    with pytest.raises(TypeError, match="dataclass"):
        run.config.update(TrainConfig)
    assert len(run.config) == 0


def test_update_reads_a_yaml_file_in_the_references_value_layout(
    offline_settings: dict[str, Any], tmp_path: Path
) -> None:
    path = write_yaml(
        tmp_path / "config-defaults.yaml",
        "wandb_version: 1\n"
        "_wandb:\n  value: {cli_version: 0.1}\n"
        "lr:\n  desc: learning rate\n  value: 0.01\n"
        "batch_size:\n  value: 32\n"
        "plain: hello\n"
        "nested: {a: 1, b: 2}\n",
    )
    run = start(offline_settings)

    run.config.update(str(path))

    assert run.config.as_dict() == {
        "lr": 0.01,
        "batch_size": 32,
        "plain": "hello",
        "nested": {"a": 1, "b": 2},
    }


def test_init_reads_a_yaml_path_given_as_a_pathlib_path(
    offline_settings: dict[str, Any], tmp_path: Path
) -> None:
    path = write_yaml(tmp_path / "c.yml", "lr: 0.3\nepochs: {value: 7, desc: passes}\n")

    run = start(offline_settings, config=path)

    assert run.config.as_dict() == {"lr": 0.3, "epochs": 7}


def test_an_empty_yaml_file_adds_nothing(offline_settings: dict[str, Any], tmp_path: Path) -> None:
    run = start(offline_settings, config=write_yaml(tmp_path / "empty.yaml", ""))

    assert run.config.as_dict() == {}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("params.json", '{"lr": 1}', "yaml"),
        ("list.yaml", "- 1\n- 2\n", "mapping"),
        ("broken.yaml", "lr: [1, 2\n", "not valid YAML"),
    ],
)
def test_an_unreadable_yaml_source_raises_config_error_naming_the_file(
    offline_settings: dict[str, Any], tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = write_yaml(tmp_path / name, text)
    run = start(offline_settings, config={"kept": 1})

    with pytest.raises(nbrun.ConfigError, match=message) as caught:
        run.config.update(str(path))

    assert name in str(caught.value)
    assert run.config.as_dict() == {"kept": 1}


def test_a_missing_yaml_file_raises_config_error_naming_it(
    offline_settings: dict[str, Any], tmp_path: Path
) -> None:
    run = start(offline_settings)

    with pytest.raises(nbrun.ConfigError, match=r"nowhere\.yaml"):
        run.config.update(str(tmp_path / "nowhere.yaml"))


def test_an_unsupported_source_type_raises_type_error_naming_it(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings)

    with pytest.raises(TypeError, match="list"):
        run.config.update([("lr", 0.1)])


def test_setdefaults_adds_missing_keys_and_keeps_existing_ones(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1})

    run.config.setdefaults({"lr": 0.5, "batch_size": 32})

    assert run.config.as_dict() == {"lr": 0.1, "batch_size": 32}


def test_keys_cannot_be_deleted(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"lr": 0.1})

    with pytest.raises(nbrun.ConfigError, match="'lr'"):
        del run.config["lr"]
    assert run.config.lr == 0.1


# -- allow_val_change ----------------------------------------------------------------------


def test_changing_a_value_raises_config_error_naming_the_key(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1})

    with pytest.raises(nbrun.ConfigError, match=r"'lr'.*allow_val_change"):
        run.config.lr = 0.2
    with pytest.raises(nbrun.ConfigError, match="'lr'"):
        run.config["lr"] = 0.2
    with pytest.raises(nbrun.ConfigError, match="'lr'"):
        run.config.update({"lr": 0.2})

    assert run.config.lr == 0.1


def test_config_error_is_a_value_error_and_an_nbrun_error() -> None:
    assert issubclass(nbrun.ConfigError, ValueError)
    assert issubclass(nbrun.ConfigError, nbrun.Error)


def test_a_refused_update_changes_none_of_its_keys(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"lr": 0.1})

    with pytest.raises(nbrun.ConfigError):
        run.config.update({"new": 1, "lr": 0.2})

    assert run.config.as_dict() == {"lr": 0.1}
    assert recorded_config(run) == {"lr": 0.1}


def test_setting_the_same_value_again_is_not_a_change(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"lr": 0.1, "layers": [64, 32]})

    run.config.lr = 0.1
    run.config.update({"layers": (64, 32)})
    run.config.update({"lr": np.float64(0.1)})

    assert run.config.as_dict() == {"lr": 0.1, "layers": [64, 32]}


def test_setting_the_same_nan_again_is_not_a_change(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"threshold": float("nan")})

    run.config.update({"threshold": float("nan")})

    assert np.isnan(run.config.threshold)


def test_allow_val_change_on_the_call_permits_a_change(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"lr": 0.1})

    run.config.update({"lr": 0.2}, allow_val_change=True)

    assert run.config.lr == 0.2
    assert recorded_config(run) == {"lr": 0.2}


def test_allow_val_change_on_init_permits_changes_for_the_run(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1}, allow_val_change=True)

    run.config.lr = 0.2
    run.config["lr"] = 0.3
    run.config.update({"lr": 0.4})

    assert run.config.lr == 0.4


def test_allow_val_change_in_settings_permits_changes_for_the_run() -> None:
    run = nbrun.init(
        mode="offline",
        config={"lr": 0.1},
        settings={"silent": True, "console": "off", "allow_val_change": True},
    )

    run.config.lr = 0.2

    assert run.config.lr == 0.2


def test_allow_val_change_false_on_the_call_overrides_the_run(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1}, allow_val_change=True)

    with pytest.raises(nbrun.ConfigError, match="'lr'"):
        run.config.update({"lr": 0.2}, allow_val_change=False)
    assert run.config.lr == 0.1


def test_changes_are_allowed_by_default_in_a_notebook(
    offline_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Notebook cells are re-run with edited values; the reference would raise each time.
    monkeypatch.setattr("nbrun.sdk.init.in_notebook", lambda: True)
    run = start(offline_settings, config={"lr": 0.1})

    run.config.lr = 0.2

    assert run.config.lr == 0.2


# -- include / exclude ---------------------------------------------------------------------


def test_config_include_keys_keeps_only_those_keys(offline_settings: dict[str, Any]) -> None:
    run = start(
        offline_settings,
        config={"lr": 0.1, "epochs": 3, "secret": "x"},
        config_include_keys=["lr", "epochs", "absent"],
    )

    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}


def test_config_exclude_keys_drops_those_keys(offline_settings: dict[str, Any]) -> None:
    run = start(
        offline_settings,
        config=argparse.Namespace(lr=0.1, epochs=3, secret="x"),
        config_exclude_keys=["secret"],
    )

    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}
    assert recorded_config(run) == {"lr": 0.1, "epochs": 3}


def test_include_keys_apply_to_a_yaml_file(
    offline_settings: dict[str, Any], tmp_path: Path
) -> None:
    path = write_yaml(tmp_path / "c.yaml", "a: {value: 1}\nb: 2\nc: 3\n")

    run = start(offline_settings, config=path, config_include_keys=["a", "b"])

    assert run.config.as_dict() == {"a": 1, "b": 2}


def test_include_and_exclude_keys_together_are_refused(offline_settings: dict[str, Any]) -> None:
    with pytest.raises(nbrun.UsageError, match="not both"):
        start(
            offline_settings, config={"a": 1}, config_include_keys=["a"], config_exclude_keys=["b"]
        )


# -- values --------------------------------------------------------------------------------


def test_numpy_values_become_plain_python_values(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings)

    run.config.update(
        {
            "lr": np.float32(0.5),
            "epochs": np.int64(3),
            "shuffle": np.bool_(True),
            "sizes": np.array([64, 32]),
            "scale": np.array(2.5),
        }
    )

    assert run.config.as_dict() == {
        "lr": 0.5,
        "epochs": 3,
        "shuffle": True,
        "sizes": [64, 32],
        "scale": 2.5,
    }
    assert type(run.config.lr) is float
    assert type(run.config.epochs) is int
    assert type(run.config.shuffle) is bool
    assert recorded_config(run)["sizes"] == [64, 32]


def test_a_value_that_cannot_be_stored_raises_type_error_and_changes_nothing(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1})

    with pytest.raises(TypeError, match="'model'"):
        run.config.update({"epochs": 3, "model": object()})
    with pytest.raises(TypeError, match="'model'"):
        run.config.model = object()

    assert run.config.as_dict() == {"lr": 0.1}
    assert recorded_config(run) == {"lr": 0.1}


def test_a_bad_value_in_init_config_raises_type_error_naming_the_key(
    offline_settings: dict[str, Any],
) -> None:
    with pytest.raises(TypeError, match="'model'"):
        start(offline_settings, config={"model": object()})


def test_a_non_string_key_raises_type_error(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings)

    with pytest.raises(TypeError, match="1"):
        run.config.update({1: "one"})
    assert len(run.config) == 0


# -- what is recorded ----------------------------------------------------------------------


def test_the_recorded_config_equals_the_final_config(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"lr": 0.1}, allow_val_change=True)
    run.config.epochs = 3
    run.config.update({"lr": 0.2, "optimiser": {"name": "adam"}})
    run.config.setdefaults({"seed": 0, "epochs": 10})
    final = run.config.as_dict()

    assert (
        recorded_config(run)
        == final
        == {
            "lr": 0.2,
            "epochs": 3,
            "optimiser": {"name": "adam"},
            "seed": 0,
        }
    )


def test_config_yaml_holds_the_final_config_in_the_references_layout(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1}, allow_val_change=True)
    run.config.lr = 0.2
    run.config.layers = np.array([64, 32])
    run.finish(quiet=True)

    assert config_yaml(run) == {"lr": {"value": 0.2}, "layers": {"value": [64, 32]}}


def test_config_yaml_can_be_read_back_as_a_config_source(
    offline_settings: dict[str, Any],
) -> None:
    first = start(offline_settings, config={"lr": 0.1, "layers": [64, 32]})
    first.finish(quiet=True)

    second = start(offline_settings, config=Path(first.dir) / "config.yaml")

    assert second.config.as_dict() == {"lr": 0.1, "layers": [64, 32]}


def test_config_yaml_of_a_run_given_config_only_at_init_holds_it(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1})

    assert config_yaml(run) == {"lr": {"value": 0.1}}
    run.finish(quiet=True)
    assert config_yaml(run) == {"lr": {"value": 0.1}}


def test_changing_the_config_after_finish_raises(offline_settings: dict[str, Any]) -> None:
    run = start(offline_settings, config={"lr": 0.1})
    run.finish(quiet=True)

    with pytest.raises(nbrun.Error, match="finished"):
        run.config.epochs = 3


def test_a_change_refused_after_finish_leaves_the_config_as_recorded(
    offline_settings: dict[str, Any],
) -> None:
    run = start(offline_settings, config={"lr": 0.1})
    run.finish(quiet=True)

    with pytest.raises(nbrun.Error):
        run.config.epochs = 3

    assert "epochs" not in run.config
    assert run.config.as_dict() == nbrun.Api().run(run.path).config


def test_a_standalone_config_reports_each_change_once() -> None:
    changes: list[dict[str, Any]] = []
    config = Config(changes.append)

    config.lr = 0.1
    config.lr = 0.1
    config.update({"epochs": 3, "lr": 0.1})

    assert changes == [{"lr": 0.1}, {"epochs": 3}]
    assert repr(config) == "Config({'lr': 0.1, 'epochs': 3})"

"""A run's artifacts offline: versions, aliases, inputs and outputs, models and code."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import nbrun
from nbrun.artifacts.lookup import ArtifactNotFoundError
from tests.artifact_files import read_tree, write_tree


def test_versions_count_up_and_the_same_content_is_the_same_version(
    tmp_path: Path, offline_settings: dict
) -> None:
    folder = write_tree(tmp_path / "d", {"a.csv": b"1\n", "b.csv": b"2\n"})
    with nbrun.init(project="p", **offline_settings) as run:
        first = run.log_artifact(folder, name="data", type="dataset")
        again = run.log_artifact(folder, name="data", type="dataset", aliases=["best"])
        (folder / "b.csv").write_bytes(b"changed\n")
        second = run.log_artifact(folder, name="data", type="dataset")
    assert (first.version, again.version, second.version) == ("v0", "v0", "v1")
    assert first.digest == again.digest != second.digest
    assert nbrun.Api().artifact("p/data:best").version == "v0"
    assert nbrun.Api().artifact("p/data:latest").version == "v1"
    assert nbrun.Api().artifact("p/data").digest == second.digest


def test_a_logged_version_is_used_in_another_run_with_identical_bytes(
    tmp_path: Path, offline_settings: dict
) -> None:
    files = {"train/x.npy": bytes(range(256)) * 100, "labels.txt": b"cat\ndog\n"}
    folder = write_tree(tmp_path / "d", files)
    artifact = nbrun.Artifact("mnist", "dataset", metadata={"rows": 2})
    artifact.add_dir(folder)
    with nbrun.init(project="p", **offline_settings) as producer:
        producer.log_artifact(artifact, aliases=["prod"])
    with nbrun.init(project="p", **offline_settings) as consumer:
        used = consumer.use_artifact("mnist:prod")
        root = used.download()
    assert used.type == "dataset" and used.metadata == {"rows": 2}
    assert Path(root) == Path("artifacts/mnist:v0")
    assert read_tree(Path(root)) == files
    used.verify(root)
    logged = nbrun.Api().run(producer.path).logged_artifacts()
    inputs = nbrun.Api().run(consumer.path).used_artifacts()
    assert [a.name for a in logged] == ["mnist:v0"] and [a.name for a in inputs] == ["mnist:v0"]
    assert inputs[0].logged_by().id == producer.id


@pytest.mark.parametrize("version", ["v0", "latest", "prod"])
def test_use_artifact_takes_versions_aliases_and_digests(
    tmp_path: Path, offline_settings: dict, version: str
) -> None:
    (tmp_path / "f").write_text("x")
    with nbrun.init(project="p", **offline_settings) as run:
        logged = run.log_artifact(tmp_path / "f", name="thing", type="t", aliases=["prod"])
        assert run.use_artifact(f"thing:{version}").digest == logged.digest
        assert run.use_artifact(f"p/thing:{logged.digest}").version == "v0"


def test_using_what_does_not_exist_names_it(offline_settings: dict) -> None:
    with nbrun.init(project="p", **offline_settings) as run:
        with pytest.raises(ArtifactNotFoundError, match=r"'.*/p/nothing:latest' not found"):
            run.use_artifact("nothing")
        with pytest.raises(ValueError, match=r"artifact_or_name 'a:b:c' has an empty or second"):
            run.use_artifact("a:b:c")


def test_use_artifact_checks_the_type(tmp_path: Path, offline_settings: dict) -> None:
    (tmp_path / "f").write_text("x")
    with nbrun.init(project="p", **offline_settings) as run:
        run.log_artifact(tmp_path / "f", name="thing", type="dataset")
        with pytest.raises(ValueError, match=r"'thing' is of type 'dataset', not 'model'"):
            run.use_artifact("thing", type="model")


def test_log_artifact_names_a_missing_path(offline_settings: dict) -> None:
    with nbrun.init(project="p", **offline_settings) as run:
        with pytest.raises(ValueError, match=r"artifact_or_path 'nope': no such file or folder"):
            run.log_artifact("nope")
        with pytest.raises(TypeError, match=r"must be an nbrun.Artifact or a path, got int"):
            run.log_artifact(3)  # type: ignore[arg-type]


def test_a_path_logs_under_the_references_default_name(
    tmp_path: Path, offline_settings: dict
) -> None:
    (tmp_path / "model.pt").write_bytes(b"w")
    with nbrun.init(project="p", **offline_settings) as run:
        artifact = run.log_artifact(tmp_path / "model.pt")
    assert artifact.name == f"run-{run.id}-model.pt:v0"
    assert artifact.type == "unspecified"


def test_log_model_and_use_model_round_trip(tmp_path: Path, offline_settings: dict) -> None:
    (tmp_path / "model.pt").write_bytes(b"weights")
    with nbrun.init(project="p", **offline_settings) as run:
        run.log_model(tmp_path / "model.pt", name="classifier", aliases=["staging"])
        folder = run.use_model("classifier:staging")
        assert (Path(folder) / "model.pt").read_bytes() == b"weights"
        run.log_artifact(tmp_path / "model.pt", name="not-a-model", type="dataset")
        with pytest.raises(AssertionError, match=r"type 'dataset'; use_model takes"):
            run.use_model("not-a-model:latest")
        with pytest.raises(ValueError, match=r"model name 'bad name' is invalid"):
            run.log_model(tmp_path / "model.pt", name="bad name")


def test_log_code_saves_code_but_not_runs_or_environments(offline_settings: dict) -> None:
    write_tree(
        Path("."),
        {
            "train.py": b"print(1)\n",
            "pkg/model.py": b"x = 1\n",
            "requirements.txt": b"numpy\n",
            "notes.md": b"# not code\n",
            "venv/lib/site.py": b"",
            "venv/pyvenv.cfg": b"home = /usr\n",
            "env2/pyvenv.cfg": b"",
            "env2/x.py": b"",
            "wandb/run-1/files/code.py": b"",
        },
    )
    with nbrun.init(project="p", **offline_settings) as run:
        artifact = run.log_code()
        only_models = run.log_code(".", name="models", include_fn=lambda p: "model" in p)
        nothing = run.log_code(".", include_fn=lambda path, root: False)
    assert artifact is not None and artifact.type == "code"
    assert sorted(artifact.manifest.entries) == ["pkg/model.py", "requirements.txt", "train.py"]
    assert only_models is not None and list(only_models.manifest.entries) == ["pkg/model.py"]
    assert nothing is None


def test_a_table_in_an_artifact_comes_back_through_the_api(offline_settings: dict) -> None:
    table = nbrun.Table(columns=["x", "y"], data=[[1, 2.5], [2, 3.5]])
    artifact = nbrun.Artifact("results", "eval")
    artifact.add(table, "scores")
    with nbrun.init(project="p", **offline_settings) as run:
        run.log_artifact(artifact)
    back = nbrun.Api().artifact("p/results:v0").get("scores")
    assert back.data == [[1, 2.5], [2, 3.5]]


def test_the_run_folder_holds_every_blob_it_logged(tmp_path: Path, offline_settings: dict) -> None:
    (tmp_path / "f").write_bytes(b"payload")
    with nbrun.init(project="p", **offline_settings) as run:
        run.log_artifact(tmp_path / "f", name="x", type="t")
    sha = hashlib.sha256(b"payload").hexdigest()
    assert (Path(run.dir).parent / "artifacts" / "blobs" / sha[:2] / sha).read_bytes() == b"payload"


def test_methods_after_finish_say_the_run_is_finished(offline_settings: dict) -> None:
    run = nbrun.init(project="p", **offline_settings)
    run.finish()
    with pytest.raises(nbrun.Error, match=r"is finished; log_artifact"):
        run.log_artifact("x")


def test_link_artifact_makes_the_version_the_portfolios_newest(
    tmp_path: Path, offline_settings: dict
) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with nbrun.init(project="p", **offline_settings) as run:
        first = run.log_artifact(tmp_path / "a", name="data", type="dataset")
        second = run.log_artifact(tmp_path / "b", name="other", type="dataset")
        run.link_artifact(first, "best-datasets", aliases=["golden"])
        run.link_artifact(second, "shared/best-datasets")
        with pytest.raises(ValueError, match=r"must be an nbrun.Artifact logged or used"):
            run.link_artifact(nbrun.Artifact("new", "dataset"), "best-datasets")
        with pytest.raises(ValueError, match=r"this run links within its own entity"):
            run.link_artifact(first, "someone/p/best-datasets")
    api = nbrun.Api()
    assert api.artifact("p/best-datasets:golden").digest == first.digest
    assert api.artifact("p/best-datasets:latest").version == "v0"
    assert api.artifact("shared/best-datasets:latest").digest == second.digest


def test_link_model_registers_the_model_in_the_model_registry(
    tmp_path: Path, offline_settings: dict
) -> None:
    (tmp_path / "model.pt").write_bytes(b"w1")
    with nbrun.init(project="p", **offline_settings) as run:
        run.link_model(tmp_path / "model.pt", "classifier", name="clf", aliases=["staging"])
        run.link_model(tmp_path / "model.pt", "classifier", name="clf")  # same files: reused
        with pytest.raises(AssertionError, match=r"must be a name only"):
            run.link_model(tmp_path / "model.pt", "team/proj/classifier")
    api = nbrun.Api()
    registered = api.artifacts("model", "model-registry/classifier")
    assert [a.version for a in registered] == ["v0"]
    assert "staging" in registered[0].aliases
    assert api.artifacts("model", "p/clf")[0].digest == registered[0].digest


def test_upserts_of_several_runs_become_one_version_when_one_finishes(
    tmp_path: Path, offline_settings: dict
) -> None:
    (tmp_path / "old.txt").write_text("old")
    with nbrun.init(project="p", **offline_settings) as run:
        run.log_artifact(tmp_path / "old.txt", name="shards", type="dataset")
    parts = {"rank-0": {"0.bin": b"zero", "same.txt": b"rank 0"}, "rank-1": {"1.bin": b"one"}}
    for rank, files in parts.items():
        folder = write_tree(tmp_path / rank, files)
        # No distributed_id: the run's group is the reference's default.
        with nbrun.init(project="p", group="job-7", **offline_settings) as worker:
            upserted = worker.upsert_artifact(folder, name="shards", type="dataset")
        assert upserted.state == "PENDING"
        # Not final: the version logged before stays the newest.
        assert nbrun.Api().artifact("p/shards:latest").version == "v0"
    last = write_tree(tmp_path / "last", {"same.txt": b"finisher", "index.json": b"{}"})
    with nbrun.init(project="p", group="job-7", **offline_settings) as finisher:
        finished = finisher.finish_artifact(last, name="shards", type="dataset", aliases=["full"])
    assert finished.version == "v1" and sorted(finished.aliases) == ["full", "latest"]
    with nbrun.init(project="p", **offline_settings) as consumer:
        root = consumer.use_artifact("shards:latest").download(tmp_path / "out")
    # Every run's files; a path two runs wrote keeps the last writer's bytes.
    expected = {"0.bin": b"zero", "1.bin": b"one", "same.txt": b"finisher", "index.json": b"{}"}
    assert read_tree(Path(root)) == expected
    assert nbrun.Api().artifact("p/shards:full").digest == finished.digest


def test_upserts_after_finishing_make_the_next_version(
    tmp_path: Path, offline_settings: dict
) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with nbrun.init(project="p", **offline_settings) as run:
        run.upsert_artifact(tmp_path / "a", name="d", type="t", distributed_id="x")
        first = run.finish_artifact(nbrun.Artifact("d", "t"), distributed_id="x")
        run.upsert_artifact(tmp_path / "b", name="d", type="t", distributed_id="x")
        with pytest.raises(ArtifactNotFoundError):
            run.use_artifact("d:v1")
        second = run.finish_artifact(nbrun.Artifact("d", "t"), distributed_id="x")
    assert (first.version, second.version) == ("v0", "v1")
    assert [e for e in second.manifest.entries] == ["b"]
    assert nbrun.Api().artifact("p/d:latest").digest == second.digest


def test_upsert_and_finish_name_what_is_missing(tmp_path: Path, offline_settings: dict) -> None:
    (tmp_path / "f").write_text("f")
    with nbrun.init(project="p", **offline_settings) as run:
        with pytest.raises(ValueError, match=r"upsert_artifact: distributed_id is needed"):
            run.upsert_artifact(tmp_path / "f", name="d", type="t")
        with pytest.raises(ValueError, match=r"finish_artifact: distributed_id is needed"):
            run.finish_artifact(tmp_path / "f", name="d", type="t")
        with pytest.raises(ValueError, match=r"finish_artifact: nothing was upserted"):
            run.finish_artifact(nbrun.Artifact("d", "t"), distributed_id="none")
        with pytest.raises(ValueError, match=r"distributed_id '' is invalid"):
            run.upsert_artifact(tmp_path / "f", name="d", type="t", distributed_id="")
        with pytest.raises(ValueError, match=r"upsert_artifact: artifact_or_path 'nope'"):
            run.upsert_artifact("nope", distributed_id="x")

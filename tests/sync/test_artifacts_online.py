"""Artifacts through a real ``nbrun server``: logged in one run, used in another, identical
bytes; only changed files uploaded; offline versions synced later; corrupt blobs refused."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.paths import artifact_store_dir, blob_path
from nbrun.sync.command import run_sync
from tests.artifact_files import read_tree, write_tree

QUIET = {"silent": True, "console": "off"}


def forget_local_store() -> None:
    """Empty this machine's artifact store, so bytes can only come from the backend."""
    store = artifact_store_dir()
    for folder, _dirs, files in os.walk(store):
        for name in files:
            os.chmod(os.path.join(folder, name), stat.S_IWUSR | stat.S_IRUSR)
    shutil.rmtree(store)


def test_a_version_logged_online_downloads_identical_in_another_run(
    server: Any, tmp_path: Path
) -> None:
    files = {f"part-{i}.bin": os.urandom(10_000 + i) for i in range(5)} | {"meta/info.json": b"{}"}
    folder = write_tree(tmp_path / "data", files)
    with nbrun.init(project="p", settings=QUIET) as producer:
        logged = producer.log_artifact(folder, name="corpus", type="dataset", aliases=["prod"])
        logged.wait(timeout=30)
    assert logged.version == "v0"
    forget_local_store()

    with nbrun.init(project="p", settings=QUIET) as consumer:
        used = consumer.use_artifact("corpus:prod")
        root = used.download(tmp_path / "fresh")

    assert read_tree(Path(root)) == files
    assert sorted(used.aliases) == ["latest", "prod"]
    api = nbrun.Api()
    assert [a.name for a in api.run(consumer.path).used_artifacts()] == ["corpus:v0"]
    assert [a.name for a in api.run(producer.path).logged_artifacts()] == ["corpus:v0"]
    assert api.artifact(f"{producer.entity}/p/corpus:v0").logged_by().id == producer.id
    assert api.artifact_types("p") == ["dataset"]


def test_a_new_version_with_one_file_changed_uploads_only_that_file(
    server: Any, tmp_path: Path, proxy_factory: Callable[..., Any], monkeypatch: Any
) -> None:
    proxy = proxy_factory(server.port)
    monkeypatch.setenv("NBRUN_BASE_URL", proxy.url)
    files = {f"f{i:03}.txt": f"file {i}\n".encode() * 50 for i in range(100)}
    folder = write_tree(tmp_path / "data", files)
    with nbrun.init(project="p", settings=QUIET) as run:
        run.log_artifact(folder, name="many", type="dataset").wait(timeout=30)
        first_puts = [r for r in proxy.seen if r.method == "PUT" and "/blobs/" in r.path]
        (folder / "f042.txt").write_bytes(b"changed\n")
        second = run.log_artifact(folder, name="many", type="dataset").wait(timeout=30)
    puts = [r for r in proxy.seen if r.method == "PUT" and "/blobs/" in r.path]
    added = puts[len(first_puts) :]

    assert len(first_puts) == 101  # 100 files and the manifest
    assert second.version == "v1"
    assert sorted(r.body for r in added if r.body == b"changed\n") == [b"changed\n"]
    assert len(added) == 2  # the changed file and the new manifest


def test_an_offline_version_is_on_the_backend_after_nbrun_sync(server: Any, tmp_path: Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"weights" * 1000)
    with nbrun.init(project="p", mode="offline", settings=QUIET) as run:
        run.log_model(tmp_path / "model.pt", name="clf", aliases=["candidate"])
    sync = argparse.Namespace(paths=[], include_synced=False, base_url=None, api_key=None)
    assert run_sync(sync) == 0
    forget_local_store()

    found = nbrun.Api().artifact(f"{run.entity}/p/clf:candidate")

    assert found.version == "v0" and found.type == "model"
    assert (Path(found.download(tmp_path / "out")) / "model.pt").read_bytes() == b"weights" * 1000


def test_a_blob_changed_on_disk_before_upload_is_refused_not_stored(
    server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.bin").write_bytes(b"original")
    with nbrun.init(project="p", mode="offline", settings=QUIET) as run:
        artifact = run.log_artifact(tmp_path / "f.bin", name="x", type="t")
    sha = artifact.get_entry("f.bin").sha256
    assert sha is not None
    for folder in (Path(run.dir).parent / "artifacts", artifact_store_dir()):
        blob = blob_path(folder, sha)
        os.chmod(blob, stat.S_IWUSR | stat.S_IRUSR)
        blob.write_bytes(b"tampered")  # one inode: the run folder links the store's copy

    sync = argparse.Namespace(paths=[], include_synced=False, base_url=None, api_key=None)
    run_sync(sync)

    said = capsys.readouterr()
    assert f"refused blob {sha}" in said.out + said.err
    assert nbrun.Api().run(run.path).logged_artifacts() == []  # the backend's answer


def test_link_model_registers_the_model_on_the_backend(server: Any, tmp_path: Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"weights v1")
    with nbrun.init(project="p", settings=QUIET) as run:
        run.link_model(tmp_path / "model.pt", "classifier", name="clf", aliases=["staging"])
    forget_local_store()  # what follows is the backend's answer alone

    registered = nbrun.Api().artifact(f"{run.entity}/model-registry/classifier:staging")

    assert registered.type == "model" and registered.version == "v0"
    assert sorted(registered.aliases) == ["latest", "staging"]
    folder = Path(registered.download(tmp_path / "out"))
    assert (folder / "model.pt").read_bytes() == b"weights v1"


def test_parts_upserted_by_two_runs_download_as_one_version_once_finished(
    server: Any, tmp_path: Path
) -> None:
    (tmp_path / "old.txt").write_bytes(b"old")
    with nbrun.init(project="p", settings=QUIET) as run:
        run.log_artifact(tmp_path / "old.txt", name="shards", type="dataset").wait(timeout=30)
    parts = {
        "rank-0": {"0.bin": os.urandom(20_000), "same.txt": b"rank 0"},
        "rank-1": {"1.bin": os.urandom(30_000), "sub/n.txt": b"nested"},
    }
    api = nbrun.Api()
    for rank, files in parts.items():
        folder = write_tree(tmp_path / rank, files)
        with nbrun.init(project="p", group="job-1", settings=QUIET) as worker:
            worker.upsert_artifact(folder, name="shards", type="dataset")
        # Synced (the run finished), but not final: the earlier version stays latest.
        assert api.artifact(f"{worker.entity}/p/shards:latest").version == "v0"
    with pytest.raises(nbrun.Error):
        api.artifact(f"{worker.entity}/p/shards:v1")
    with nbrun.init(project="p", group="job-1", settings=QUIET) as finisher:
        finisher.finish_artifact(nbrun.Artifact("shards", "dataset"), aliases=["full"])
    forget_local_store()  # what follows is the backend's answer alone

    with nbrun.init(project="p", settings=QUIET) as consumer:
        used = consumer.use_artifact("shards:latest")
        root = used.download(tmp_path / "out")

    assert read_tree(Path(root)) == parts["rank-0"] | parts["rank-1"]
    assert used.version == "v1" and sorted(used.aliases) == ["full", "latest"]
    logged = api.run(worker.path).logged_artifacts()
    assert [a.name for a in logged] == ["shards:v1"]

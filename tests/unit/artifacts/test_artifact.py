"""Building an artifact: entries, digests as the reference computes them, and bad input."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

import nbrun
from nbrun.artifacts.errors import ArtifactFinalizedError, ArtifactNotLoggedError


def reference_digest(files: dict[str, bytes]) -> str:
    """The reference's artifact digest, written out from its definition."""
    lines = b"wandb-artifact-manifest-v1\n"
    for path in sorted(files):
        md5 = base64.b64encode(hashlib.md5(files[path]).digest()).decode()
        lines += f"{path}:{md5}\n".encode()
    return hashlib.md5(lines).hexdigest()


def test_entries_carry_the_references_md5_and_a_sha256(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"alpha")
    artifact = nbrun.Artifact("data", "dataset")
    entry = artifact.add_file(tmp_path / "a.txt")
    assert entry.path == "a.txt"
    assert entry.digest == base64.b64encode(hashlib.md5(b"alpha").digest()).decode()
    assert entry.sha256 == hashlib.sha256(b"alpha").hexdigest()
    assert entry.size == 5
    assert artifact.manifest.entries["a.txt"] is entry


def test_the_digest_is_the_references_and_ignores_how_files_were_added(tmp_path: Path) -> None:
    files = {"train/x.csv": b"1,2\n", "train/y.csv": b"3\n", "README": b"hello"}
    for path, data in files.items():
        (tmp_path / "src" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / path).write_bytes(data)
    by_dir = nbrun.Artifact("data", "dataset")
    by_dir.add_dir(tmp_path / "src")
    by_hand = nbrun.Artifact("data", "dataset")
    with by_hand.new_file("README", mode="wb") as f:
        f.write(b"hello")
    by_hand.add_file(tmp_path / "src/train/y.csv", "train/y.csv")
    by_hand.add_file(tmp_path / "src/train/x.csv", "train/x.csv")
    assert by_dir.digest == by_hand.digest == reference_digest(files)
    assert by_dir.size == sum(len(d) for d in files.values())
    assert sorted(by_dir.manifest.entries) == sorted(files)


def test_a_file_changed_after_add_file_is_logged_as_it_was_added(tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(b"v1")
    artifact = nbrun.Artifact("model", "model")
    artifact.add_file(source)
    source.write_bytes(b"v2 changed")
    out = tmp_path / "out"
    artifact.download(out)
    assert (out / "weights.bin").read_bytes() == b"v1"


def test_add_dir_under_a_name_prefixes_entries(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "f.txt").write_text("x")
    artifact = nbrun.Artifact("data", "dataset")
    artifact.add_dir(tmp_path / "d", name="images")
    assert list(artifact.manifest.entries) == ["images/sub/f.txt"]


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/passwd", "a/../../b", "a//b", "C:x"])
def test_entry_names_that_leave_the_artifact_are_refused(tmp_path: Path, bad: str) -> None:
    (tmp_path / "f").write_text("x")
    artifact = nbrun.Artifact("data", "dataset")
    with pytest.raises(ValueError, match=r"name: path .* stay inside the artifact"):
        artifact.add_file(tmp_path / "f", name=bad)
    assert artifact.manifest.entries == {}


@pytest.mark.parametrize(
    ("name", "type_", "message"),
    [
        ("my data", "dataset", "artifact name 'my data' is invalid"),
        ("a/b", "dataset", "artifact name 'a/b' is invalid"),
        ("", "dataset", "artifact name '' is invalid"),
        ("data", "wandb-history", "artifact type 'wandb-history' is reserved"),
        ("data", "a:b", "artifact type 'a:b' is invalid"),
    ],
)
def test_bad_names_and_types_are_refused_by_name(name: str, type_: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.Artifact(name, type_)


def test_missing_paths_and_folders_given_as_files_are_named(tmp_path: Path) -> None:
    artifact = nbrun.Artifact("data", "dataset")
    with pytest.raises(ValueError, match=r"local_path '.*nope' is no such file"):
        artifact.add_file(tmp_path / "nope")
    with pytest.raises(ValueError, match=r"is a directory: use add_dir"):
        artifact.add_file(tmp_path)
    with pytest.raises(ValueError, match=r"is not a directory"):
        artifact.add_dir(tmp_path / "nope")


def test_an_entry_is_not_replaced_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("1")
    (tmp_path / "b").write_text("2")
    artifact = nbrun.Artifact("data", "dataset")
    artifact.add_file(tmp_path / "a", "x")
    with pytest.raises(ValueError, match=r"already has an entry 'x'; pass overwrite=True"):
        artifact.add_file(tmp_path / "b", "x")
    artifact.add_file(tmp_path / "b", "x", overwrite=True)
    assert artifact.get_entry("x").size == 1


@pytest.mark.parametrize(
    ("aliases", "error", "message"),
    [
        ("best", TypeError, "aliases must be a list of strings"),
        ([3], ValueError, "aliases must be strings, got 3"),
        (["a/b"], ValueError, "alias 'a/b' is invalid"),
        (["v3"], ValueError, "v<number> names a version"),
    ],
)
def test_bad_aliases_are_named(aliases: object, error: type, message: str) -> None:
    artifact = nbrun.Artifact("data", "dataset")
    with pytest.raises(error, match=message):
        artifact.aliases = aliases  # type: ignore[assignment]


def test_file_references_are_tracked_without_copying(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"referenced")
    artifact = nbrun.Artifact("data", "dataset")
    (entry,) = artifact.add_reference(source.as_uri())
    assert entry.ref == source.resolve().as_uri() and entry.sha256 is None
    out = Path(artifact.download(tmp_path / "out"))
    assert (out / "big.bin").read_bytes() == b"referenced"
    source.write_bytes(b"changed!!!")
    with pytest.raises(ValueError, match=r"'big.bin': the referenced file .* changed"):
        artifact.download(tmp_path / "out2")


def test_unsupported_reference_schemes_are_named() -> None:
    artifact = nbrun.Artifact("data", "dataset")
    with pytest.raises(ValueError, match=r"scheme 'ftp'; supported: file://, s3://"):
        artifact.add_reference("ftp://host/x")


def test_verify_and_checkout_compare_a_folder_with_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    artifact = nbrun.Artifact("data", "dataset")
    artifact.add_file(tmp_path / "a.txt")
    out = Path(artifact.download(tmp_path / "out"))
    artifact.verify(out)
    (out / "extra.txt").write_text("?")
    with pytest.raises(ValueError, match=r"'extra.txt' .* is not an entry"):
        artifact.verify(out)
    artifact.checkout(out)
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]
    (out / "a.txt").write_text("b")
    with pytest.raises(ValueError, match=r"'a.txt' .* has changed"):
        artifact.verify(out)


def test_a_table_added_comes_back_from_get(tmp_path: Path) -> None:
    table = nbrun.Table(columns=["id", "label"], data=[[1, "cat"], [2, "dog"]])
    artifact = nbrun.Artifact("preds", "predictions")
    entry = artifact.add(table, "val")
    assert entry.path == "val.table.json"
    back = artifact.get("val")
    assert back.columns == ["id", "label"]
    assert back.data == [[1, "cat"], [2, "dog"]]
    assert artifact.get("missing") is None


def test_what_needs_a_logged_artifact_says_so() -> None:
    artifact = nbrun.Artifact("data", "dataset")
    with pytest.raises(ArtifactNotLoggedError, match=r"log 'data' with run.log_artifact"):
        _ = artifact.version


def test_a_logged_artifact_cannot_change(tmp_path: Path, offline_settings: dict) -> None:
    (tmp_path / "a").write_text("a")
    artifact = nbrun.Artifact("data", "dataset")
    artifact.add_file(tmp_path / "a")
    with nbrun.init(project="p", **offline_settings) as run:
        run.log_artifact(artifact)
    with pytest.raises(ArtifactFinalizedError, match=r"'data:v0' is logged or used"):
        artifact.add_file(tmp_path / "a", "b")


def test_one_entry_downloads_by_itself(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha")
    artifact = nbrun.Artifact("data", "dataset")
    artifact.add_file(tmp_path / "a.txt", "docs/a.txt")
    path = artifact.get_entry("docs/a.txt").download(tmp_path / "out")
    assert Path(path) == tmp_path / "out" / "docs" / "a.txt"
    assert Path(path).read_text() == "alpha"

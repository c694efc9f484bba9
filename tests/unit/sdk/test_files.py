import os
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.record.replay import replay_log


@pytest.fixture
def run(offline_settings: dict[str, Any]) -> nbrun.Run:
    return nbrun.init(**offline_settings)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def saved(run: nbrun.Run) -> set[str]:
    """Files under run.dir that were saved (not the ones nbrun writes itself)."""
    files = Path(run.dir)
    own = {"config.yaml", "nbrun-metadata.json", "nbrun-summary.json", "requirements.txt"}
    return {
        path.relative_to(files).as_posix()
        for path in files.rglob("*")
        if (path.is_file() or path.is_symlink())
        and path.name not in own
        # nbrun's own files are written atomically through ".<name>.tmp" by another thread.
        and not path.name.endswith(".tmp")
    }


def relative(run: nbrun.Run, paths: object) -> set[str]:
    assert isinstance(paths, list)
    return {Path(p).relative_to(Path(run.dir).resolve()).as_posix() for p in paths}


# -- the run's folder ----------------------------------------------------------------------


def test_run_dir_is_the_files_folder_of_the_run_directory(run: nbrun.Run) -> None:
    files = Path(run.dir)

    assert files.is_dir()
    assert files.name == "files"
    assert Path(run.status().log_path or "").parent == files.parent
    assert files.is_relative_to(Path.cwd() / "nbrun")


# -- folder rules (the reference's examples) -----------------------------------------------


def test_a_relative_glob_keeps_its_folders(run: nbrun.Run) -> None:
    write(Path("these/are/myfiles/a.txt"), "a")
    write(Path("these/are/myfiles/b.txt"), "b")

    paths = run.save("these/are/myfiles/*")

    assert relative(run, paths) == {"these/are/myfiles/a.txt", "these/are/myfiles/b.txt"}
    assert saved(run) == {"these/are/myfiles/a.txt", "these/are/myfiles/b.txt"}
    assert (Path(run.dir) / "these/are/myfiles/a.txt").read_text() == "a"


def test_base_path_keeps_the_folders_below_it(run: nbrun.Run) -> None:
    write(Path("these/are/myfiles/a.txt"), "a")

    paths = run.save("these/are/myfiles/*", base_path="these")

    assert relative(run, paths) == {"are/myfiles/a.txt"}
    assert saved(run) == {"are/myfiles/a.txt"}


def test_an_absolute_glob_without_base_path_keeps_one_folder_level(
    run: nbrun.Run, tmp_path: Path
) -> None:
    folder = tmp_path / "User/username/Documents/run123"
    write(folder / "a.txt", "a")
    write(folder / "b.txt", "b")
    write(folder / "skip.csv", "c")

    paths = run.save(str(folder / "*.txt"))

    assert relative(run, paths) == {"run123/a.txt", "run123/b.txt"}
    assert saved(run) == {"run123/a.txt", "run123/b.txt"}


def test_an_absolute_glob_with_base_path_keeps_the_structure_below_it(
    run: nbrun.Run, tmp_path: Path
) -> None:
    folder = tmp_path / "User/username/Documents/run123"
    write(folder / "a.txt", "a")

    paths = run.save(str(folder / "*.txt"), base_path=str(tmp_path / "User"))

    assert relative(run, paths) == {"username/Documents/run123/a.txt"}
    assert saved(run) == {"username/Documents/run123/a.txt"}


def test_a_glob_over_folders_keeps_each_subfolder(run: nbrun.Run) -> None:
    write(Path("files/one/saveme.txt"), "1")
    write(Path("files/two/saveme.txt"), "2")
    write(Path("files/two/other.txt"), "x")

    paths = run.save("files/*/saveme.txt")

    assert saved(run) == {"files/one/saveme.txt", "files/two/saveme.txt"}
    assert relative(run, paths) == saved(run)
    assert (Path(run.dir) / "files/two/saveme.txt").read_text() == "2"


def test_a_recursive_glob_keeps_nested_folders(run: nbrun.Run) -> None:
    write(Path("logs/a.log"), "a")
    write(Path("logs/deep/er/b.log"), "b")

    run.save("logs/**/*.log")

    assert saved(run) == {"logs/a.log", "logs/deep/er/b.log"}


def test_a_plain_file_name_lands_at_the_top_of_run_dir(run: nbrun.Run) -> None:
    write(Path("model.pt"), "weights")

    paths = run.save("model.pt")

    assert paths == [str(Path(run.dir).resolve() / "model.pt")]
    assert saved(run) == {"model.pt"}


def test_a_path_like_glob_is_accepted(run: nbrun.Run) -> None:
    write(Path("model.pt"), "weights")

    paths = run.save(Path("model.pt"), base_path=Path("."))

    assert relative(run, paths) == {"model.pt"}


def test_folders_matched_by_the_glob_are_skipped(run: nbrun.Run) -> None:
    write(Path("out/a.txt"), "a")
    write(Path("out/sub/b.txt"), "b")

    paths = run.save("out/*")

    assert relative(run, paths) == {"out/a.txt"}


def test_the_module_level_save_saves_with_the_active_run(run: nbrun.Run) -> None:
    write(Path("model.pt"), "weights")

    nbrun.save("model.pt", policy="now")

    assert saved(run) == {"model.pt"}


def test_returned_paths_exist(run: nbrun.Run, tmp_path: Path) -> None:
    write(Path("a/one.txt"), "1")
    write(tmp_path / "abs/dir/two.txt", "2")

    results = [
        run.save("a/*", policy="live"),
        run.save(str(tmp_path / "abs/dir/*.txt"), policy="now"),
        run.save("a/one.txt", base_path="a", policy="end"),
    ]

    paths = [path for result in results if isinstance(result, list) for path in result]
    assert len(paths) == 3
    assert all(Path(p).exists() for p in paths)


# -- errors --------------------------------------------------------------------------------


def test_an_unknown_policy_raises_value_error_and_saves_nothing(run: nbrun.Run) -> None:
    write(Path("model.pt"), "weights")

    with pytest.raises(ValueError, match="'sometimes'"):
        run.save("model.pt", policy="sometimes")

    assert saved(run) == set()


def test_a_glob_outside_base_path_raises_value_error(run: nbrun.Run) -> None:
    write(Path("these/a.txt"), "a")
    write(Path("other/b.txt"), "b")

    with pytest.raises(ValueError, match="base_path"):
        run.save("other/*.txt", base_path="these")

    assert saved(run) == set()


def test_a_relative_glob_above_the_working_directory_raises_value_error(
    run: nbrun.Run, tmp_path: Path
) -> None:
    write(tmp_path / "outside.txt", "x")

    with pytest.raises(ValueError):
        run.save("../outside.txt")

    assert saved(run) == set()


def test_a_glob_that_matches_nothing_returns_an_empty_list_and_warns(
    run: nbrun.Run, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = run.save("nothing/*.txt")

    assert paths == []
    assert "nothing/*.txt" in capsys.readouterr().err


def test_saving_after_finish_raises(run: nbrun.Run) -> None:
    write(Path("model.pt"), "weights")
    run.finish(quiet=True)

    with pytest.raises(nbrun.Error, match="finished"):
        run.save("model.pt")


# -- policies ------------------------------------------------------------------------------


def test_live_links_the_file_while_running_and_copies_it_at_finish(run: nbrun.Run) -> None:
    source = write(Path("metrics.csv"), "step 1\n")
    run.save("metrics.csv", policy="live")
    destination = Path(run.dir) / "metrics.csv"

    assert destination.is_symlink()
    source.write_text("step 1\nstep 2\n")
    assert destination.read_text() == "step 1\nstep 2\n"

    run.finish(quiet=True)

    assert not destination.is_symlink()
    assert destination.read_text() == "step 1\nstep 2\n"
    source.write_text("changed after finish\n")
    assert destination.read_text() == "step 1\nstep 2\n"


def test_live_is_the_default_policy(run: nbrun.Run) -> None:
    write(Path("metrics.csv"), "x")

    run.save("metrics.csv")

    assert (Path(run.dir) / "metrics.csv").is_symlink()
    run.finish(quiet=True)
    assert replay_log(run.status().log_path or "").files == {"metrics.csv": "live"}


def test_now_copies_the_file_at_once(run: nbrun.Run) -> None:
    source = write(Path("model.pt"), "v1")
    run.save("model.pt", policy="now")
    destination = Path(run.dir) / "model.pt"

    source.write_text("v2")

    assert not destination.is_symlink()
    assert destination.read_text() == "v1"
    run.finish(quiet=True)
    assert destination.read_text() == "v1"


def test_end_copies_the_content_the_file_has_at_finish(run: nbrun.Run) -> None:
    source = write(Path("final.txt"), "early")
    run.save("final.txt", policy="end")
    source.write_text("at finish")

    run.finish(quiet=True)
    source.write_text("after finish")

    destination = Path(run.dir) / "final.txt"
    assert not destination.is_symlink()
    assert destination.read_text() == "at finish"


def test_each_policy_is_recorded_by_relative_path(run: nbrun.Run, tmp_path: Path) -> None:
    write(Path("a.txt"), "a")
    write(Path("sub/b.txt"), "b")
    write(tmp_path / "x/y/c.txt", "c")

    run.save("a.txt", policy="live")
    run.save("sub/b.txt", policy="now")
    run.save(str(tmp_path / "x/y/c.txt"), policy="end")
    run.finish(quiet=True)

    assert replay_log(run.status().log_path or "").files == {
        "a.txt": "live",
        "sub/b.txt": "now",
        "y/c.txt": "end",
    }


def test_a_live_file_deleted_before_finish_leaves_no_dangling_link(run: nbrun.Run) -> None:
    source = write(Path("tmp.txt"), "x")
    run.save("tmp.txt")
    source.unlink()

    run.finish(quiet=True)

    destination = Path(run.dir) / "tmp.txt"
    assert not destination.is_symlink()
    assert not destination.exists()


def test_saving_a_new_file_under_an_existing_glob_needs_another_save(run: nbrun.Run) -> None:
    write(Path("ckpt/1.pt"), "1")
    run.save("ckpt/*")
    write(Path("ckpt/2.pt"), "2")

    run.finish(quiet=True)

    assert saved(run) == {"ckpt/1.pt"}


# -- saving the same file again ------------------------------------------------------------


@pytest.mark.parametrize("policy", ["live", "end"])
def test_saving_the_same_file_twice_keeps_one_linked_copy(run: nbrun.Run, policy: str) -> None:
    write(Path("model.pt"), "weights")
    first = run.save("model.pt", policy=policy)

    second = run.save("model.pt", policy=policy)

    assert second == first
    assert saved(run) == {"model.pt"}


def test_saving_a_live_file_again_with_now_replaces_the_link_by_a_copy(run: nbrun.Run) -> None:
    source = write(Path("model.pt"), "v1")
    run.save("model.pt", policy="live")

    run.save("model.pt", policy="now")
    source.write_text("v2")

    destination = Path(run.dir) / "model.pt"
    assert not destination.is_symlink()
    assert destination.read_text() == "v1"


def test_saving_a_copy_again_with_now_takes_the_new_content(run: nbrun.Run) -> None:
    source = write(Path("model.pt"), "v1")
    run.save("model.pt", policy="now")
    source.write_text("v2")

    run.save("model.pt", policy="now")

    assert (Path(run.dir) / "model.pt").read_text() == "v2"


def test_a_file_already_in_run_dir_saved_live_stays_in_place(run: nbrun.Run) -> None:
    inside = write(Path(run.dir) / "model.h5", "weights")

    paths = run.save(str(inside), base_path=run.dir)
    run.finish(quiet=True)

    assert paths == [str(inside.resolve())]
    assert not inside.is_symlink()
    assert inside.read_text() == "weights"


def test_a_file_already_in_run_dir_saved_now_is_kept(run: nbrun.Run) -> None:
    inside = write(Path(run.dir) / "model.h5", "weights")

    # This used to delete model.h5 (place_file unlinked the destination, i.e. the source).
    paths = run.save(os.path.join(run.dir, "model.h5"), base_path=run.dir, policy="now")

    assert paths == [str(inside.resolve())]
    assert inside.read_text() == "weights"

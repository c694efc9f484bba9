import importlib.metadata
import json
import os
import pathlib
import shutil
import subprocess
import sys
import types

import orjson
import pytest

from nbrun.sdk.metadata import collect_metadata, write_requirements

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

KEYS = {
    "host",
    "username",
    "os",
    "python",
    "executable",
    "program",
    "args",
    "cwd",
    "pid",
    "cpu_count",
    "memory_total_bytes",
    "gpu",
    "git",
}


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    # The developer's ~/.gitconfig and any repo above tmp_path must not leak into results.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


def git(repo: pathlib.Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet")
    (root / "train.py").write_text("print('hi')\n")
    git(root, "add", "train.py")
    git(root, "commit", "--quiet", "-m", "first")
    git(root, "checkout", "--quiet", "-b", "experiment")
    git(root, "remote", "add", "origin", "https://user:secret@example.com/team/repo.git")
    return root


def test_every_key_is_present_and_serialisable_as_json() -> None:
    metadata = collect_metadata()

    assert set(metadata) == KEYS
    assert json.loads(json.dumps(metadata)) == metadata
    assert orjson.loads(orjson.dumps(metadata)) == metadata
    assert metadata["pid"] == os.getpid()
    assert metadata["executable"] == sys.executable
    assert metadata["gpu"] is None


def test_memory_total_is_a_plausible_byte_count() -> None:
    memory = collect_metadata()["memory_total_bytes"]

    assert isinstance(memory, int)
    assert memory > 64 * 1024 * 1024


@needs_git
def test_git_state_of_the_work_tree_is_reported(
    repo: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)

    info = collect_metadata()["git"]

    assert info == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "experiment",
        "remote": "https://example.com/team/repo.git",
        "dirty": False,
        "root": str(repo.resolve()),
    }


@needs_git
@pytest.mark.parametrize(
    ("url", "reported"),
    [
        ("https://user:secret@example.com/team/repo.git", "https://example.com/team/repo.git"),
        ("https://ghp_secret@example.com/team/repo.git", "https://example.com/team/repo.git"),
        ("ssh://git:secret@example.com/team/repo.git", "ssh://git@example.com/team/repo.git"),
        ("git@example.com:team/repo.git", "git@example.com:team/repo.git"),
    ],
)
def test_credentials_in_the_remote_url_never_reach_the_metadata(
    repo: pathlib.Path, monkeypatch: pytest.MonkeyPatch, url: str, reported: str
) -> None:
    git(repo, "remote", "set-url", "origin", url)
    monkeypatch.chdir(repo)

    metadata = collect_metadata()

    assert metadata["git"]["remote"] == reported
    assert "secret" not in json.dumps(metadata)


@needs_git
def test_without_an_origin_the_first_remote_is_reported(
    repo: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "remote", "rename", "origin", "upstream")
    monkeypatch.chdir(repo)

    info = collect_metadata()["git"]

    assert info is not None
    assert info["remote"] == "https://example.com/team/repo.git"


@needs_git
def test_modifying_a_tracked_file_makes_the_tree_dirty(
    repo: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    monkeypatch.chdir(repo)

    info = collect_metadata()["git"]

    assert info is not None
    assert info["dirty"] is True


@needs_git
def test_a_subdirectory_reports_the_repository_root(
    repo: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "notebooks").mkdir()
    monkeypatch.chdir(repo / "notebooks")

    info = collect_metadata()["git"]

    assert info is not None
    assert info["root"] == str(repo.resolve())


@needs_git
def test_git_is_none_outside_a_repository(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert collect_metadata()["git"] is None


@pytest.fixture
def repo_or_tmp(tmp_path: pathlib.Path) -> pathlib.Path:
    # A real repository when git exists, so the test shows the missing binary is the reason.
    if shutil.which("git") is None:
        return tmp_path
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet")
    return root


def test_git_is_none_when_git_is_not_installed(
    repo_or_tmp: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.chdir(repo_or_tmp)
    monkeypatch.setenv("PATH", str(empty))

    metadata = collect_metadata()

    assert metadata["git"] is None
    assert set(metadata) == KEYS


def _run_python(*args: str, cwd: pathlib.Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    metadata: dict[str, object] = json.loads(done.stdout)
    return metadata


PRINT_METADATA = (
    "import json\n"
    "from nbrun.sdk.metadata import collect_metadata\n"
    "print(json.dumps(collect_metadata()))\n"
)


def test_a_script_reports_its_resolved_path_and_arguments(tmp_path: pathlib.Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(PRINT_METADATA)

    metadata = _run_python("train.py", "--lr", "0.1", cwd=tmp_path)

    assert metadata["program"] == str(script.resolve())
    assert metadata["args"] == ["--lr", "0.1"]


def test_python_dash_c_reports_a_bare_interpreter(tmp_path: pathlib.Path) -> None:
    metadata = _run_python("-c", PRINT_METADATA, cwd=tmp_path)

    assert metadata["program"] == "<python>"


def _fake_ipython(
    monkeypatch: pytest.MonkeyPatch, user_ns: dict[str, object], kernel: bool
) -> None:
    # Stands in for a running IPython; collect_metadata only reads IPython if already imported.
    shell = types.SimpleNamespace(user_ns=user_ns, kernel=object() if kernel else None)
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_vscode_notebook_reports_the_notebook_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_ipython(monkeypatch, {"__vsc_ipynb_file__": "/work/nb/train.ipynb"}, kernel=True)

    metadata = collect_metadata()

    assert metadata["program"] == "/work/nb/train.ipynb"
    assert metadata["args"] == []


def test_jupyter_notebook_reports_the_session_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_ipython(monkeypatch, {}, kernel=True)
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/nb/explore.ipynb")

    assert collect_metadata()["program"] == "/work/nb/explore.ipynb"


def test_unknown_notebook_reports_a_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_ipython(monkeypatch, {}, kernel=True)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)

    assert collect_metadata()["program"] == "<notebook>"


def test_session_name_inherited_outside_a_kernel_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `!python train.py` from a notebook inherits JPY_SESSION_NAME; it is not that notebook.
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/nb/explore.ipynb")

    assert collect_metadata()["program"] != "/work/nb/explore.ipynb"


def test_requirements_pin_installed_versions_sorted_and_unique(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "requirements.txt"

    write_requirements(path)

    lines = path.read_text().splitlines()
    names = [line.partition("==")[0] for line in lines]
    assert f"msgpack=={importlib.metadata.version('msgpack')}" in lines
    assert names == sorted(names, key=str.lower)
    assert len({name.lower().replace("_", "-") for name in names}) == len(names)
    assert all("==" in line for line in lines)

"""What a run records about where it ran: ``files/nbrun-metadata.json`` and ``requirements.txt``."""

from __future__ import annotations

import getpass
import os
import pathlib
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from nbrun.environment import in_notebook, ipython_shell

_T = TypeVar("_T")

_GIT_BUDGET = 2.0  # seconds for all git calls together; run start must never wait on git
_NOTEBOOK = "<notebook>"
_INTERPRETER = "<python>"


def collect_metadata() -> dict[str, Any]:
    """Host, interpreter, program and git state of this process, as a JSON-serialisable dict.

    Runs on a background thread at run start: every piece is guarded, so a piece that fails
    is None, and git is bounded by a timeout. Never raises.
    """
    notebook = _guard(in_notebook) or False
    cwd = _guard(os.getcwd)
    return {
        "host": _guard(socket.gethostname),
        "username": _guard(getpass.getuser),
        "os": _guard(platform.platform),
        "python": _guard(platform.python_version),
        "executable": sys.executable or None,
        "program": _guard(lambda: _program(notebook)),
        # In a kernel, argv holds the launcher's "-f kernel.json", not the user's arguments.
        "args": [] if notebook else _guard(lambda: [str(a) for a in sys.argv[1:]]),
        "cwd": cwd,
        "pid": os.getpid(),
        "cpu_count": os.cpu_count(),
        "memory_total_bytes": _guard(_memory_total),
        # Hook: GPU detection (nvidia-smi / NVML) belongs here once a probe exists.
        "gpu": None,
        "git": _guard(lambda: _git_info(cwd)) if cwd else None,
    }


def write_requirements(path: pathlib.Path) -> None:
    """Write installed distributions as sorted, deduplicated ``name==version`` lines.

    Read from the ``<name>-<version>.dist-info`` folder names on ``sys.path`` (the names the
    packaging spec guarantees), which costs a directory listing instead of parsing every
    package's METADATA: this runs while the user's first steps are logged. Raises OSError if
    ``path`` cannot be written.
    """
    found: dict[str, tuple[str, str]] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith((".dist-info", ".egg-info")):
                continue
            stem = entry.rsplit(".", 1)[0]
            name, _, version = stem.partition("-")
            version = version.split("-py", 1)[0]  # egg-info: name-1.0-py3.11
            if name and version and version[0].isdigit():
                # sys.path order: the first entry of a name is the one imported.
                found.setdefault(_normalize(name), (name, version))
    pins = sorted(found.values(), key=lambda pin: pin[0].lower())
    _write_atomically(path, "".join(f"{name}=={version}\n" for name, version in pins))


def _guard(piece: Callable[[], _T]) -> _T | None:
    try:
        return piece()
    except Exception:
        return None


def program_name() -> str:
    """What runs: a notebook's name, a script's path, or ``<python>``."""
    return _program(in_notebook())


def _program(notebook: bool) -> str:
    shell = ipython_shell()
    user_ns = getattr(shell, "user_ns", None)
    if isinstance(user_ns, dict):
        vscode_file = user_ns.get("__vsc_ipynb_file__")  # set by VS Code's notebook kernel
        if isinstance(vscode_file, str) and vscode_file:
            return vscode_file
    if notebook:
        # Checked only inside a kernel: `!python train.py` inherits the kernel's environment.
        return os.environ.get("JPY_SESSION_NAME") or _NOTEBOOK
    # __main__.__file__ is absolute and survives scripts rewriting sys.argv; argv[0] is the
    # fallback, with "", "-" and "-c" meaning a bare interpreter.
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    argv0 = main_file if isinstance(main_file, str) else (sys.argv[:1] or [""])[0]
    if argv0 in ("", "-", "-c"):
        return _INTERPRETER
    return str(pathlib.Path(argv0).resolve())


def _memory_total() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024  # the kernel reports kB
    except (OSError, ValueError, IndexError):
        pass
    if hasattr(os, "sysconf"):  # macOS and the BSDs; absent on Windows
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None


def _git_info(cwd: str) -> dict[str, Any] | None:
    """Commit, branch, remote, dirty flag and root of the work tree holding ``cwd``, or None."""
    deadline = time.monotonic() + _GIT_BUDGET
    # No prompts for credentials, and no index.lock: `git status` would otherwise refresh the
    # index and could collide with the user's own git commands.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=remaining,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):  # git missing, timeout
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    root = git("rev-parse", "--show-toplevel")
    if not root:  # not a work tree, git missing or too slow: no git info at all
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "--verify", "--quiet", "HEAD") or None,  # None: no commit yet
        "branch": git("symbolic-ref", "--quiet", "--short", "HEAD") or None,  # None: detached
        "remote": _guard(lambda: _remote_url(git("config", "--get-regexp", r"^remote\..*\.url$"))),
        "dirty": None if status is None else bool(status),
        "root": root,
    }


def _remote_url(config: str | None) -> str | None:
    """The origin's URL (else the first remote's) from `git config --get-regexp` output."""
    if not config:
        return None
    urls: dict[str, str] = {}
    for line in config.splitlines():
        key, _, url = line.partition(" ")
        urls.setdefault(key.removeprefix("remote.").removesuffix(".url"), url.strip())
    url = urls.get("origin") or next(iter(urls.values()), "")
    return _scrub_url(url) or None


def _scrub_url(url: str) -> str:
    """``url`` without credentials: metadata is shared, tokens in remote URLs must not be."""
    if "://" not in url:
        return url  # scp-like "git@host:org/repo" or a path: no password field
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    # An https user alone is often a token (https://<token>@github.com); an ssh user is not.
    user = "" if parts.scheme in ("http", "https") else userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))


def _normalize(name: str) -> str:
    # PEP 503: "Typing_Extensions" and "typing-extensions" are one distribution.
    return re.sub(r"[-_.]+", "-", name).lower()


def _write_atomically(path: pathlib.Path, text: str) -> None:
    # A reader (the sync thread, the server) never sees a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; this is not a secret
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise

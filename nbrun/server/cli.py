"""``nbrun server start|status|stop`` and ``python -m nbrun.server``."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from nbrun.processes import pid_alive
from nbrun.protocol.http import API_PREFIX
from nbrun.server import config as cfg

_KEYS_ENV = "NBRUN_SERVER_API_KEYS"  # comma-separated full-access keys (kept out of `ps`)
_TOKEN_ENV = "NBRUN_SERVER_TOKEN"


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a server process."""
    parser.add_argument("--host", default=cfg.DEFAULT_HOST, help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=cfg.DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--db-url", help="sqlite:///PATH or postgresql://... (default: data dir)")
    parser.add_argument(
        "--storage",
        help="folder for blobs, or s3://bucket/prefix (AWS_* variables; default: data dir)",
    )
    parser.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        default=[],
        help=f"a full-access key (repeatable; also ${_KEYS_ENV}); required off loopback",
    )
    parser.add_argument("--token", help=f"the loopback access token (${_TOKEN_ENV}; default new)")
    parser.add_argument("--state-file", type=Path, help="write url/pid/token here (mode 0600)")
    parser.add_argument(
        "--crash-after",
        type=float,
        default=cfg.DEFAULT_CRASH_AFTER,
        help="seconds without heartbeat before a running run reads as crashed",
    )
    parser.add_argument(
        "--read-token-days",
        type=float,
        default=cfg.DEFAULT_READ_TOKEN_DAYS,
        help="lifetime of new read tokens, the ones in iframe URLs (default: %(default)g days)",
    )
    docs = parser.add_mutually_exclusive_group()
    docs.add_argument(
        "--docs",
        dest="docs",
        action="store_true",
        default=None,
        help="serve /docs, /redoc and /openapi.json (default: only on loopback)",
    )
    docs.add_argument(
        "--no-docs", dest="docs", action="store_false", help="do not serve the API docs"
    )


def config_from_args(args: argparse.Namespace) -> cfg.ServerConfig:
    from nbrun.server.auth import generate_token

    keys = list(args.api_keys)
    for n, key in enumerate(keys, 1):
        _refuse_bad_key(key, f"--api-key number {n}" if len(keys) > 1 else "--api-key")
    if _KEYS_ENV in os.environ:
        # Set but empty is a shell slip too ("$UNSET"): say so rather than ignore it.
        entries = [k.strip() for k in os.environ[_KEYS_ENV].split(",")]
        for n, key in enumerate(entries, 1):
            _refuse_bad_key(key, f"entry {n} of ${_KEYS_ENV}")
        keys += entries
    token = args.token
    if token is not None:
        _refuse_bad_key(token, "--token")
    elif _TOKEN_ENV in os.environ:
        token = os.environ[_TOKEN_ENV]
        _refuse_bad_key(token, f"${_TOKEN_ENV}")
    elif cfg.is_loopback(args.host):
        token = generate_token()
    storage_dir, storage_url = (
        cfg.storage_from_arg(args.storage) if args.storage else (cfg.default_storage_dir(), None)
    )
    return cfg.ServerConfig(
        db_url=args.db_url or cfg.default_db_url(),
        storage_dir=storage_dir,
        storage_url=storage_url,
        host=args.host,
        port=args.port,
        api_keys=keys,
        token=token,
        crash_after=args.crash_after,
        read_token_days=args.read_token_days,
        docs=args.docs,
    )


def _refuse_bad_key(key: str, what: str) -> None:
    problem = cfg.key_problem(key, what)
    if problem:
        raise ValueError(f"refusing to start: {problem}")


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        state = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child, exited: reap it
            return False
    if pid_alive(pid):
        return True
    _reap(pid)
    return False


def _reap(pid: int, within: float = 5.0) -> None:
    """Reap ``pid`` if it is an exited child of ours. Linux shows a leader whose other threads
    are still ending as a zombie before waitpid can collect it: retry for a moment."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except (ChildProcessError, OSError):
            return  # not our child: its parent reaps it
        time.sleep(0.01)


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}{API_PREFIX}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _checked_config(args: argparse.Namespace) -> cfg.ServerConfig | None:
    """The configuration ``args`` describe, or None after saying on stderr why it must not
    start."""
    try:
        config = config_from_args(args)
        config.check()
    except ValueError as e:
        print(f"nbrun server: {e}", file=sys.stderr, flush=True)
        return None
    return config


def _serve(args: argparse.Namespace) -> int:
    from nbrun.server.serve import serve

    config = _checked_config(args)
    if config is None:
        return 2
    return serve(config, args.state_file)


def _start(args: argparse.Namespace) -> int:
    if _checked_config(args) is None:  # before detaching: the error belongs on this terminal
        return 2
    args.state_file = args.state_file or cfg.default_state_file()
    state = read_state(args.state_file)
    if state and _alive(state.get("pid")) and healthy(str(state.get("url"))):
        print(f"nbrun server already running at {state['url']} (pid {state['pid']})")
        return 0 if args.detach else 1
    if not args.detach:
        return _serve(args)
    argv = [sys.executable, "-m", "nbrun.server", *_forwarded(args)]
    log = args.state_file.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(log, "ab") as out:
        child = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = read_state(args.state_file)
        if state and state.get("pid") == child.pid:
            print(f"nbrun server listening on {state['url']} (pid {child.pid})")
            return 0
        if child.poll() is not None:
            print(f"nbrun server exited with code {child.returncode}; see {log}", file=sys.stderr)
            return 1
        time.sleep(0.05)
    print(f"nbrun server did not come up within 15 s; see {log}", file=sys.stderr)
    return 1


def _forwarded(args: argparse.Namespace) -> list[str]:
    out = ["--host", args.host, "--port", str(args.port), "--state-file", str(args.state_file)]
    out += ["--crash-after", str(args.crash_after)]
    out += ["--read-token-days", str(args.read_token_days)]
    if args.docs is not None:
        out += ["--docs" if args.docs else "--no-docs"]
    if args.db_url:
        out += ["--db-url", args.db_url]
    if args.storage:
        out += ["--storage", args.storage]
    for key in args.api_keys:
        out += ["--api-key", key]
    if args.token is not None:
        out += ["--token", args.token]
    return out


def login_url(base_url: str, token: str | None) -> str:
    """The dashboard's login link; the token rides in the fragment, which browsers never send
    to the server (so it stays out of access logs)."""
    return f"{base_url.rstrip('/')}/login" + (f"#token={token}" if token else "")


def _status(args: argparse.Namespace) -> int:
    path = args.state_file or cfg.default_state_file()
    state = read_state(path)
    if not state or not _alive(state.get("pid")):
        print(f"nbrun server is not running (no live server in {path})")
        return 1
    health = "healthy" if healthy(str(state.get("url"))) else "not answering"
    print(f"nbrun server running at {state.get('url')} (pid {state.get('pid')}), {health}")
    print(f"  database: {state.get('db_url')}\n  storage:  {state.get('storage')}")
    token = state.get("token")
    dashboard = login_url(str(state.get("url")), token if isinstance(token, str) else None)
    print(f"  dashboard: {dashboard}")
    return 0 if health == "healthy" else 1


def _stop(args: argparse.Namespace) -> int:
    path = args.state_file or cfg.default_state_file()
    state = read_state(path)
    pid = state.get("pid") if state else None
    if not _alive(pid):
        print("nbrun server is not running")
        with contextlib.suppress(OSError):
            path.unlink()
        return 0
    assert isinstance(pid, int)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        print(f"nbrun server (pid {pid}) did not stop within {args.timeout} s", file=sys.stderr)
        return 1
    with contextlib.suppress(OSError):
        path.unlink()
    print(f"nbrun server (pid {pid}) stopped")
    return 0


def add_server_commands(subparsers: Any) -> None:
    """Add ``server [start|status|stop]`` to the ``nbrun`` command's subparsers."""
    server = subparsers.add_parser(
        "server",
        help="run the nbrun backend server (`nbrun server [options]`), or control it",
        description="Without a command, `nbrun server [options]` is `nbrun server start`.",
    )
    add_serve_arguments(server)
    server.add_argument("--detach", action="store_true", help="run in the background")
    server.set_defaults(handler=_start)
    commands = server.add_subparsers(dest="server_command")
    start = commands.add_parser("start", help="start a server (foreground unless --detach)")
    add_serve_arguments(start)
    start.add_argument("--detach", action="store_true", help="run in the background")
    start.set_defaults(handler=_start)
    status = commands.add_parser("status", help="show the server recorded in the state file")
    status.add_argument("--state-file", type=Path)
    status.set_defaults(handler=_status)
    stop = commands.add_parser("stop", help="stop the server recorded in the state file")
    stop.add_argument("--state-file", type=Path)
    stop.add_argument("--timeout", type=float, default=10.0)
    stop.set_defaults(handler=_stop)
    _add_tokens_commands(commands)


def _tokens_list(args: argparse.Namespace) -> int:
    from nbrun.server.tokens import list_command  # needs the server extra (SQLAlchemy)

    return list_command(args)


def _tokens_revoke(args: argparse.Namespace) -> int:
    from nbrun.server.tokens import revoke_command

    return revoke_command(args)


def _add_tokens_commands(commands: Any) -> None:
    tokens = commands.add_parser(
        "tokens",
        help="list or revoke read tokens (the nbrr_ tokens in iframe URLs)",
        description="Read tokens let an iframe read one run. `list` shows them (id: a short "
        "prefix of the stored hash); `revoke` ends them, on running servers too within "
        "a few seconds.",
    )
    actions = tokens.add_subparsers(dest="tokens_command", required=True)
    db_help = "the server's database (default: the default server's, as `nbrun server` uses)"
    # SUPPRESS: without --db-url here, `nbrun server --db-url URL tokens ...` keeps its URL.
    db_url: dict[str, Any] = {"default": argparse.SUPPRESS, "help": db_help}
    tokens.add_argument("--db-url", **db_url)
    listing = actions.add_parser("list", help="id, run, created, expires and state of each")
    listing.add_argument("--db-url", **db_url)
    listing.set_defaults(handler=_tokens_list)
    revoking = actions.add_parser("revoke", help="revoke tokens: by ID, --run or --all")
    revoking.add_argument("id", nargs="?", help="a token id from `nbrun server tokens list`")
    revoking.add_argument("--run", help="every token of the run entity/project/run_id")
    revoking.add_argument("--all", action="store_true", help="every token")
    revoking.add_argument("--db-url", **db_url)
    revoking.set_defaults(handler=_tokens_revoke)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nbrun.server``: serve in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m nbrun.server", description=__doc__)
    add_serve_arguments(parser)
    return _serve(parser.parse_args(argv))

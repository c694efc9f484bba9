"""Server settings: loopback detection, default locations, and what must not start."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbrun.server.config import ServerConfig, data_dir, default_db_url, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "10.1.2.3", "192.168.0.1", "no-such-host.invalid"]
)
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_data_dir_follows_nbrun_data_dir_then_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NBRUN_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "nbrun"
    assert default_db_url() == f"sqlite:///{tmp_path / 'xdg' / 'nbrun' / 'nbrun.db'}"
    monkeypatch.setenv("NBRUN_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
    monkeypatch.delenv("NBRUN_DATA_DIR")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_dir() == Path.home() / ".nbrun"


KEY = "a-key-of-sixteen-chars"


def test_unsafe_configurations_say_why() -> None:
    with pytest.raises(ValueError, match=r"refusing to listen on 0\.0\.0\.0"):
        ServerConfig(host="0.0.0.0", token=KEY).check()
    ServerConfig(host="0.0.0.0", api_keys=[KEY]).check()
    with pytest.raises(ValueError, match="no API key or token"):
        ServerConfig().check()
    with pytest.raises(ValueError, match="crash_after"):
        ServerConfig(token=KEY, crash_after=0).check()
    with pytest.raises(ValueError, match="read_token_days"):
        ServerConfig(token=KEY, read_token_days=0).check()


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "API key 2 is empty"),
        ("   ", "API key 2 is only whitespace"),
        (" " + KEY, "API key 2 starts or ends with whitespace"),
        ("k" * 15, "API key 2 is 15 characters long; keys must have at least 16"),
    ],
)
def test_empty_blank_or_short_keys_are_refused(key: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"^refusing to start: {problem}"):
        ServerConfig(host="0.0.0.0", api_keys=[KEY, key]).check()
    with pytest.raises(ValueError, match=problem.replace("API key 2", "the token")):
        ServerConfig(token=key).check()
    ServerConfig(api_keys=["k" * 16], token=KEY).check()


def test_docs_are_served_on_loopback_only_unless_chosen() -> None:
    assert ServerConfig(token=KEY).serve_docs
    assert not ServerConfig(host="0.0.0.0", api_keys=[KEY]).serve_docs
    assert ServerConfig(host="0.0.0.0", api_keys=[KEY], docs=True).serve_docs
    assert not ServerConfig(token=KEY, docs=False).serve_docs

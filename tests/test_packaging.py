"""The wheel users install: it carries the built dashboard, the prebuilt JupyterLab extension and
the config that enables the Jupyter server extension, so its users never need Node."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_the_front_end_and_the_jupyter_config(tmp_path: Path) -> None:
    # No build isolation: the front-end built by `make install` is reused (skip-if-exists).
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip_wheel, "--wheel-dir", str(tmp_path), str(CHECKOUT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [wheel] = tmp_path.glob("nbrun-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    assert "nbrun/server/static/dashboard.js" in names
    assert f"{data}/data/share/jupyter/labextensions/nbrun/package.json" in names
    assert any(
        n.startswith(f"{data}/data/share/jupyter/labextensions/nbrun/static/remoteEntry.")
        for n in names
    )
    assert f"{data}/data/etc/jupyter/jupyter_server_config.d/nbrun.json" in names
    assert not any("node_modules" in n for n in names)


def test_jupyter_lists_the_server_extension_enabled() -> None:
    listed = subprocess.run(
        [str(Path(sys.executable).with_name("jupyter")), "server", "extension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)  # no colours
    assert re.search(r"nbrun\.jupyter_server\.extension\s+enabled", output), output
    assert re.search(r"nbrun\.jupyter_server\.extension\s+OK", output), output

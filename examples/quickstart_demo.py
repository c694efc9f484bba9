"""The README's main job: run notebooks/quickstart.ipynb headless against the embedded nbrun
server, then print the run's dashboard address and keep serving it until Ctrl-C.

    python examples/quickstart_demo.py [--no-wait]

The executed notebook (with the widget's final snapshot) is written to
nbrun-runs/quickstart.ipynb beside the run folders.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nbrun.environment import default_entity
from nbrun.sdk.names import new_run_id
from nbrun.sync.embedded import ensure_embedded_server, running_server, stop_embedded_server

CHECKOUT = Path(__file__).resolve().parent.parent
NOTEBOOK = CHECKOUT / "notebooks" / "quickstart.ipynb"
OUTPUT_DIR = CHECKOUT / "nbrun-runs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-wait", action="store_true", help="exit once the notebook has run")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="where runs go")
    args = parser.parse_args(argv)
    output_dir: Path = args.output_dir

    started_here = running_server() is None
    backend = ensure_embedded_server()
    run_id = new_run_id()
    output_dir.mkdir(parents=True, exist_ok=True)
    os.environ["NBRUN_RUN_ID"] = run_id  # the kernel inherits it: we know the run's path
    print(f"running {NOTEBOOK.relative_to(CHECKOUT)} in a headless kernel ...", flush=True)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=600, resources={"metadata": {"path": output_dir}})
    client.execute()
    executed = output_dir / NOTEBOOK.name
    nbformat.write(notebook, executed)

    print(f"executed notebook: {executed}")
    print(f"the run's dashboard: {backend.run_url(default_entity(), 'quickstart', run_id)}")
    if backend.token:
        # Opening this once signs the browser in (the token stays in the address' fragment,
        # which browsers never send to the server).
        print(f"sign the browser in once with: {backend.url}/login#token={backend.token}")
    if args.no_wait:
        return 0
    print("serving; press Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        if started_here:
            stop_embedded_server()
            print("\nstopped the nbrun server this demo started")
    return 0


if __name__ == "__main__":
    sys.exit(main())

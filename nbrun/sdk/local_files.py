"""The run's folder beyond the record log: config.yaml, metadata, requirements, saved files,
saved code, console output and the final summary."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from nbrun import termlog
from nbrun.data_types.media import MediaFile
from nbrun.record import types as kinds
from nbrun.record.run_dir import RunDir
from nbrun.sdk import hooks
from nbrun.sdk.code_capture import save_notebook_code
from nbrun.sdk.files import POLICIES, freeze_file, place_file, plan_save
from nbrun.sdk.hooks import ConsoleCapture
from nbrun.sdk.metadata import collect_metadata, write_requirements


class LocalFiles:
    """Writes and keeps the files of one run directory; records what it saves."""

    def __init__(self, run_dir: RunDir, append: Callable[[str, Any], None]) -> None:
        self.run_dir = run_dir
        self._append = append
        self._saved: list[Path] = []
        self._notebook_code = False  # save_code in a notebook: the session's cells
        self._console: ConsoleCapture | None = None
        self._metadata_thread: threading.Thread | None = None
        self._media_by_content: dict[str, Path] = {}  # one file on disk per content

    def start(
        self,
        *,
        run_id: str,
        start_time: float,
        config: dict[str, Any],
        capture_console: bool,
        save_code: bool,
    ) -> None:
        """Write config.yaml, start console capture, and collect metadata (and the program's
        code when ``save_code``) on a background thread so ``init`` stays fast."""
        self.run_dir.write_config_yaml(config)
        self._metadata_thread = threading.Thread(
            target=self._write_metadata,
            args=(run_id, start_time, save_code),
            name="nbrun-metadata",
            daemon=True,
        )
        self._metadata_thread.start()
        capture = hooks.console_capture()
        if capture_console and capture is not None:
            console = capture(self.run_dir.files / "output.log", self._record_console)
            try:
                console.start()
            except OSError as exc:
                termlog.warn(f"console output is not saved with the run: {exc}")
            else:
                self._console = console

    def _record_console(self, stream: str, text: str) -> None:
        if not text.isascii():  # a lone surrogate printed must not cost the line
            text = text.encode("utf-8", "replace").decode("utf-8")
        name: Literal["stdout", "stderr"] = "stderr" if stream == "stderr" else "stdout"
        record: kinds.ConsoleRecord = {"stream": name, "text": text, "time": time.time()}
        self._append(kinds.CONSOLE, record)

    def _write_metadata(self, run_id: str, start_time: float, save_code: bool) -> None:
        try:
            metadata = collect_metadata()
            metadata["start_time"] = start_time
            metadata["run_id"] = run_id
            self.run_dir.write_json("nbrun-metadata.json", metadata)
            self._append(kinds.METADATA, metadata)  # the backend shows its program
            write_requirements(self.run_dir.files / "requirements.txt")
            if save_code:
                self._save_program(metadata.get("program"), metadata.get("git"))
        except Exception as exc:  # metadata is a nicety: never let it disturb the run
            termlog.warn(f"could not write run metadata: {exc}")

    def _save_program(self, program: str | None, git: dict[str, Any] | None) -> None:
        notebook_code = save_notebook_code(self.run_dir.files)
        if notebook_code is not None:  # rewritten with the later cells at finish
            self._notebook_code = True
            self._append(kinds.FILES, {"files": [{"path": notebook_code, "policy": "end"}]})
            return
        if not program or not Path(program).is_file():
            termlog.info("save_code: no program file to save")
            return
        source = Path(program)
        root = Path(git["root"]) if git and git.get("root") else Path.cwd()
        try:
            relative = source.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            relative = source.name
        destination = self.run_dir.files / "code" / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
        self._append(kinds.FILES, {"files": [{"path": f"code/{relative}", "policy": "now"}]})

    def save(
        self,
        glob_str: str | os.PathLike[str],
        base_path: str | os.PathLike[str] | None,
        policy: str,
    ) -> list[str]:
        """Place the files matching ``glob_str`` under ``files/`` (see :func:`plan_save`)."""
        if policy not in POLICIES:
            raise ValueError(f"save(): policy must be one of {', '.join(POLICIES)}; got {policy!r}")
        planned = plan_save(glob_str, base_path)
        if not planned:
            termlog.warn(f"save(): no files match {os.fspath(glob_str)!r}")
            return []
        created = []
        for source, relative in planned:
            destination = place_file(source, self.run_dir.files, relative, policy)
            if destination not in self._saved:
                self._saved.append(destination)
            created.append(str(destination))
        self._append(
            kinds.FILES, {"files": [{"path": rel, "policy": policy} for _, rel in planned]}
        )
        return created

    def write_media(self, media_files: list[MediaFile]) -> None:
        """Write the files of logged media (images ...) before their row is recorded."""
        paths = self.run_dir.write_files(media_files, self._media_by_content)
        self._append(kinds.FILES, {"files": [{"path": p, "policy": "now"} for p in paths]})

    def finish(self, summary: dict[str, Any], config: dict[str, Any]) -> None:
        """Freeze saved files into copies and write the final summary and config (then call
        :meth:`stop_console`)."""
        for destination in self._saved:
            freeze_file(destination)
        self.wait_for_metadata()
        if self._notebook_code:
            save_notebook_code(self.run_dir.files)
        self.run_dir.write_json("nbrun-summary.json", summary)
        self.run_dir.write_config_yaml(config)

    def close_records(self) -> None:
        """Before the record log closes: wait for the metadata record and the last console
        lines, so they go into the log."""
        self.wait_for_metadata()
        self.stop_console()

    def wait_for_metadata(self) -> None:
        """Wait (up to 5 s) until the metadata collected at start is recorded."""
        if self._metadata_thread is not None:
            self._metadata_thread.join(timeout=5.0)

    def stop_console(self) -> None:
        if self._console is not None:
            self._console.stop()
            self._console = None

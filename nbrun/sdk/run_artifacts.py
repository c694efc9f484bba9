"""The run's artifact methods, with the reference's signatures (see ``artifact_log``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from nbrun.artifacts.artifact import Artifact
from nbrun.sdk.artifact_log import ArtifactLog
from nbrun.sdk.metadata import program_name

if TYPE_CHECKING:
    from nbrun.sdk.local_files import LocalFiles
    from nbrun.sdk.recording import Recording
    from nbrun.sdk.run_identity import RunIdentity
    from nbrun.sync.online import OnlineSync


class ArtifactRunMethods:
    """Mixed into ``Run``."""

    _identity: RunIdentity
    _recording: Recording
    _files: LocalFiles | None
    _online: OnlineSync | None
    _artifacts: ArtifactLog | None = None

    def _artifact_log(self, method: str) -> ArtifactLog:
        self._recording.check_open(f"{method}()")
        if self._artifacts is None:
            self._artifacts = ArtifactLog(
                self._identity.entity,
                self._identity.project,
                self._identity.id,
                self._files.run_dir if self._files is not None else None,
                self._recording.append,
                self._online.client if self._online is not None else None,
            )
        return self._artifacts

    def log_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,
        aliases: list[str] | None = None,
        tags: list[str] | None = None,
    ) -> Artifact:
        """Declare an artifact (an ``Artifact``, a file, a folder or a ``file://`` URI) an output
        of this run; ``latest`` is always among its aliases."""
        return self._artifact_log("log_artifact").log(artifact_or_path, name, type, aliases, tags)

    def use_artifact(
        self,
        artifact_or_name: Artifact | str,
        type: str | None = None,
        aliases: list[str] | None = None,
        use_as: str | None = None,
    ) -> Artifact:
        """Declare a version an input of this run: ``name``, ``name:v3``, ``name:alias``,
        ``project/name:...``, ``entity/project/name:...``, or an ``Artifact``."""
        return self._artifact_log("use_artifact").use(artifact_or_name, type, aliases, use_as)

    def upsert_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,
        aliases: list[str] | None = None,
        distributed_id: str | None = None,
    ) -> Artifact:
        """Declare (or add to) a non-final artifact as an output of this run: the files of
        every run upserting with one ``distributed_id`` (by default the run's group) make one
        version once a run calls ``finish_artifact``; till then it is not ``latest``."""
        log = self._artifact_log("upsert_artifact")
        group = self._identity.settings.group
        return log.upsert(artifact_or_path, name, type, aliases, distributed_id, group, False)

    def finish_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,
        aliases: list[str] | None = None,
        distributed_id: str | None = None,
    ) -> Artifact:
        """Finish a non-final artifact: this run's files and every part upserted with
        ``distributed_id`` (by default the run's group) become one version, ``latest``; later
        upserts with the same distributed id make a new version."""
        log = self._artifact_log("finish_artifact")
        group = self._identity.settings.group
        return log.upsert(artifact_or_path, name, type, aliases, distributed_id, group, True)

    def log_model(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        aliases: list[str] | None = None,
    ) -> Artifact:
        """Log the file or folder ``path`` as an artifact of type ``model``."""
        return self._artifact_log("log_model").log_model(path, name, aliases)

    def use_model(self, name: str) -> str:
        """Download a logged model (``name[:version or alias]``); returns the folder."""
        return self._artifact_log("use_model").use_model(name)

    def link_artifact(
        self, artifact: Artifact, target_path: str, aliases: list[str] | None = None
    ) -> None:
        """Link a logged version into a portfolio (``portfolio``, ``project/portfolio`` or
        ``entity/project/portfolio``); ``latest`` always follows the newest link."""
        self._artifact_log("link_artifact").link(artifact, target_path, aliases)

    def link_model(
        self,
        path: str | os.PathLike[str],
        registered_model_name: str,
        name: str | None = None,
        aliases: list[str] | None = None,
    ) -> None:
        """Log ``path`` as a model (or reuse the version with the same files) and link it to the
        registered model ``registered_model_name`` in the project ``model-registry``."""
        log = self._artifact_log("link_model")
        log.link_model(path, registered_model_name, name, aliases)

    def log_code(
        self,
        root: str | None = ".",
        name: str | None = None,
        include_fn: Callable[..., bool] | None = None,
        exclude_fn: Callable[..., bool] | None = None,
    ) -> Artifact | None:
        """Save the code under ``root`` (by default ``*.py``, ``requirements.txt`` and
        ``Dockerfile``; never run folders or virtual environments) as an artifact of type
        ``code``; None when there is none."""
        program = os.path.basename(program_name())
        log = self._artifact_log("log_code")
        return log.log_code(root, name, include_fn, exclude_fn, program)

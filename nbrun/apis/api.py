"""``nbrun.Api``: the public query API over recorded runs, on a backend and on this machine."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbrun.apis.artifacts import collection_versions, project_types
from nbrun.apis.base import BaseRun
from nbrun.apis.local import default_roots, find_local_run, iter_local_runs, read_state
from nbrun.apis.local_run import LocalRun
from nbrun.artifacts.artifact import Artifact
from nbrun.artifacts.lookup import find_artifact
from nbrun.environment import default_entity
from nbrun.errors import Error
from nbrun.protocol import artifacts as rules
from nbrun.protocol.http import API_PREFIX, run_path

# The backend client (and the remote runs over it) load requests: imported when a backend is
# used, so `import nbrun` stays light.
if TYPE_CHECKING:
    from nbrun.sync.client import BackendClient


class Api:
    """Query runs.

    The backend is ``base_url`` (with ``api_key``), else ``NBRUN_BASE_URL`` (with
    ``NBRUN_API_KEY``), else the embedded server if one is running. Local run directories
    (offline runs, and runs not uploaded yet) are searched too: under ``dirs``, ``NBRUN_DIR``
    and the working directory.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        dirs: Iterable[str | Path] | None = None,
    ) -> None:
        self._roots = [Path(d) for d in dirs or ()] + default_roots()
        self._client = _backend_client(base_url, api_key)

    @property
    def base_url(self) -> str | None:
        return self._client.backend.url if self._client is not None else None

    def run(self, path: str) -> BaseRun:
        """The run at ``entity/project/id`` (``run.path``), or locally also ``project/id``,
        ``id`` or a run directory. Raises ``nbrun.Error`` naming the path when there is none,
        and ``nbrun.CommError`` when the backend cannot be reached."""
        from nbrun.sync.client import NotFoundError

        parts = path.strip("/").split("/")
        if self._client is not None and len(parts) == 3 and not Path(path).exists():
            from nbrun.apis.remote_run import RemoteRun, run_info_values

            try:
                info = self._client.get_json(run_path(*parts), json_values=run_info_values)
                return self._opened(RemoteRun(self._client, info))
            except NotFoundError:
                pass  # not uploaded (yet): maybe it is a local run
        run_dir = find_local_run(path, self._roots)
        if run_dir is None:
            searched = [str(root / "nbrun") for root in self._roots]
            if self._client is not None:
                searched.insert(0, self._client.backend.url)
            raise Error(f"no run {path!r} found (searched {', '.join(searched)})")
        return self._opened(LocalRun(run_dir, read_state(run_dir)))

    def _opened(self, run: BaseRun) -> BaseRun:
        run._open_run = self.run
        return run

    # -- artifacts ---------------------------------------------------------------------------

    def artifact(self, name: str, type: str | None = None) -> Artifact:
        """The version ``[entity/]project/name[:version]`` (``v3``, an alias or a digest;
        ``latest`` when none). Raises ``ValueError`` naming what was not found."""
        path = rules.parse_artifact_path(name, "name")
        entity, project = self._artifact_project(path, name)
        found = find_artifact(path, entity, project, self._client, open_run=self.run)
        if type is not None and found.type != type:
            raise ValueError(f"artifact {name!r} is of type {found.type!r}, not {type!r}")
        return found

    def artifact_exists(self, name: str, type: str | None = None) -> bool:
        try:
            self.artifact(name, type)
        except ValueError:
            return False
        return True

    def artifacts(self, type_name: str, name: str, per_page: int = 50) -> list[Artifact]:
        """Every version of the artifact ``[entity/]project/name`` of type ``type_name``,
        oldest first."""
        path = rules.parse_artifact_path(name, "name")
        entity, project = self._artifact_project(path, name)
        found = collection_versions(self._client, entity, project, path["name"], self.run)
        return [a for a in found if a.type == type_name]

    def artifact_versions(self, type_name: str, name: str, per_page: int = 50) -> list[Artifact]:
        """The reference's older name of :meth:`artifacts`."""
        return self.artifacts(type_name, name, per_page)

    def artifact_types(self, project: str | None = None) -> list[str]:
        """The artifact types logged in ``[entity/]project``."""
        entity, name = self._project_of(project)
        return sorted(set(project_types(self._client, entity, name).values()))

    def artifact_collections(self, project_name: str, type_name: str) -> list[str]:
        """The names of ``[entity/]project_name``'s artifacts of type ``type_name``."""
        entity, name = self._project_of(project_name)
        types = project_types(self._client, entity, name)
        return sorted(n for n, t in types.items() if t == type_name)

    def _artifact_project(self, path: rules.ArtifactPath, text: str) -> tuple[str, str]:
        project = path["project"] or os.environ.get("NBRUN_PROJECT")
        if project is None:
            raise ValueError(
                f"name {text!r} names no project: use 'project/name:version' or "
                "'entity/project/name:version'"
            )
        return path["entity"] or default_entity(), project

    def _project_of(self, project: str | None) -> tuple[str, str]:
        parts = (project or os.environ.get("NBRUN_PROJECT") or "").strip("/").split("/")
        if not parts[-1] or len(parts) > 2:
            raise ValueError(f"project must be 'project' or 'entity/project', got {project!r}")
        return (parts[0] if len(parts) == 2 else default_entity()), parts[-1]

    def runs(self, path: str | None = None, filters: dict[str, Any] | None = None) -> list[BaseRun]:
        """Runs of ``entity/project`` (or, locally, ``project``), newest first; ``filters``
        match run fields exactly, e.g. ``{"group": "fold-1"}``. Backend runs come with the
        local runs not uploaded to it."""
        found: dict[str, BaseRun] = {}
        wanted = path.strip("/").split("/") if path else []
        if self._client is not None:
            for entity, project in self._backend_projects(wanted):
                for remote in self._backend_runs(entity, project, filters):
                    found[remote.path] = remote
        for run_dir, head in iter_local_runs(self._roots):
            have = [head.get("entity", ""), head.get("project", "")]
            if wanted and have[-len(wanted) :] != wanted:
                continue
            local = self._opened(LocalRun(run_dir, read_state(run_dir)))
            if local.path not in found and _matches(local, filters):
                found[local.path] = local
        return sorted(found.values(), key=lambda r: r.start_time or 0.0, reverse=True)

    def _backend_projects(self, wanted: list[str]) -> list[tuple[str, str]]:
        """``entity/project`` as given, or the backend's projects matching ``project`` (or
        all of them)."""
        if len(wanted) == 2:
            return [(wanted[0], wanted[1])]
        assert self._client is not None
        listed = self._client.get_json(f"{API_PREFIX}/projects")["projects"]
        return [
            (p["entity"], p["project"]) for p in listed if not wanted or p["project"] == wanted[-1]
        ]

    def _backend_runs(
        self, entity: str, project: str, filters: dict[str, Any] | None
    ) -> list[BaseRun]:
        from nbrun.apis.remote_run import RemoteRun, run_list_values

        assert self._client is not None
        params = {k: v for k, v in (filters or {}).items() if k in _SERVER_FILTERS}
        answer = self._client.get_json(
            f"{API_PREFIX}/runs/{entity}/{project}", json_values=run_list_values, **params
        )
        runs = [self._opened(RemoteRun(self._client, info)) for info in answer["runs"]]
        return [run for run in runs if _matches(run, filters)]


def local_runs(project: str | None, roots: list[Path]) -> list[BaseRun]:
    """The runs recorded under ``roots`` only (of ``project`` or ``entity/project``), newest
    first."""
    wanted = project.strip("/").split("/") if project else []
    found = []
    for run_dir, head in iter_local_runs(roots):
        have = [head.get("entity", ""), head.get("project", "")]
        if not wanted or have[-len(wanted) :] == wanted:
            found.append(LocalRun(run_dir, read_state(run_dir)))
    return sorted(found, key=lambda r: r.start_time or 0.0, reverse=True)


_SERVER_FILTERS = ("state", "group", "job_type")


def _matches(run: BaseRun, filters: dict[str, Any] | None) -> bool:
    return not filters or all(getattr(run, k, None) == v for k, v in filters.items())


def _backend_client(base_url: str | None, api_key: str | None) -> BackendClient | None:
    base_url = base_url or os.environ.get("NBRUN_BASE_URL")
    if base_url:
        from nbrun.sync.client import Backend, BackendClient

        token = api_key or os.environ.get("NBRUN_API_KEY")
        return BackendClient(Backend(url=base_url.rstrip("/"), token=token))
    from nbrun.sync.embedded import running_server

    backend = running_server()
    if backend is None:
        return None
    from nbrun.sync.client import BackendClient

    return BackendClient(backend)

"""The ``application/vnd.nbrun.run+json`` payload a bare ``run`` renders with: typed once here
(the JupyterLab MIME renderer, ``labextension/src/lab/mime_payload.ts``, reads the same shape;
``tests/unit/protocol/test_typescript_mirror.py`` keeps the two in step)."""

from __future__ import annotations

from typing import Final, TypedDict

RUN_MIME_TYPE: Final = "application/vnd.nbrun.run+json"
RUN_MIME_VERSION: Final = 1


class RunMimePayload(TypedDict):
    version: int  # RUN_MIME_VERSION
    entity: str
    project: str
    id: str
    name: str
    state: str  # running | finished | failed
    step: int
    url: str | None  # the run's dashboard page as the browser reaches it; None offline
    embed_path: str  # "{entity}/{project}/runs/{id}?embed=1", relative to the dashboard root
    embed_url: str | None  # the embed view as the browser reaches it (proxy path), if known
    summary: dict[str, int | float | str | bool]  # the last scalar summary values

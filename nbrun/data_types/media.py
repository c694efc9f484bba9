"""The contract between rich values and the run: a reference for the history row, files for
the run folder."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any


@dataclasses.dataclass(frozen=True)
class MediaFile:
    """Bytes to store under the run's ``files/`` folder at ``path`` (relative, POSIX)."""

    path: str
    data: bytes


def content_path(folder: str, data: bytes, suffix: str) -> str:
    """``folder/<digest>.<suffix>``: the same content logged twice is stored once."""
    return f"{folder}/{hashlib.sha256(data).hexdigest()[:32]}.{suffix}"


class Media:
    """Base of the rich values ``run.log`` accepts (``Image``, ``Histogram``, ...).

    ``_nbrun_value()`` is what the history row holds: a dict with a ``_type`` the dashboard
    and the widget dispatch on. ``_nbrun_files()`` lists the files that reference points to.
    """

    def _nbrun_value(self) -> dict[str, Any]:
        raise NotImplementedError

    def _nbrun_files(self) -> list[MediaFile]:
        return []

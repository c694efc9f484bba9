"""The contract between rich values and the run: a reference for the history row, files for
the run folder."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbrun.errors import InvalidValueError


@dataclasses.dataclass(frozen=True)
class MediaFile:
    """Bytes to store under the run's ``files/`` folder at ``path`` (relative, POSIX)."""

    path: str
    data: bytes


def read_media_file(
    type_name: str, path: Path, formats: Mapping[str, str], accepted: str
) -> tuple[bytes, str]:
    """The bytes of a file given to ``type_name`` (``Image``, ``Audio``, ...) and its format,
    by its suffix in ``formats``; ``accepted`` says what the type takes, for the error."""
    file_format = formats.get(path.suffix.lower())
    if file_format is None:
        raise InvalidValueError(
            f"{type_name} file {str(path)!r}: unsupported type {path.suffix!r}; {type_name} "
            f"takes {accepted}"
        )
    try:
        return path.read_bytes(), file_format
    except OSError as exc:
        raise InvalidValueError(f"{type_name} file {str(path)!r} cannot be read: {exc}") from None


def content_path(folder: str, data: bytes, suffix: str) -> str:
    """``folder/<digest>.<suffix>``: the same content logged twice is stored once."""
    return f"{folder}/{hashlib.sha256(data).hexdigest()[:32]}.{suffix}"


@dataclasses.dataclass(frozen=True)
class StoredBytes:
    """The file of a payload that names its ``path``, ``size`` and ``sha256`` (tables, HTML,
    plotly figures)."""

    path: str
    data: bytes
    sha256: str

    @classmethod
    def of(cls, folder: str, data: bytes, suffix: str) -> StoredBytes:
        digest = hashlib.sha256(data).hexdigest()
        return cls(f"{folder}/{digest[:32]}.{suffix}", data, digest)

    def reference(self, kind: str) -> dict[str, Any]:
        """The payload's common part: ``{"_type": kind, "path", "size", "sha256"}``."""
        return {"_type": kind, "path": self.path, "size": len(self.data), "sha256": self.sha256}

    def file(self) -> MediaFile:
        return MediaFile(self.path, self.data)


class PendingValue(dict[str, Any]):
    """Stands in a converted row for a media value not encoded yet (see
    :mod:`nbrun.sdk.media_pipeline`); a dict, so it measures as one, holding its ``_type``."""

    __slots__ = ("media",)

    def __init__(self, media: Media, kind: str) -> None:
        super().__init__(_type=kind)
        self.media = media


class Media:
    """Base of the rich values ``run.log`` accepts (``Image``, ``Histogram``, ...).

    ``_nbrun_value()`` is what the history row holds: a dict with a ``_type`` the dashboard
    and the widget dispatch on. ``_nbrun_files()`` lists the files that reference points to.
    """

    def _nbrun_value(self) -> dict[str, Any]:
        raise NotImplementedError

    def _nbrun_files(self) -> list[MediaFile]:
        return []

    def _nbrun_deferred(self) -> str | None:
        """The ``_type`` of this value when its encoding waits for the run's encoder thread
        (``log()`` then records it later, in order); None when it is ready now."""
        return None

    def _nbrun_pending_bytes(self) -> int:
        """Memory this value holds until it is encoded (bounds the encoder's queue)."""
        return 0

    def _nbrun_logged(self) -> None:
        """Called once a run has stored this value's files for a history row (a ``log()`` that
        was refused never calls it): a ``Table`` with ``log_mode="IMMUTABLE"`` keeps what was
        logged from then on."""

"""The contract between rich values and the run: a reference for the history row, files for
the run folder."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nbrun.errors import InvalidValueError
from nbrun.protocol.media import MEDIA_FOLDERS


@dataclasses.dataclass(frozen=True)
class MediaFile:
    """Bytes to store under the run's ``files/`` folder at ``path`` (relative, POSIX);
    ``content`` is its content name (``media/<kind>/<digest>.<ext>``) when ``path`` is another
    (a logged value's key and step): files of one content are one file on disk."""

    path: str
    data: bytes
    content: str = ""


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

    def _nbrun_state(self) -> Media:
        """What a deferred ``log()`` of this value stores once encoded: the value itself, or a
        copy of its state now (a ``Table``'s rows), so later changes do not reach the log."""
        return self

    def _nbrun_pending_bytes(self) -> int:
        """Memory this value holds until it is encoded (bounds the encoder's queue)."""
        return 0

    def _nbrun_logged(self) -> None:
        """Called once a run has stored this value's files for a history row (a ``log()`` that
        was refused never calls it): a ``Table`` with ``log_mode="IMMUTABLE"`` keeps what was
        logged from then on."""


class OneFileMedia(Media):
    """A value stored as one file of kind ``KIND``: the file as given, or made from what the
    value holds (checked and copied in its constructor) by ``encode``, once, on whichever thread
    needs it first: on the run's encoder threads when logged."""

    KIND = ""

    def __init__(self) -> None:
        self._stored: StoredBytes | None = None
        self._source: Any = None  # what the file is made from, until it is made
        self._make: Callable[[Any], bytes] | None = None
        self._suffix = ""
        self._source_bytes = 0
        self._lock = threading.Lock()

    def _store_file(self, data: bytes, suffix: str) -> None:
        """The file is ``data``, as given."""
        self._stored = StoredBytes.of(MEDIA_FOLDERS[self.KIND], data, suffix)

    def _store_later(
        self, source: Any, make: Callable[[Any], bytes], suffix: str, source_bytes: int
    ) -> None:
        """The file is ``make(source)``, made when first needed; ``source`` holds
        ``source_bytes`` of memory until then."""
        self._source, self._make, self._suffix = source, make, suffix
        self._source_bytes = source_bytes

    def _file(self) -> StoredBytes:
        with self._lock:
            if self._stored is None:
                assert self._make is not None
                data = self._make(self._source)
                self._stored = StoredBytes.of(MEDIA_FOLDERS[self.KIND], data, self._suffix)
                self._source = self._make = None
            return self._stored

    def _nbrun_deferred(self) -> str | None:
        return self.KIND if self._stored is None else None

    def _nbrun_pending_bytes(self) -> int:
        return self._source_bytes if self._stored is None else 0

    def _nbrun_files(self) -> list[MediaFile]:
        return [self._file().file()]

    def _stored_size(self) -> str:
        stored = self._stored
        return "not encoded yet" if stored is None else f"{len(stored.data)} bytes"

"""Names the files of a logged row's media by key, step and content, as the reference does
(:func:`nbrun.protocol.media.logged_file_path`): ``log({"sample": img}, step=3)`` stores
``media/images/sample_3_<hash>.png``. Files a value holds inside another (a table's image
cells) keep their content names, which the other value's file refers to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nbrun.data_types.media import Media, MediaFile
from nbrun.protocol.keys import is_media
from nbrun.protocol.media import logged_file_path


def name_row_files(
    row: dict[str, Any], media: list[Media], step: int
) -> tuple[dict[str, Any], list[MediaFile]]:
    """``row`` (payloads resolved) with the files its payloads point at named for ``step``, and
    every file to write: those under their new names, the rest under their content paths."""
    by_content: dict[str, MediaFile] = {}
    inner: dict[str, MediaFile] = {}
    for value in media:
        own = set(_payload_paths(value._nbrun_value()))
        for file in value._nbrun_files():
            by_content[file.path] = file
            if file.path not in own:
                inner[file.path] = file
    named: dict[str, MediaFile] = {}

    def rename(value: Any, key: str) -> Any:
        """``value`` logged under ``key``: dicts of values have dotted keys, as history columns."""
        if type(value) is list:
            return [rename(item, key) for item in value]
        if type(value) is dict:
            if is_media(value):
                return rename_payload(value, key)
            return {k: rename(v, f"{key}.{k}") for k, v in value.items()}
        return value

    def rename_payload(value: Any, key: str) -> Any:
        """A payload and those inside it (an image's masks, a chart's table), under ``key``."""
        if type(value) is list:
            return [rename_payload(item, key) for item in value]
        if type(value) is not dict:
            return value
        renamed = {k: rename_payload(v, key) for k, v in value.items()}
        path = value.get("path")
        file = by_content.get(path) if type(path) is str else None
        if file is not None:
            new_path = logged_file_path(file.path, key, step)
            named.setdefault(new_path, MediaFile(new_path, file.data, content=file.path))
            renamed["path"] = new_path
        return renamed

    named_row = {key: rename(value, key) for key, value in row.items()}
    return named_row, [*inner.values(), *named.values()]


def _payload_paths(payload: Any) -> Iterator[str]:
    """Every ``path`` a payload names, its nested payloads' (an image's masks ...) included."""
    if type(payload) is list:
        for item in payload:
            yield from _payload_paths(item)
    elif type(payload) is dict:
        path = payload.get("path")
        if type(path) is str:
            yield path
        for value in payload.values():
            if type(value) in (dict, list):
                yield from _payload_paths(value)

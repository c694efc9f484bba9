"""The rules every view applies to metric keys, written once (the TypeScript mirror in
``labextension/src/dashboard/keys.ts`` runs the same vectors: ``tests/vectors/keys.json``).

- Flattening: nested dicts stay nested in the summary and config; history columns and chart
  keys are dotted (``{"a": {"b": 1}}`` -> ``a.b``). A dict with ``_type`` is a media payload: a
  leaf, never flattened into metrics. An empty dict holds no value and yields no key.
- Sections: a key goes to the section named by the text before its last ``/`` (``a/b/c`` ->
  ``a/b``); a key without ``/`` to the default section ``""``.
- Metric globs: ``define_metric("val/*")`` applies to keys starting with ``val/``; a definition
  of the exact key wins over any glob, and a longer glob over a shorter one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

MEDIA_TYPE_KEY = "_type"


def is_media(value: Any) -> bool:
    """True for a media payload (``{"_type": "image-file", ...}``): a leaf in every view."""
    return type(value) is dict and MEDIA_TYPE_KEY in value


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``values`` with nested dicts as dotted keys (media payloads and other values whole)."""
    return dict(iter_flat(values, prefix))


def iter_flat(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The ``(dotted key, value)`` pairs of :func:`flatten`, in order."""
    for key, value in values.items():
        name = f"{prefix}{key}"
        if type(value) is dict and MEDIA_TYPE_KEY not in value:
            yield from iter_flat(value, f"{name}.")
        else:
            yield name, value


def section_of(key: str) -> str:
    """The section a key is shown in: the text before its last ``/`` ("" for none)."""
    return key.rpartition("/")[0]


def is_glob(name: str) -> bool:
    return name.endswith("*")


def matching_definition(names: Iterable[str], key: str) -> str | None:
    """Which of the defined metric ``names`` (exact names and ``prefix*`` globs) applies to
    ``key``: the exact name, else the longest matching glob, else None."""
    best: str | None = None
    for name in names:
        if name == key and not is_glob(name):
            return name
        longer = best is None or len(name) > len(best)
        if is_glob(name) and key.startswith(name[:-1]) and longer:
            best = name
    return best

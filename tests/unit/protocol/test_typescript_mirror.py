"""The TypeScript side reads the contract's shapes from hand-written mirrors; this test fails
when a mirror and its Python definition drift apart (a field added, removed, renamed, made
optional or nullable on one side only), and when a shared constant differs."""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path
from typing import Any, NotRequired, Union

import pytest

from nbrun.protocol import artifacts, events, http, media, mime

LABEXTENSION = Path(__file__).parents[3] / "labextension" / "src"
# Python definition -> (TypeScript file, interface name): every shape the browser reads.
MIRRORS: dict[type, tuple[str, str]] = {
    http.ProjectInfo: ("http_api.ts", "ProjectInfo"),
    http.RunInfo: ("http_api.ts", "RunInfo"),
    http.Series: ("http_api.ts", "Series"),
    http.HistorySeries: ("http_api.ts", "HistorySeries"),
    http.HistoryRows: ("http_api.ts", "HistoryRows"),
    http.FileInfo: ("http_api.ts", "FileInfo"),
    http.AlertInfo: ("http_api.ts", "AlertInfo"),
    http.Alerts: ("http_api.ts", "Alerts"),
    http.ConsoleLine: ("http_api.ts", "ConsoleLine"),
    http.ConsoleLines: ("http_api.ts", "ConsoleLines"),
    http.ReadToken: ("http_api.ts", "ReadToken"),
    http.TablePage: ("http_api.ts", "TablePage"),
    events.StreamRows: ("http_api.ts", "StreamRows"),
    events.StreamRun: ("http_api.ts", "StreamRun"),
    events.StreamEnd: ("http_api.ts", "StreamEnd"),
    http.MetricInfo: ("http_api.ts", "MetricDefinition"),
    **{
        shape: ("http_api.ts", shape.__name__)
        for shape in (
            http.ArtifactVersionInfo,
            http.ArtifactVersion,
            http.ArtifactVersions,
            http.ArtifactCollectionInfo,
            http.ArtifactCollections,
            http.UsedArtifactInfo,
            http.RunArtifacts,
            http.LineageNode,
            http.LineageEdge,
            http.Lineage,
        )
    },
    mime.RunMimePayload: ("lab/mime_payload.ts", "RunMimePayload"),
    **{payload: ("media.ts", payload.__name__) for payload in media.PAYLOADS.values()},
    media.TableData: ("media.ts", "TableData"),
    **{shape: ("media.ts", shape.__name__) for shape in (media.BoxPosition, media.Box)},
    **{shape: ("media.ts", shape.__name__) for shape in (media.BoxGroup, media.MaskFile)},
}
CONSTANTS = [
    ("http_api.ts", "API_PREFIX", http.API_PREFIX),
    ("http_api.ts", "MAX_TABLE_PAGE", http.MAX_TABLE_PAGE),
    ("lab/mime_payload.ts", "RUN_MIME_TYPE", mime.RUN_MIME_TYPE),
    ("lab/mime_payload.ts", "RUN_MIME_VERSION", mime.RUN_MIME_VERSION),
    *[("media.ts", name, getattr(media, name)) for name in ("IMAGE", "HISTOGRAM", "TABLE")],
    *[("media.ts", name, getattr(media, name)) for name in ("HTML", "PLOTLY", "PLOT")],
    *[("media.ts", name, getattr(media, name)) for name in ("AUDIO", "VIDEO", "OBJECT3D")],
    ("media.ts", "CLASS_COLOURS", list(media.CLASS_COLOURS)),
    ("media.ts", "MASK_ALPHA", media.MASK_ALPHA),
    ("dashboard/pages/artifacts.ts", "MODEL_REGISTRY_PROJECT", artifacts.MODEL_REGISTRY_PROJECT),
]

_INTERFACE = re.compile(r"export interface (\w+) \{(.*?)\n\}", re.DOTALL)
_PICK = re.compile(r"export type (\w+) = Pick<\s*(\w+),\s*([^>]*)>;", re.DOTALL)
_FIELD = re.compile(r"^\s*(\w+)(\?)?:\s*([^;]+);", re.MULTILINE)


class Field(typing.NamedTuple):
    optional: bool
    nullable: bool


def typescript_shapes(source: str) -> dict[str, dict[str, Field]]:
    shapes: dict[str, dict[str, Field]] = {}
    for name, body in _INTERFACE.findall(source):
        body = re.sub(r"//[^\n]*|/\*.*?\*/", "", body, flags=re.DOTALL)
        shapes[name] = {
            field: Field(bool(optional), "null" in re.split(r"\s*\|\s*", kind))
            for field, optional, kind in _FIELD.findall(body)
        }
    for name, base, picked in _PICK.findall(source):
        fields = re.findall(r'"(\w+)"', picked)
        shapes[name] = {field: shapes[base][field] for field in fields}
    return shapes


def python_shape(typed_dict: type) -> dict[str, Field]:
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    shape = {}
    for field, hint in hints.items():
        optional = typing.get_origin(hint) is NotRequired
        if optional:
            hint = typing.get_args(hint)[0]
        union = typing.get_origin(hint) in (Union, types.UnionType)
        nullable = union and type(None) in typing.get_args(hint)
        shape[field] = Field(optional, nullable)
    return shape


def _source(file: str) -> str:
    return (LABEXTENSION / file).read_text(encoding="utf-8")


@pytest.mark.parametrize("definition", list(MIRRORS), ids=lambda d: d.__name__)
def test_each_shape_the_browser_reads_has_the_same_fields_in_typescript(definition: type) -> None:
    file, name = MIRRORS[definition]
    mirrored = typescript_shapes(_source(file)).get(name)
    assert mirrored is not None, f"{file} has no interface {name} (mirror of {definition})"
    python = python_shape(definition)
    assert sorted(mirrored) == sorted(python), f"{name}: fields differ"
    for field, expected in python.items():
        assert mirrored[field] == expected, f"{name}.{field}: {mirrored[field]} != {expected}"


@pytest.mark.parametrize(("file", "name", "value"), CONSTANTS, ids=[c[1] for c in CONSTANTS])
def test_shared_constants_have_the_same_value(file: str, name: str, value: Any) -> None:
    found = re.search(rf"export const {name} = ([^;]+);", _source(file))
    assert found is not None, f"{file} does not export {name}"
    literal = found.group(1).strip()
    assert literal == (json.dumps(value) if isinstance(value, (str, list)) else str(value))


def test_the_parser_sees_a_drifted_field() -> None:
    drifted = "export interface A {\n  kept: string;\n  added?: number | null; // new\n}"
    assert typescript_shapes(drifted) == {
        "A": {"kept": Field(False, False), "added": Field(True, True)}
    }

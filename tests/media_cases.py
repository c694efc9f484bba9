"""Every kind of rich value a user logs, and what reading it back through ``nbrun.Api`` must give.

Shared by the round-trip tests of offline runs (``tests/unit/apis``) and of online runs
(``tests/sync``): a :class:`MediaCase` builds the values to log and checks a run read back.
Checks take every file's path from the payload the history row holds (or from the table file
that payload points at), never from a name they expect: how files are named may change, what
they hold may not.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure

import nbrun
from nbrun.apis.base import BaseRun

QUIET: dict[str, Any] = {"silent": True, "console": "off"}


class ReadBack:
    """A run as ``nbrun.Api`` gives it back: its files and their bytes (downloaded under
    ``downloads``), and its history row when it has one."""

    def __init__(self, run: BaseRun, downloads: Path) -> None:
        self.run = run
        self.names = {saved.name for saved in run.files()}
        self._downloads = downloads

    @functools.cached_property
    def row(self) -> dict[str, Any]:
        """The run's only history row."""
        [row] = self.run.history(pandas=False)
        return row

    def bytes(self, path: str) -> bytes:
        """The content of the run's file at ``path``, which ``files()`` must list."""
        assert path in self.names, f"{path!r} is not among the run's files {sorted(self.names)}"
        downloaded = self.run.file(path).download(root=str(self._downloads), replace=True)
        return downloaded.read_bytes()

    def json(self, path: str) -> Any:
        return json.loads(self.bytes(path))


@dataclasses.dataclass(frozen=True)
class MediaCase:
    """``values(folder)``: what to log in one row (files it needs are made under ``folder``);
    ``check(read, logged)``: what the run read back must hold for those values."""

    name: str
    values: Callable[[Path], dict[str, Any]]
    check: Callable[[ReadBack, dict[str, Any]], None]


def log_one_row(values: dict[str, Any], **init: Any) -> nbrun.Run:
    """A finished run of project ``media`` that logged ``values`` as its one row."""
    run = nbrun.init(project="media", **init)
    run.log(values)
    run.finish()
    return run


def assert_reads_back(
    run: BaseRun, downloads: Path, cases: list[MediaCase], logged: dict[str, Any]
) -> None:
    """``run`` (read with ``nbrun.Api``) holds what each of ``cases`` logged in ``logged``: every
    path a payload names is a file of the run, the summary and the DataFrame hold the row's
    payloads, and each case's own check passes."""
    read = ReadBack(run, downloads)
    assert set(logged) <= set(read.row)
    for path in payload_paths(read.row):
        assert path in read.names, f"{path!r} is not among the run's files"
    frame = run.history()
    for key in logged:
        assert run.summary[key] == read.row[key]
        assert frame[key].iloc[0] == read.row[key]
    for case in cases:
        case.check(read, logged)


def payload_paths(value: Any) -> Iterator[str]:
    """Every ``path`` in a row's payloads (an image's masks and a chart's table included)."""
    if isinstance(value, list):
        for item in value:
            yield from payload_paths(item)
    elif isinstance(value, dict):
        if isinstance(value.get("path"), str):
            yield value["path"]
        for inner in value.values():
            yield from payload_paths(inner)


def without_path(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload but for its ``path``: the file's name is the run's choice, the rest is not."""
    return {key: value for key, value in payload.items() if key != "path"}


def first_file(value: Any) -> bytes:
    """The bytes a logged value stores as its (first) file."""
    data: bytes = value._nbrun_files()[0].data
    return data


# -- images ----------------------------------------------------------------------------------
MASK = np.array([[0, 0, 1, 1], [0, 2, 2, 1], [0, 2, 2, 1]], dtype=np.uint8)


def _overlaid_image(_: Path) -> dict[str, Any]:
    boxes = {
        "predictions": {
            "box_data": [
                {
                    "position": {"middle": [0.5, 0.5], "width": 0.5, "height": 0.25},
                    "class_id": 1,
                    "box_caption": "cat 0.9",
                    "scores": {"confidence": 0.9},
                },
                {
                    "position": {"minX": 0, "minY": 1, "maxX": 2, "maxY": 3},
                    "domain": "pixel",
                    "class_id": 2,
                },
            ],
            "class_labels": {1: "cat", 2: "dog"},
        }
    }
    masks = {"ground_truth": {"mask_data": MASK, "class_labels": {0: "bg", 1: "cat", 2: "dog"}}}
    pixels = (np.arange(36, dtype=np.uint8) * 7).reshape(3, 4, 3)
    return {"overlaid": nbrun.Image(pixels, caption="val 3", boxes=boxes, masks=masks)}


def _check_overlaid_image(read: ReadBack, logged: dict[str, Any]) -> None:
    image, payload = logged["overlaid"], read.row["overlaid"]
    assert (payload["width"], payload["height"], payload["format"]) == (4, 3, "png")
    assert payload["caption"] == "val 3"
    assert read.bytes(payload["path"]) == first_file(image)
    encoded = image._nbrun_value()
    assert payload["boxes"] == encoded["boxes"]  # the forms a box takes are image_overlays'
    [predicted, drawn] = payload["boxes"]["predictions"]["box_data"]
    assert predicted["position"] == {"minX": 0.25, "minY": 0.375, "maxX": 0.75, "maxY": 0.625}
    assert drawn["domain"] == "pixel"
    assert payload["boxes"]["predictions"]["class_labels"] == {"1": "cat", "2": "dog"}
    mask = payload["masks"]["ground_truth"]
    assert without_path(mask) == without_path(encoded["masks"]["ground_truth"])
    assert mask["class_labels"] == {"0": "bg", "1": "cat", "2": "dog"}
    stored = read.bytes(mask["path"])
    assert stored == image._nbrun_files()[1].data and mask["size"] == len(stored)
    np.testing.assert_array_equal(iio.imread(stored), MASK)


def _gallery(_: Path) -> dict[str, Any]:
    return {"gallery": [nbrun.Image(np.full((4, 6), shade)) for shade in (0.0, 0.5, 1.0)]}


def _check_gallery(read: ReadBack, logged: dict[str, Any]) -> None:
    payloads = read.row["gallery"]
    assert [p["_type"] for p in payloads] == ["image-file"] * 3
    for image, payload in zip(logged["gallery"], payloads, strict=True):
        assert (payload["width"], payload["height"]) == (6, 4)
        assert read.bytes(payload["path"]) == first_file(image)
    shades = [int(iio.imread(read.bytes(p["path"]))[0, 0]) for p in payloads]
    assert shades == [0, 128, 255]


# -- figures ---------------------------------------------------------------------------------
def _figures(_: Path) -> dict[str, Any]:
    line = Figure()
    line.add_subplot().plot([1, 2, 3], [1, 4, 9])
    picture = Figure()
    picture.add_subplot().imshow(np.eye(4))
    plotly = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    return {"mpl_line": line, "mpl_picture": picture, "plotly": plotly}


def _check_figures(read: ReadBack, logged: dict[str, Any]) -> None:
    converted = read.row["mpl_line"]
    assert converted["_type"] == "plotly-file"
    assert read.bytes(converted["path"]) == first_file(nbrun.Plotly(logged["mpl_line"]))
    [trace] = read.json(converted["path"])["data"]
    assert (trace["x"], trace["y"]) == ([1.0, 2.0, 3.0], [1.0, 4.0, 9.0])
    fallback = read.row["mpl_picture"]
    assert fallback["_type"] == "image-file" and fallback["format"] == "png"
    assert read.bytes(fallback["path"]) == first_file(nbrun.Image(logged["mpl_picture"]))
    height, width = iio.imread(read.bytes(fallback["path"])).shape[:2]
    assert (fallback["width"], fallback["height"]) == (width, height)
    figure = read.row["plotly"]
    assert figure["_type"] == "plotly-file"
    assert read.bytes(figure["path"]) == logged["plotly"].to_json().encode()


# -- nbrun.plot presets ----------------------------------------------------------------------
_LABELS = [0, 1, 1, 0, 1]
_SCORES = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1], [0.2, 0.8]])


def _charts(_: Path) -> dict[str, Any]:
    points = nbrun.Table(columns=["epoch", "loss"], data=[[0, 1.0], [1, 0.5], [2, 0.25]])
    return {
        "line": nbrun.plot.line(points, "epoch", "loss", title="Loss"),
        "pr": nbrun.plot.pr_curve(_LABELS, _SCORES, labels=["no", "yes"], interp_size=3),
        "roc": nbrun.plot.roc_curve(_LABELS, _SCORES, labels=["no", "yes"]),
        "cm": nbrun.plot.confusion_matrix(y_true=_LABELS, probs=_SCORES, class_names=["no", "yes"]),
    }


def _check_charts(read: ReadBack, logged: dict[str, Any]) -> None:
    expected = {
        "line": ("Loss", {"x": "epoch", "y": "loss"}, ["epoch", "loss"]),
        "pr": (
            "Precision-Recall Curve",
            {"x": "recall", "y": "precision", "stroke": "class"},
            ["class", "precision", "recall"],
        ),
        "roc": ("ROC Curve", {"x": "fpr", "y": "tpr", "stroke": "class"}, ["class", "fpr", "tpr"]),
        "cm": (
            "Confusion Matrix Curve",
            {"actual": "Actual", "predicted": "Predicted", "value": "nPredictions"},
            ["Actual", "Predicted", "nPredictions"],
        ),
    }
    for key, (title, fields, columns) in expected.items():
        chart, payload = logged[key], read.row[key]
        assert (payload["_type"], payload["preset"]) == ("plot", chart.preset)
        assert (payload["title"], payload["fields"]) == (title, fields)
        table = payload["table"]
        assert (table["columns"], table["nrows"]) == (columns, len(chart.table.data))
        assert read.bytes(table["path"]) == first_file(chart)
    assert read.json(read.row["line"]["table"]["path"])["data"] == [[0, 1.0], [1, 0.5], [2, 0.25]]
    pr_rows = read.json(read.row["pr"]["table"]["path"])["data"]
    assert [row for row in pr_rows if row[0] == "yes"] == [
        ["yes", 1.0, 1.0],
        ["yes", 1.0, 0.5],
        ["yes", 1.0, 0.0],
    ]
    roc_rows = read.json(read.row["roc"]["table"]["path"])["data"]
    assert ["yes", 0.0, 1.0] in roc_rows  # the scores separate the classes
    cm_rows = read.json(read.row["cm"]["table"]["path"])["data"]
    assert sorted(cm_rows) == [
        ["no", "no", 2],
        ["no", "yes", 0],
        ["yes", "no", 1],
        ["yes", "yes", 2],
    ]


# -- tables, HTML, histograms ----------------------------------------------------------------
def _table_of_media(_: Path) -> dict[str, Any]:
    clip = nbrun.Audio(np.linspace(-1, 1, 80), sample_rate=800)
    page = nbrun.Html("<p>row <b>1</b></p>", inject=False)
    return {
        "cells": nbrun.Table(columns=["id", "clip", "page"], data=[[1, clip, page]]),
        "report": nbrun.Html("<h1>report</h1>"),
        "weights": nbrun.Histogram([1, 2, 2, 3], num_bins=2),
    }


def _check_table_of_media(read: ReadBack, logged: dict[str, Any]) -> None:
    table, payload = logged["cells"], read.row["cells"]
    assert payload["_type"] == "table-file"
    assert payload["columns"] == ["id", "clip", "page"]
    assert (payload["ncols"], payload["nrows"]) == (3, 1)
    content = read.json(payload["path"])
    assert content["columns"] == ["id", "clip", "page"]
    [[number, clip, page]] = content["data"]
    _, logged_clip, logged_page = table.data[0]
    assert number == 1
    assert without_path(clip) == without_path(logged_clip._nbrun_value())
    assert (clip["sample_rate"], clip["duration"]) == (800, 0.1)
    assert read.bytes(clip["path"]) == first_file(logged_clip)
    assert without_path(page) == without_path(logged_page._nbrun_value())
    assert read.bytes(page["path"]) == b"<p>row <b>1</b></p>"
    report = read.row["report"]
    assert report["_type"] == "html-file"
    assert read.bytes(report["path"]) == first_file(logged["report"])
    assert b"<h1>report</h1>" in read.bytes(report["path"])
    assert read.row["weights"] == {"_type": "histogram", "values": [1.0, 3.0], "bins": [1, 2, 3]}


# -- audio -----------------------------------------------------------------------------------
_SINE = np.sin(np.linspace(0, 20 * np.pi, 800))


def _audio_array(_: Path) -> dict[str, Any]:
    return {"speech": nbrun.Audio(_SINE, sample_rate=8000, caption="epoch 3")}


def _check_audio_array(read: ReadBack, logged: dict[str, Any]) -> None:
    payload = read.row["speech"]
    assert payload["_type"] == "audio-file"
    assert (payload["sample_rate"], payload["duration"]) == (8000, 0.1)
    assert payload["caption"] == "epoch 3"
    stored = read.bytes(payload["path"])
    assert stored == first_file(logged["speech"]) and payload["size"] == len(stored)
    with wave.open(io.BytesIO(stored), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (8000, 1, 2)
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    np.testing.assert_array_equal(samples, np.rint(_SINE * 32767).astype(np.int16))


def _audio_files(folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    stereo = np.zeros((441, 2), dtype=np.int16)
    stereo[:, 1] = 1000
    (folder / "stereo.wav").write_bytes(first_file(nbrun.Audio(stereo, sample_rate=44_100)))
    (folder / "voice.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00 stored as it is")
    return {
        "wav": nbrun.Audio(folder / "stereo.wav"),
        "mp3": nbrun.Audio(str(folder / "voice.mp3"), sample_rate=22_050, caption="mp3"),
    }


def _check_audio_files(read: ReadBack, logged: dict[str, Any]) -> None:
    wav, mp3 = read.row["wav"], read.row["mp3"]
    assert (wav["sample_rate"], wav["duration"]) == (44_100, 0.01)
    assert read.bytes(wav["path"]) == first_file(logged["wav"])
    assert wav["path"].endswith(".wav") and mp3["path"].endswith(".mp3")
    assert (mp3["sample_rate"], mp3["duration"], mp3["caption"]) == (22_050, None, "mp3")
    assert read.bytes(mp3["path"]) == b"ID3\x04\x00\x00\x00\x00\x00\x00 stored as it is"


# -- video -----------------------------------------------------------------------------------
_FRAMES = np.random.default_rng(7).integers(0, 256, (3, 3, 8, 12), dtype=np.uint8)


def _video_array(_: Path) -> dict[str, Any]:
    return {"rollout": nbrun.Video(_FRAMES, fps=5, caption="episode 1")}


def _check_video_array(read: ReadBack, logged: dict[str, Any]) -> None:
    payload = read.row["rollout"]
    assert payload["_type"] == "video-file" and payload["caption"] == "episode 1"
    assert (payload["format"], payload["width"], payload["height"]) == ("gif", 12, 8)
    assert (payload["frames"], payload["fps"]) == (3, 5)
    stored = read.bytes(payload["path"])
    assert stored == first_file(logged["rollout"]) and payload["size"] == len(stored)
    assert iio.imread(stored, extension=".gif", index=None).shape[:3] == (3, 8, 12)


def _video_file(folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "clip.mp4"
    source.write_bytes(first_file(nbrun.Video(_FRAMES, fps=5, format="mp4")))
    return {"clip": nbrun.Video(source)}


def _check_video_file(read: ReadBack, logged: dict[str, Any]) -> None:
    payload = read.row["clip"]
    assert (payload["format"], payload["width"], payload["height"]) == ("mp4", 12, 8)
    assert payload["frames"] == 3 and round(payload["fps"]) == 5
    stored = read.bytes(payload["path"])
    assert stored == first_file(logged["clip"])
    frames = iio.imread(stored, extension=".mp4", plugin="FFMPEG", index=None)
    assert frames.shape == (3, 8, 12, 3)


# -- 3D --------------------------------------------------------------------------------------
_XYZ = np.random.default_rng(3).random((10, 3))
_XYZRGB = np.hstack([_XYZ[:5], [[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9], [0, 0, 0]]])
_CUBE = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\n"


def _point_clouds(_: Path) -> dict[str, Any]:
    return {"xyz": nbrun.Object3D(_XYZ, caption="raw"), "xyzrgb": nbrun.Object3D(_XYZRGB)}


def _check_point_clouds(read: ReadBack, logged: dict[str, Any]) -> None:
    for key, points in (("xyz", _XYZ), ("xyzrgb", _XYZRGB)):
        payload = read.row[key]
        assert payload["_type"] == "object3D-file"
        assert (payload["format"], payload["points"]) == ("pts.json", len(points))
        assert read.bytes(payload["path"]) == first_file(logged[key])
        assert read.json(payload["path"]) == {"points": points.tolist()}
    assert read.row["xyz"]["caption"] == "raw"


def _model_file(folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cube.obj").write_text(_CUBE)
    return {"model": nbrun.Object3D(folder / "cube.obj")}


def _check_model_file(read: ReadBack, _: dict[str, Any]) -> None:
    payload = read.row["model"]
    assert (payload["format"], payload["points"]) == ("obj", None)
    assert read.bytes(payload["path"]).decode() == _CUBE


_BOX = {
    "corners": [[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)],
    "label": "car",
    "color": [255, 0, 0],
}
_VECTOR = {"start": [0, 0, 0], "end": [1, 1, 1]}


def _lidar_scene(_: Path) -> dict[str, Any]:
    return {"scene": nbrun.Object3D.from_point_cloud(_XYZ[:4], [_BOX], [_VECTOR])}


def _check_lidar_scene(read: ReadBack, logged: dict[str, Any]) -> None:
    payload = read.row["scene"]
    assert (payload["format"], payload["points"]) == ("pts.json", 4)
    assert read.bytes(payload["path"]) == first_file(logged["scene"])
    assert read.json(payload["path"]) == {
        "type": "lidar/beta",
        "points": _XYZ[:4].tolist(),
        "boxes": [_BOX],
        "vectors": [_VECTOR],
    }


CASES = [
    MediaCase("image_with_boxes_and_masks", _overlaid_image, _check_overlaid_image),
    MediaCase("image_gallery", _gallery, _check_gallery),
    MediaCase("matplotlib_and_plotly_figures", _figures, _check_figures),
    MediaCase("plot_presets", _charts, _check_charts),
    MediaCase("table_of_media_html_and_histogram", _table_of_media, _check_table_of_media),
    MediaCase("audio_array", _audio_array, _check_audio_array),
    MediaCase("audio_files", _audio_files, _check_audio_files),
    MediaCase("video_array", _video_array, _check_video_array),
    MediaCase("video_file", _video_file, _check_video_file),
    MediaCase("point_clouds", _point_clouds, _check_point_clouds),
    MediaCase("obj_model_file", _model_file, _check_model_file),
    MediaCase("lidar_scene_with_boxes", _lidar_scene, _check_lidar_scene),
]


def every_case_values(folder: Path) -> dict[str, Any]:
    """The values of every case, for one row (no two cases log the same key)."""
    values: dict[str, Any] = {}
    for case in CASES:
        made = case.values(folder / case.name)
        assert not set(made) & set(values), f"{case.name} reuses a key"
        values |= made
    return values


# -- sampled history -------------------------------------------------------------------------
def log_media_steps(steps: int, **init: Any) -> tuple[nbrun.Run, list[nbrun.Image]]:
    """A finished run that logged a loss, an image (``sample``) and a nested image
    (``eval.sample``) at each of ``steps`` steps; and those images."""
    images = [nbrun.Image(np.full((2, 3), step / steps)) for step in range(steps)]
    run = nbrun.init(project="media", **init)
    for step, image in enumerate(images):
        run.log({"loss": 1 / (step + 1), "sample": image, "eval": {"sample": image}})
    run.finish()
    return run, images


def assert_sampled_history_keeps_media(
    run: BaseRun, downloads: Path, images: list[nbrun.Image]
) -> None:
    """``history(samples=...)`` of a run of :func:`log_media_steps` (5 steps) holds the media:
    asked for by key (a nested one too) and without keys, each payload naming its file."""
    read = ReadBack(run, downloads)
    sampled = run.history(keys=["sample", "eval.sample"], samples=3, pandas=False)
    assert [row["_step"] for row in sampled] == [0, 2, 4]
    for row in sampled:
        expected = first_file(images[row["_step"]])
        assert read.bytes(row["sample"]["path"]) == expected
        assert read.bytes(row["eval.sample"]["path"]) == expected
    frame = run.history(samples=3)
    assert {"loss", "sample", "eval.sample"} <= set(frame.columns)
    assert frame["sample"].notna().sum() >= 2

"""The workloads of the media logging benchmark (bench/media_log.py) and how each tracker's
stored media are counted after finish.

A workload makes its raw inputs (NumPy arrays, made outside the timed call) and builds the dict
one ``log`` call gets with the tracker's own media types (``T.Image``, ``T.Histogram``,
``T.Table``, ``T.Video``: the same names in nbrun, wandb and trackio), inside the timed call.
Reading back uses nbrun's public ``Api`` only; for the peers, their files and local stores
(wandb: the run's ``files/media/``, its ``.wandb`` record log and its artifact staging area;
trackio: its SQLite database and media folder).

NumPy is imported inside the functions, so that a worker imports it after its tracker."""

# mypy: disable-error-code="import-not-found,import-untyped"
from __future__ import annotations

import json
import os
import sqlite3
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POOL = 8  # distinct random arrays per workload; each step copies one and stamps its step in


def _stamped(pool: Any, i: int) -> Any:
    """A new array: ``pool[i % POOL]`` with ``i`` written into its first bytes, so that every
    step logs different content (nbrun stores a content once; a repeat would flatter it)."""
    a = pool[i % len(pool)].copy()
    flat = a.reshape(-1)
    flat[:3] = (i & 255, (i >> 8) & 255, (i >> 16) & 255)
    return a


@dataclass(frozen=True)
class Workload:
    """``inputs(steps)`` returns the raw input of step ``i`` (untimed); ``build(T, raw)`` the
    dict logged at that step (timed, with the log call)."""

    key: str
    title: str
    kind: str  # the media folder / payload kind it stores
    inputs: Callable[[int], Callable[[int], Any]]
    build: Callable[[Any, Any], dict[str, Any]]


def _images(steps: int) -> Callable[[int], Any]:
    import numpy as np

    pool = np.random.default_rng(0).integers(0, 256, (POOL, 224, 224, 3), dtype=np.uint8)
    return lambda i: _stamped(pool, i)


def _histograms(steps: int) -> Callable[[int], Any]:
    import numpy as np

    pool = np.random.default_rng(1).standard_normal((POOL, 10_000))
    return lambda i: pool[i % POOL] + i * 1e-3


def _videos(steps: int) -> Callable[[int], Any]:
    """A stamp of a few bytes can vanish in a GIF's palette: each step's frames are one of the
    pool's, shifted by ``i // POOL`` columns (different GIFs for 512 steps)."""
    import numpy as np

    pool = np.random.default_rng(2).integers(0, 256, (POOL, 16, 3, 64, 64), dtype=np.uint8)
    return lambda i: np.roll(pool[i % POOL], i // POOL, axis=-1)


def _table(rows: int) -> Callable[[int], Any]:
    """One input: ``rows`` ids, scores and 32×32×3 images (one table, logged once)."""
    import numpy as np

    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (rows, 32, 32, 3), dtype=np.uint8)
    data = (list(range(rows)), rng.random(rows).tolist(), list(images))
    return lambda i: data


def _table_dict(T: Any, raw: Any) -> dict[str, Any]:
    ids, scores, images = raw
    rows = [[ids[k], scores[k], T.Image(images[k])] for k in range(len(ids))]
    return {"table": T.Table(columns=["id", "score", "image"], data=rows)}


WORKLOADS: dict[str, Workload] = {
    "image": Workload(
        "img", "(a) one 224×224×3 uint8 image per step", "images", _images,
        lambda T, a: {"img": T.Image(a)},
    ),
    "histogram": Workload(
        "hist", "(b) a 64-bin histogram of 10,000 floats per step", "histogram", _histograms,
        lambda T, v: {"hist": T.Histogram(v, num_bins=64)},
    ),
    "table": Workload(
        "table", "(c) one Table: id, score, a 32×32×3 Image per row", "images", _table,
        _table_dict,
    ),
    "video": Workload(
        "vid", "(d) a 16-frame 64×64 RGB GIF video per step", "videos", _videos,
        lambda T, v: {"vid": T.Video(v, fps=4, format="gif")},
    ),
}  # fmt: skip


def ffmpeg_path(tmp: Path) -> str:
    """A PATH whose first folder holds ``ffmpeg`` (imageio-ffmpeg's binary): trackio's Video
    runs ``ffmpeg`` from PATH, which a trackio user would have installed."""
    import imageio_ffmpeg

    folder = tmp / "home" / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ffmpeg").symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


# --------------------------------------------------------------------------------------------
# Reading back: (values read back, media files stored; None for histograms, which have none).
# --------------------------------------------------------------------------------------------


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _count(values: list[Any], workload: str, exists: Callable[[str], bool]) -> int:
    """How many logged ``values`` (payload dicts; a table's: its image cells) are complete:
    a histogram with 64 bins, or a reference to a stored file."""
    if workload == "histogram":
        return sum(1 for v in values if isinstance(v, dict) and len(v.get("values") or ()) == 64)
    return sum(1 for v in values if isinstance(v, dict) and exists(str(v.get("path"))))


def nbrun_read_back(adapter: Any, tmp: Path, workload: str) -> tuple[int, int | None]:
    """Through ``nbrun.Api``: history rows holding the payload, the run's files."""
    w = WORKLOADS[workload]
    stored = adapter.module.Api(dirs=[tmp]).run(adapter.run.id)
    names = {f.name for f in stored.files()}
    values = [row[w.key] for row in stored.history(pandas=False) if w.key in row]
    media = sum(1 for n in names if n.startswith(f"media/{w.kind}/"))
    if workload == "table":
        cells = []
        for table in values:
            path = stored.file(table["path"]).download(root=str(tmp / "read-back"))
            cells += [row[2] for row in json.loads(path.read_text())["data"]]
        values = cells
    return _count(values, workload, names.__contains__), media


def _wandb_records(path: Path) -> Iterator[bytes]:
    """The records of a ``.wandb`` file: LevelDB's log format in 32 KiB blocks after a 7-byte
    header (``:W&B``, magic, version), chunks marked full/first/middle/last."""
    data = path.read_bytes()
    pos, block, pending = 7, 32_768, b""
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk
        elif kind == 0 and length == 0:
            pos += left - 7  # zero padding to the block's end


def wandb_read_back(adapter: Any, tmp: Path, workload: str) -> tuple[int, int | None]:
    """The history values in the offline run's ``.wandb`` log, checked against its
    ``files/``; a table's rows (and its images) in wandb's artifact staging area, where an
    offline run keeps a logged table until it is synced."""
    from wandb.proto import wandb_internal_pb2 as pb

    w = WORKLOADS[workload]
    (run_dir,) = (tmp / "wandb").glob("offline-run-*")
    files = run_dir / "files"
    if workload == "table":
        staging = tmp / "home" / ".local" / "share" / "wandb" / "artifacts" / "staging"
        # the same content staged twice is one file of the artifact
        staged = {p.read_bytes() for p in staging.rglob("*") if p.is_file()}
        pngs = sum(1 for data in staged if data.startswith(PNG_MAGIC))
        cells = []
        for data in staged:
            if not data.startswith(PNG_MAGIC):
                cells += [row[2] for row in json.loads(data).get("data", ())]
        return sum(1 for c in cells if isinstance(c, dict) and c.get("path")), pngs
    values = []
    for body in _wandb_records(next(run_dir.glob("*.wandb"))):
        record = pb.Record()
        record.ParseFromString(body)
        if record.WhichOneof("record_type") != "history":
            continue
        value: dict[str, Any] = {}  # a payload's fields come as items keyed [key, field]
        for item in record.history.item:
            keys = list(item.nested_key) or [item.key]
            if keys[0] == w.key and len(keys) == 2:
                value[keys[1]] = json.loads(item.value_json)
        if value:
            values.append(value)
    media = files / "media" / w.kind
    count = sum(1 for _ in media.iterdir()) if media.is_dir() else 0
    return _count(values, workload, lambda p: (files / p).is_file()), count


def trackio_read_back(adapter: Any, tmp: Path, workload: str) -> tuple[int, int | None]:
    """The values in trackio's SQLite database, checked against its media folder."""
    w = WORKLOADS[workload]
    root = tmp / "trackio"
    media_root = root / "media"
    with sqlite3.connect(root / "bench.db") as con:
        rows = [json.loads(m) for (m,) in con.execute("SELECT metrics FROM metrics")]
    values = [r[w.key] for r in rows if w.key in r]
    if workload == "table":
        values = [row["image"] for table in values for row in table.get("_value", ())]
    if workload == "histogram":  # trackio's payload: "bins" (edges) and "values" (counts)
        return _count(values, workload, bool), None
    paths = [{"path": v.get("file_path")} for v in values if isinstance(v, dict)]
    media = sum(1 for p in media_root.rglob("*") if p.is_file())
    return _count(paths, workload, lambda p: (media_root / p).is_file()), media


READ_BACK: dict[str, Callable[[Any, Path, str], tuple[int, int | None]]] = {
    "nbrun": nbrun_read_back,
    "wandb": wandb_read_back,
    "trackio": trackio_read_back,
}

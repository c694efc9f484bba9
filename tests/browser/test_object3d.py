"""Object3D on the run page: a point cloud drawn by plotly as a scatter3d per category; model
files (obj, stl, glb, gltf) drawn with three.js in a WebGL canvas and offered for download; a
file that is not a model says so; captions as text."""

from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import nbrun

CAPTION = "<img src=x onerror=alert(1)> cloud"
# Per trace of the plot div (plotly keeps the data it drew on it): type, mode, name and points.
TRACES = """(plot) => plot.data.map((t) => [t.type, t.mode, t.name, t.x.length])"""

CORNERS = [(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
# The cube's six faces as corners (indices into CORNERS) in order around each face.
FACES = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
TRIANGLES = [half for a, b, c, d in FACES for half in ((a, b, c), (a, c, d))]
PANEL = {"light": (0xF7, 0xF7, 0xF9), "dark": (0x1E, 0x21, 0x28)}  # style.css --panel


def cube_obj() -> str:
    """Eight vertices and six quads (three's OBJLoader draws each as two triangles)."""
    vertices = "".join(f"v {x} {y} {z}\n" for x, y, z in CORNERS)
    faces = "".join("f " + " ".join(str(i + 1) for i in face) + "\n" for face in FACES)
    return "# a cube\n" + vertices + faces


def cube_stl() -> bytes:
    """A binary STL: an 80-byte header, the facet count, per facet a normal and three corners."""
    facets = b"".join(
        struct.pack("<12fH", 0, 0, 0, *(c for i in triangle for c in CORNERS[i]), 0)
        for triangle in TRIANGLES
    )
    return b"nbrun test cube".ljust(80, b"\0") + struct.pack("<I", len(TRIANGLES)) + facets


def cube_gltf(texture: bytes | None = None) -> tuple[dict[str, Any], bytes]:
    """A glTF 2.0 document of an indexed cube (8 vertices, 12 triangles) and its binary buffer;
    with `texture` (a PNG), texture coordinates and the image in the buffer too."""
    positions = struct.pack("<24f", *(c for corner in CORNERS for c in corner))
    indices = struct.pack("<36H", *(i for triangle in TRIANGLES for i in triangle))
    views: list[tuple[bytes, int | None]] = [(positions, 34962), (indices, 34963)]
    accessors: list[dict[str, Any]] = [
        {"bufferView": 0, "componentType": 5126, "count": 8, "type": "VEC3", "min": [-1] * 3},
        {"bufferView": 1, "componentType": 5123, "count": 36, "type": "SCALAR"},
    ]
    accessors[0]["max"] = [1] * 3  # POSITION needs its bounds
    attributes = {"POSITION": 0}
    material: dict[str, Any] = {"pbrMetallicRoughness": {"baseColorFactor": [0.9, 0.4, 0.1, 1]}}
    extra: dict[str, Any] = {}
    if texture is not None:
        uvs = struct.pack(
            "<16f", *(c for x, y, z in CORNERS for c in ((x + 1) / 2, (y + z + 2) / 4))
        )
        views += [(uvs, 34962), (texture, None)]
        accessors.append({"bufferView": 2, "componentType": 5126, "count": 8, "type": "VEC2"})
        attributes["TEXCOORD_0"] = 2
        material = {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}
        extra = {
            "images": [{"bufferView": 3, "mimeType": "image/png"}],
            "textures": [{"source": 0}],
        }
    buffer, buffer_views = b"", []
    for data, target in views:
        view = {"buffer": 0, "byteOffset": len(buffer), "byteLength": len(data)}
        buffer_views.append(view | ({"target": target} if target else {}))
        buffer += data + b"\0" * (-len(data) % 4)
    document = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": attributes, "indices": 1, "material": 0}]}],
        "materials": [material],
        "buffers": [{"byteLength": len(buffer)}],
        "bufferViews": buffer_views,
        "accessors": accessors,
        **extra,
    }
    return document, buffer


def glb(document: dict[str, Any], buffer: bytes) -> bytes:
    """The binary container: a 12-byte header, the JSON chunk (padded with spaces), the BIN one."""
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<I4s", len(text), b"JSON") + text
    chunks += struct.pack("<I4s", len(buffer), b"BIN\0") + buffer
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def embedded_gltf(document: dict[str, Any], buffer: bytes) -> str:
    """A .gltf text file with its buffer in a data: URI (one file, as a logged file is)."""
    uri = "data:application/octet-stream;base64," + base64.b64encode(buffer).decode()
    return json.dumps(document | {"buffers": [{"byteLength": len(buffer), "uri": uri}]})


def checkerboard() -> bytes:
    """A 32 x 32 PNG of 4 x 4 tiles, orange-red and blue."""
    tiles = np.kron((np.indices((4, 4)).sum(axis=0) % 2) * 200 + 40, np.ones((8, 8)))
    out = io.BytesIO()
    Image.fromarray(np.stack([tiles, tiles * 0.5, 255 - tiles], axis=-1).astype(np.uint8)).save(
        out, format="PNG"
    )
    return out.getvalue()


def canvas_pixels(page: Any, key: str) -> np.ndarray:
    """What the model's canvas shows, as an H x W x 3 array (a screenshot of the element)."""
    canvas = page.locator(f".rich[data-key='{key}'] .media-object3d canvas")
    return np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)


def model_fraction(pixels: np.ndarray, background: tuple[int, int, int]) -> float:
    """The share of pixels that are not the background colour (the model's pixels)."""
    return float((np.abs(pixels - np.array(background)).max(axis=-1) > 8).mean())


def test_a_point_cloud_is_drawn_per_category_and_a_model_can_be_downloaded(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    categories = np.repeat([1, 2, 3], [500, 300, 200])
    cloud = np.column_stack([rng.normal(size=(1000, 3)), categories])
    mesh = tmp_path / "triangle.obj"
    mesh.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with start_run(name="object3d") as run:
        run.log(
            {
                "cloud": nbrun.Object3D(cloud, caption=CAPTION),
                "mesh": nbrun.Object3D(str(mesh)),
            }
        )
    watched = signed_in
    page = watched.open(f"{online.url}/{project}/runs/{run.id}")

    plot = page.locator(".rich[data-key='cloud'] .plot[data-drawn='1']")
    plot.wait_for()
    assert plot.evaluate(TRACES) == [
        ["scatter3d", "markers", "category 1", 500],
        ["scatter3d", "markers", "category 2", 300],
        ["scatter3d", "markers", "category 3", 200],
    ]
    caption = page.locator(".rich[data-key='cloud'] .rich-object3d figcaption")
    assert caption.inner_text() == CAPTION
    assert page.locator("img[src='x'], [onerror]").count() == 0

    link = page.locator(".rich[data-key='mesh'] a[download]")
    link.wait_for()
    href = link.get_attribute("href")
    assert href.split("?")[0].endswith(".obj")
    assert page.evaluate("(url) => fetch(url).then((r) => r.text())", href) == mesh.read_text()
    assert page.locator(".rich[data-key='mesh'] p").inner_text().startswith("3D model (obj), 32 B")
    drawn = page.locator(".rich[data-key='mesh'] .media-object3d[data-drawn='1']")
    assert drawn.get_attribute("data-vertices") == "3"
    assert watched.errors == [] and watched.csp_violations == []


def test_model_files_are_drawn_in_webgl_framed_and_in_the_page_theme(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    (tmp_path / "cube.obj").write_text(cube_obj())
    (tmp_path / "cube.stl").write_bytes(cube_stl())
    (tmp_path / "cube.glb").write_bytes(glb(*cube_gltf()))
    (tmp_path / "cube.gltf").write_text(embedded_gltf(*cube_gltf()))
    (tmp_path / "textured.glb").write_bytes(glb(*cube_gltf(texture=checkerboard())))
    with start_run(name="models") as run, open(tmp_path / "cube.glb", "rb") as stream:
        run.log(
            {
                "obj": nbrun.Object3D(str(tmp_path / "cube.obj"), caption="a cube"),
                "stl": nbrun.Object3D(str(tmp_path / "cube.stl")),
                "glb": nbrun.Object3D(stream, file_type="glb"),
                "gltf": nbrun.Object3D(str(tmp_path / "cube.gltf")),
                "textured": nbrun.Object3D(str(tmp_path / "textured.glb")),
            }
        )
    watched = signed_in
    page = watched.open(f"{online.url}/{project}/runs/{run.id}")

    # obj and stl list each triangle's corners (the quads of the obj split in two); the glTF
    # cube shares its 8 corners between its triangles; 12 triangles in every format
    expected = {"obj": 36, "stl": 36, "glb": 8, "gltf": 8, "textured": 8}
    for key, vertices in expected.items():
        box = page.locator(f".rich[data-key='{key}'] .media-object3d[data-drawn='1']")
        box.wait_for()
        assert (box.get_attribute("data-vertices"), box.get_attribute("data-triangles")) == (
            str(vertices),
            "12",
        ), key
        link = page.locator(f".rich[data-key='{key}'] a[download]")
        assert link.inner_text().startswith("download ") and link.get_attribute("href")
        pixels = canvas_pixels(page, key)
        assert tuple(pixels[2, 2]) == PANEL["light"], key  # a corner: the panel's background
        assert model_fraction(pixels, PANEL["light"]) > 0.05, key  # the cube fills the middle
        assert len({tuple(p) for p in pixels[::4, ::4].reshape(-1, 3)}) > 10, key  # shaded
    assert page.locator(".rich[data-key='obj'] .rich-object3d figcaption").inner_text() == "a cube"

    # the textured cube shows its checkerboard's colours (some blue and some orange-red pixels)
    textured = canvas_pixels(page, "textured")
    assert ((textured[..., 2] - textured[..., 0]) > 60).any() and (
        (textured[..., 0] - textured[..., 2]) > 60
    ).any()

    watched.screenshot("object3d_models_light.png")

    # dark theme: the canvas is redrawn on the dark panel colour
    page.locator("button.theme-toggle").click()
    page.locator("html[data-theme='dark']").wait_for(state="attached")
    pixels = canvas_pixels(page, "obj")
    assert tuple(pixels[2, 2]) == PANEL["dark"]
    assert model_fraction(pixels, PANEL["dark"]) > 0.05

    # drag to turn the model: the picture changes, the model stays in view
    canvas = page.locator(".rich[data-key='stl'] canvas")
    before = canvas_pixels(page, "stl")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 30, steps=5)
    page.mouse.up()
    after = canvas_pixels(page, "stl")
    assert np.abs(after - before).max(axis=-1).mean() > 1
    assert model_fraction(after, PANEL["dark"]) > 0.05
    watched.screenshot("object3d_models_dark.png")
    assert watched.errors == [] and watched.csp_violations == []


def test_turning_the_step_slider_draws_the_steps_model_and_frees_the_last_ones_webgl_context(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    (tmp_path / "cube.obj").write_text(cube_obj())
    (tmp_path / "cube.glb").write_bytes(glb(*cube_gltf()))
    with start_run(name="model steps") as run:
        run.log({"model": nbrun.Object3D(str(tmp_path / "cube.obj"))}, step=0)
        run.log({"model": nbrun.Object3D(str(tmp_path / "cube.glb"))}, step=1)
    watched = signed_in
    page = watched.open(f"{online.url}/{project}/runs/{run.id}")

    panel = page.locator(".rich[data-key='model']")
    panel.locator(".media-object3d[data-drawn='1'][data-vertices='8']").wait_for()  # the last step
    last = panel.locator("canvas").element_handle()
    panel.locator("input[type='range']").fill("0")
    panel.locator(".media-object3d[data-drawn='1'][data-vertices='36']").wait_for()
    assert panel.locator("canvas").count() == 1
    assert last.evaluate(
        "(canvas) => !canvas.isConnected && canvas.getContext('webgl2').isContextLost()"
    )
    assert watched.errors == [] and watched.csp_violations == []


# Files that are not models, by key: the file and how its panel's message begins (after "cannot
# show this 3D model: ").
NOT_MODELS: dict[str, tuple[str, bytes, str]] = {
    "words": (
        "words.obj",
        b"this is not a model\nnor is this\n",
        "the obj file has nothing to draw",
    ),
    "nan": (
        "nan.obj",
        b"v 0 0 0\nv 1 nan 0\nv 0 1 0\nf 1 2 3\n",
        "the obj file has coordinates that are not finite numbers",
    ),
    "broken": (
        "broken.glb",
        b"glTF" + struct.pack("<II", 2, 40) + b"\x07" * 28,
        "not a readable glb file (JSON content not found.)",
    ),
    "random": ("random.stl", bytes(range(256)) * 3, "not a readable stl file ("),
    "text": ("text.gltf", b"{ not json", "not a readable gltf file ("),
}


def test_a_file_that_is_not_a_model_says_so_and_can_still_be_downloaded(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    values = {}
    for key, (name, content, _) in NOT_MODELS.items():
        (tmp_path / name).write_bytes(content)
        values[key] = nbrun.Object3D(str(tmp_path / name))
    with start_run(name="bad models") as run:
        run.log(values)
    watched = signed_in
    page = watched.open(f"{online.url}/{project}/runs/{run.id}")

    for key, (_, _, message) in NOT_MODELS.items():
        error = page.locator(f".rich[data-key='{key}'] .media-object3d p.error")
        error.wait_for()
        assert error.inner_text().startswith(f"cannot show this 3D model: {message}"), key
        assert page.locator(f".rich[data-key='{key}'] .media-object3d canvas").count() == 0
        assert page.locator(f".rich[data-key='{key}'] a[download]").count() == 1
    assert watched.errors == [] and watched.csp_violations == []

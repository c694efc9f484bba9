"""Object3D on the run page: a point cloud drawn by plotly as a scatter3d per category, a model
file offered for download, captions as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nbrun

CAPTION = "<img src=x onerror=alert(1)> cloud"
# Per trace of the plot div (plotly keeps the data it drew on it): type, mode, name and points.
TRACES = """(plot) => plot.data.map((t) => [t.type, t.mode, t.name, t.x.length])"""


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
    assert watched.errors == [] and watched.csp_violations == []

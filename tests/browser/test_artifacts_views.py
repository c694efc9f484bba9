"""The dashboard's artifact views in a real browser: the project's artifacts, a version's
files with previews, the lineage graph, a run's inputs and outputs, the model registry, and
user strings from artifacts shown as text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image

import nbrun

XSS = "<img src=x onerror=alert(1)>"


class Chain(NamedTuple):
    """A producer run logging ``data``, a consumer using it and logging a model."""

    producer: Any
    consumer: Any


def log_chain(start_run: Any, folder: Path) -> Chain:
    Image.new("RGB", (12, 8), (200, 30, 30)).save(folder / "red.png")
    (folder / "notes.md").write_text("# Notes\n<script>alert(1)</script> plain text\n")
    table = {"columns": ["id", "label"], "data": [[1, "cat"], [2, XSS]]}
    (folder / "rows.table.json").write_text(json.dumps(table))
    (folder / "weights.bin").write_bytes(b"\x00\x01" * 50)
    with start_run(name="producer") as producer:
        data = nbrun.Artifact("data", "dataset", description=f"raw rows {XSS}")
        data.metadata.update({"rows": 2, "source": XSS})
        data.add_file(folder / "red.png", name="images/red.png")
        data.add_file(folder / "notes.md")
        data.add_file(folder / "rows.table.json")
        data.add_file(folder / "notes.md", name=f"odd/{XSS}.txt")
        producer.log_artifact(data, aliases=["best", XSS])
        data.wait()
    with start_run(name="consumer") as consumer:
        consumer.use_artifact("data:latest")
        consumer.log_model(folder / "weights.bin", name="clf")
    return Chain(producer, consumer)


def test_the_artifacts_page_lists_collections_by_type_with_their_versions(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    chain = log_chain(start_run, tmp_path)
    watched = signed_in
    page = watched.open(f"{online.url}/{project}")
    page.click(".project-nav a[data-page='artifacts']")
    page.wait_for_selector("main[data-loaded='1'] .collection")
    assert page.locator(".artifact-type").evaluate_all("els => els.map(e => e.dataset.type)") == [
        "dataset",
        "model",
    ]
    data = page.locator(".collection[data-name='data']")
    row = data.locator("tr.version-row[data-version='v0']")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "v0" and cells[1] == "dataset"
    assert sorted(row.locator(".alias").all_inner_texts()) == sorted(["best", XSS, "latest"])
    assert row.locator("a.run-link").inner_text() == chain.producer.id
    model = page.locator(".collection[data-name='clf'] tr.version-row")
    assert model.locator("a.run-link").inner_text() == chain.consumer.id
    assert watched.dialogs == [] and watched.errors == []


def test_the_version_page_shows_files_previews_and_escaped_user_strings(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    chain = log_chain(start_run, tmp_path)
    watched = signed_in
    page = watched.open(f"{online.url}/{project}/artifacts/data/best")
    assert page.locator("h1.version-name").inner_text() == "data:v0"
    assert page.locator(".description").inner_text() == f"raw rows {XSS}"
    assert XSS in page.locator("table.metadata").inner_text()
    assert page.locator(".logged-by a").inner_text() == chain.producer.id
    assert page.locator(".used-by a").all_inner_texts() == [chain.consumer.id]
    paths = page.locator(".file-tree .file").evaluate_all("els => els.map(e => e.dataset.path)")
    assert sorted(paths) == sorted(
        ["images/red.png", "notes.md", f"odd/{XSS}.txt", "rows.table.json"]
    )
    odd = page.locator(f".file[data-path='odd/{XSS}.txt']")
    assert odd.locator(".file-name").inner_text() == f"{XSS}.txt"
    download = page.locator(".file[data-path='notes.md'] a.download")
    reply = page.request.get(download.evaluate("a => a.href"))
    assert reply.ok and b"plain text" in reply.body()

    page.click(".file[data-path='images/red.png'] .file-name")
    page.wait_for_selector(".file-preview[data-ready='1'][data-preview='images/red.png']")
    size = page.locator(".preview-image").evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [12, 8]

    page.click(".file[data-path='notes.md'] .file-name")
    page.wait_for_selector(".file-preview[data-ready='1'][data-preview='notes.md']")
    assert "<script>alert(1)</script> plain text" in page.locator(".preview-text").inner_text()

    page.click(".file[data-path='rows.table.json'] .file-name")
    page.wait_for_selector(".file-preview[data-ready='1'][data-preview='rows.table.json']")
    table = page.locator(".artifact-table")
    assert table.locator("th").all_inner_texts() == ["id", "label"]
    assert table.locator("tbody tr").nth(1).locator("td").all_inner_texts() == ["2", XSS]

    page.click(f".file[data-path='odd/{XSS}.txt'] .file-name")
    page.wait_for_selector(".file-preview[data-ready='1'] .preview-text")
    assert page.locator(".preview-title").inner_text() == f"odd/{XSS}.txt"
    assert page.locator("img[src='x']").count() == 0  # no payload became an element
    assert watched.dialogs == [] and watched.errors == [] and watched.csp_violations == []
    watched.screenshot("artifact-version.png")


def test_the_lineage_graph_links_producer_version_and_consumer(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    chain = log_chain(start_run, tmp_path)
    entity, name = project.split("/")
    watched = signed_in
    page = watched.open(f"{online.url}/{project}/artifacts/data/v0")
    graph = page.locator("svg.lineage-graph")
    producer = graph.locator(f"g.lineage-node[data-id='run:{project}/{chain.producer.id}']")
    consumer = graph.locator(f"g.lineage-node[data-id='run:{project}/{chain.consumer.id}']")
    version = graph.locator(f"g.lineage-root[data-id='artifact:{project}/data:v0']")
    model = graph.locator(f"g.lineage-node[data-id='artifact:{project}/clf:v0']")
    for node in (producer, consumer, version, model):
        assert node.locator("rect").count() == 1
    assert producer.locator("text.label").text_content() == "producer"
    box = {n: loc.bounding_box() for n, loc in [("p", producer), ("v", version), ("c", consumer)]}
    assert box["p"]["x"] < box["v"]["x"] < box["c"]["x"]  # producers left, consumers right
    assert graph.locator("path.lineage-edge").count() == 3
    consumer.click()
    page.wait_for_url(f"**/{entity}/{name}/runs/{chain.consumer.id}")
    page.wait_for_selector("main[data-loaded='1'] h1.run-name:text('consumer')")
    assert watched.dialogs == [] and watched.errors == []


def test_the_run_page_lists_inputs_and_outputs_and_the_registry_the_model(
    online: Any, signed_in: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    chain = log_chain(start_run, tmp_path)
    watched = signed_in
    page = watched.open(f"{online.url}/{project}/runs/{chain.consumer.id}")
    section = page.locator("details.section[data-section='Artifacts']")
    assert section.is_visible()
    used = section.locator(".run-artifacts-used a.version-link").all_inner_texts()
    logged = section.locator(".run-artifacts-logged a.version-link").all_inner_texts()
    assert (used, logged) == (["data:v0"], ["clf:v0"])
    section.locator(".run-artifacts-used a.version-link").click()
    page.wait_for_selector("main[data-loaded='1'] h1.version-name:text('data:v0')")

    page = watched.open(f"{online.url}/{project}/registry")
    collections = page.locator(".registry .collection")
    assert collections.evaluate_all("els => els.map(e => e.dataset.name)") == ["clf"]
    row = collections.locator("tr.version-row")
    assert row.locator("td").first.inner_text() == "v0"
    assert row.locator(".alias").all_inner_texts() == ["latest"]

    page = watched.open(f"{online.url}/{project}/runs/{chain.producer.id}")
    outputs = page.locator(".run-artifacts-logged a.version-link").all_inner_texts()
    assert outputs == ["data:v0"]
    assert page.locator(".run-artifacts-used .empty").inner_text() == "None."
    assert watched.dialogs == [] and watched.errors == []


def test_the_embedded_run_view_with_a_read_token_lists_the_artifacts(
    online: Any, new_page: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    chain = log_chain(start_run, tmp_path)
    run = f"{project}/{chain.consumer.id}"
    token = online.read_token(run)
    watched = new_page()  # not signed in: the token is all it has, as in the Lab run tab
    page = watched.open(f"{online.url}/{project}/runs/{chain.consumer.id}?embed=1&token={token}")
    section = page.locator("details.section[data-section='Artifacts']")
    assert section.locator(".run-artifacts-used a.version-link").all_inner_texts() == ["data:v0"]
    assert section.locator(".run-artifacts-logged a.version-link").all_inner_texts() == ["clf:v0"]
    assert watched.dialogs == [] and watched.errors == []

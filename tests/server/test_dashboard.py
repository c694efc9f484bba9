"""The dashboard's pages and assets as the server serves them: CSP, framing, the mount prefix,
caching, and the message when the front-end was not built."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    # Starlette's notice that its test client will move from httpx to httpx2 (not installed)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from nbrun.server.app import create_app
from nbrun.server.config import ServerConfig

TOKEN = "unit-test-token-0123"


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    """A stand-in for the built app (the real one is built by labextension/build.sh)."""
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "dashboard.js").write_text("console.log('app')")
    (folder / "dashboard.css").write_text("body {}")
    (folder / "KaTeX_Main-Regular-ABCD1234.woff2").write_bytes(b"font")
    return folder


def make_client(tmp_path: Path, assets: Path, name: str = "db") -> TestClient:
    config = ServerConfig(
        db_url=f"sqlite:///{tmp_path / f'{name}.db'}",
        storage_dir=tmp_path / "storage",
        token=TOKEN,
    )
    return TestClient(create_app(config, dashboard_assets=assets))


@pytest.fixture
def client(tmp_path: Path, assets: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, assets) as client:
        yield client


PAGES = ["/", "/login", "/ent/proj", "/ent/proj/compare?runs=a,b", "/ent/proj/runs/r1"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_allow_only_the_apps_own_scripts_and_framing_by_the_same_origin(
    client: TestClient, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert csp.endswith("frame-ancestors 'self'")
    assert page.headers["referrer-policy"] == "no-referrer"
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts and all(" src=" in tag for tag in scripts)  # no inline script at all


def test_the_embed_view_may_be_framed_by_any_page(client: TestClient) -> None:
    page = client.get("/ent/proj/runs/r1", params={"embed": "1", "theme": "dark"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"].endswith("frame-ancestors *")
    assert '<html lang="en" data-theme="dark" data-embed="1">' in page.text


def test_an_unknown_theme_is_refused_with_its_name(client: TestClient) -> None:
    page = client.get("/ent/proj/runs/r1", params={"theme": "pink"})
    assert page.status_code == 422
    assert "pink" in page.json()["detail"] and "light" in page.json()["detail"]


def test_the_forwarded_prefix_reaches_every_url_in_the_page(client: TestClient) -> None:
    prefix = "/user/ana/nbrun"
    page = client.get("/ent/proj", headers={"X-Forwarded-Prefix": prefix + "/"})
    assert page.status_code == 200
    assert f'<meta name="nbrun-prefix" content="{prefix}">' in page.text
    assert f'<base href="{prefix}/">' in page.text
    urls = [u for u in re.findall(r'(?:src|href)="([^"]+)"', page.text) if u != "data:,"]
    assert len(urls) == 3 and all(url.startswith(prefix + "/") for url in urls)


def test_a_prefix_that_is_not_a_url_path_is_refused(client: TestClient) -> None:
    page = client.get("/", headers={"X-Forwarded-Prefix": '/x"><script>alert(1)</script>'})
    assert page.status_code == 400
    assert "X-Forwarded-Prefix".lower() in page.json()["detail"].lower()


def test_asset_urls_carry_a_version_and_those_are_cached_for_good(client: TestClient) -> None:
    page = client.get("/")
    script = re.search(r'src="(/static/dashboard\.js\?v=[0-9a-f]+)"', page.text)
    assert script is not None
    versioned = client.get(script.group(1))
    assert versioned.status_code == 200 and versioned.text == "console.log('app')"
    assert "immutable" in versioned.headers["cache-control"]
    assert client.get("/static/dashboard.js").headers["cache-control"] == "no-cache"
    assert client.get("/static/dashboard.js?v=old").headers["cache-control"] == "no-cache"
    font = client.get("/static/KaTeX_Main-Regular-ABCD1234.woff2")
    assert "immutable" in font.headers["cache-control"]


def test_a_new_build_changes_the_asset_version(client: TestClient, assets: Path) -> None:
    before = re.findall(r"\?v=(\w+)", client.get("/").text)
    (assets / "dashboard.js").write_text("console.log('new app')")
    after = re.findall(r"\?v=(\w+)", client.get("/").text)
    assert before[0] != after[0]


@pytest.mark.parametrize("path", ["/static/%2e%2e/%2e%2e/etc/passwd", "/static/missing.js"])
def test_asset_paths_stay_inside_the_asset_folder(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_page_paths_never_shadow_the_api(client: TestClient) -> None:
    answer = client.get("/api/v1/runs/x")
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json"
    assert client.get("/static/proj").status_code == 404
    assert client.get("/api/v1/health").json()["status"] == "ok"


def test_without_built_assets_pages_say_how_to_build_them(tmp_path: Path) -> None:
    with make_client(tmp_path, tmp_path / "nothing-here") as client:
        page = client.get("/ent/proj/runs/r1")
        assert page.status_code == 503
        assert "not built" in page.text and "jlpm build:prod" in page.text
        assert str(tmp_path / "nothing-here") in page.text
        assert client.get("/api/v1/health").status_code == 200  # the API still works

"""nbrun.Html: HTML text, files and file objects, stored as given (plus the injected head)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import nbrun
from nbrun.data_types.html import INJECTED_HEAD


def stored_text(html: nbrun.Html) -> str:
    [media_file] = html._nbrun_files()
    assert media_file.path == html._nbrun_value()["path"]
    return media_file.data.decode("utf-8")


def test_a_string_is_stored_unchanged_without_inject() -> None:
    html = nbrun.Html("<h1>Hello, world!</h1>", inject=False)

    payload = html._nbrun_value()

    assert payload["_type"] == "html-file"
    assert payload["path"].startswith("media/html/") and payload["path"].endswith(".html")
    assert payload["size"] == len(b"<h1>Hello, world!</h1>") and len(payload["sha256"]) == 64
    assert stored_text(html) == "<h1>Hello, world!</h1>"


def test_inject_adds_the_base_and_stylesheet_to_the_head() -> None:
    assert stored_text(nbrun.Html("<p>x</p>")) == INJECTED_HEAD + "<p>x</p>"
    assert stored_text(nbrun.Html("<html><head><title>t</title></head></html>")) == (
        f"<html><head>{INJECTED_HEAD}<title>t</title></head></html>"
    )
    assert stored_text(nbrun.Html("<html><body>b</body></html>")) == (
        f"<html><head>{INJECTED_HEAD}</head><body>b</body></html>"
    )
    assert "http" not in INJECTED_HEAD  # nothing fetched from a network


def test_a_path_to_an_html_file_is_read(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("<i>from a file</i>", encoding="utf-8")

    assert stored_text(nbrun.Html(str(page), inject=False)) == "<i>from a file</i>"
    assert stored_text(nbrun.Html(page, inject=False)) == "<i>from a file</i>"


def test_data_is_not_path_takes_a_file_name_as_html_text(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("<i>file</i>", encoding="utf-8")

    assert stored_text(nbrun.Html(str(page), inject=False, data_is_not_path=True)) == str(page)


def test_only_a_string_ending_in_html_is_taken_as_a_path(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("<i>file</i>", encoding="utf-8")

    assert stored_text(nbrun.Html(str(notes), inject=False)) == str(notes)


def test_a_file_object_is_read_from_its_start() -> None:
    text = io.StringIO("<b>stream</b>")
    text.read()
    binary = io.BytesIO("<b>bytes é</b>".encode())

    assert stored_text(nbrun.Html(text, inject=False)) == "<b>stream</b>"
    assert stored_text(nbrun.Html(binary, inject=False)) == "<b>bytes é</b>"


def test_scripts_are_stored_as_given() -> None:
    page = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>"

    assert stored_text(nbrun.Html(page, inject=False)) == page


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (42, {}, "Html takes a string of HTML, a path to an .html file or a file object; got"),
        ("missing.html", {}, "Html file 'missing.html' does not exist; .*data_is_not_path=True"),
        (Path("missing.html"), {}, "cannot be read"),
        ("<p>x</p>", {"inject": "yes"}, "inject must be True or False"),
        ("\ud800", {}, "not valid text"),
        (io.BytesIO(b"\xff\xfe\xfa"), {}, "not UTF-8 text"),
    ],
)
def test_bad_html_input_names_what_is_wrong(
    data: object, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.Html(data, **kwargs)

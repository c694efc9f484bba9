"""``nbrun.Html``: a page of HTML logged into the history, stored once as a file of the run.

The HTML is stored as given (scripts included): the views show it in a sandboxed frame, so
nothing in it reaches the dashboard's origin.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from nbrun.data_types.media import Media, MediaFile, StoredBytes
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import HTML, MEDIA_FOLDERS

# What ``inject=True`` adds to the page's head: links open outside the frame, and a small
# reset so the page reads like the rest of the dashboard. Inline: nothing is fetched from a
# network (the reference links a stylesheet on its own site).
INJECTED_HEAD = (
    '<base target="_blank"><style>html,body{margin:0;padding:8px;'
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:14px;"
    "line-height:1.4}table{border-collapse:collapse}img{max-width:100%}</style>"
)
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
_HTML = re.compile(r"<html(?:\s[^>]*)?>", re.IGNORECASE)
_FILE_SUFFIXES = (".html", ".htm")


class Html(Media):
    """HTML from a string, a path to an ``.html`` file or a file object.

    ``run.log({"report": nbrun.Html("<h1>Hello</h1>")})``; ``nbrun.Html("report.html")`` (a
    string ending in ``.html``, or a ``pathlib.Path``) reads the file; ``data_is_not_path=True``
    takes such a string as HTML text instead.
    ``inject=True`` adds a ``<base target="_blank">`` and a small stylesheet to the head;
    ``inject=False`` stores the HTML unchanged.
    """

    def __init__(self, data: Any, inject: bool = True, data_is_not_path: bool = False) -> None:
        if not isinstance(inject, bool):
            raise InvalidValueError(f"Html inject must be True or False, got {inject!r}")
        self.html = _read_html(data, data_is_not_path)
        if inject:
            self.inject_head()
        else:
            self._store()

    def inject_head(self) -> None:
        """Add the ``<base>`` and stylesheet of ``inject=True`` to the page's head."""
        head = _HEAD.search(self.html)
        if head is not None:
            at = head.end()
            self.html = self.html[:at] + INJECTED_HEAD + self.html[at:]
        else:
            root = _HTML.search(self.html)
            if root is not None:
                at = root.end()
                self.html = f"{self.html[:at]}<head>{INJECTED_HEAD}</head>{self.html[at:]}"
            else:
                self.html = INJECTED_HEAD + self.html
        self._store()

    def _store(self) -> None:
        folder = MEDIA_FOLDERS[HTML]
        self._stored = StoredBytes.of(folder, self.html.encode("utf-8"), "html")

    def _nbrun_value(self) -> dict[str, Any]:
        return self._stored.reference(HTML)

    def _nbrun_files(self) -> list[MediaFile]:
        return [self._stored.file()]

    def __repr__(self) -> str:
        return f"Html({len(self._stored.data)} bytes)"


def _read_html(data: Any, data_is_not_path: bool) -> str:
    if isinstance(data, os.PathLike) and not data_is_not_path:
        return _read_file(Path(data))
    if isinstance(data, os.PathLike):
        data = os.fspath(data)
    if isinstance(data, str):
        if not data_is_not_path and _names_an_html_file(data):
            path = Path(data)
            if path.is_file():
                return _read_file(path)
            raise InvalidValueError(
                f"Html file {data!r} does not exist; to log this text as HTML, pass "
                "data_is_not_path=True"
            )
        return _valid_text(data)
    if hasattr(data, "read"):
        if hasattr(data, "seek"):
            with contextlib.suppress(OSError, ValueError):  # not seekable: read from here
                data.seek(0)
        content = data.read()
        if isinstance(content, bytes):
            content = _decode(content, "Html file object")
        if not isinstance(content, str):
            raise InvalidValueError(
                f"Html file object returned {type(content).__name__} from read(); expected text"
            )
        return _valid_text(content)
    raise InvalidValueError(
        "Html takes a string of HTML, a path to an .html file or a file object; got "
        f"{type(data).__module__}.{type(data).__qualname__}"
    )


def _names_an_html_file(text: str) -> bool:
    """A string is read as a file's path when it looks like one ending in .html (or .htm)."""
    return (
        "<" not in text
        and "\n" not in text
        and len(text) < 4096
        and text.lower().endswith(_FILE_SUFFIXES)
    )


def _read_file(path: Path) -> str:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidValueError(f"Html file {str(path)!r} cannot be read: {exc}") from None
    return _decode(content, f"Html file {str(path)!r}")


def _decode(content: bytes, what: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidValueError(f"{what} is not UTF-8 text: {exc}") from None


def _valid_text(text: str) -> str:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidValueError(
                "Html data is not valid text (it holds a lone surrogate)"
            ) from None
    return str(text)

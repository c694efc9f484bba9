"""What a browser would build from an HTML string: tags, attribute names, text, image sources.
For the tests that check markup nbrun writes (snapshots, media cards) is inert."""

from __future__ import annotations

from html.parser import HTMLParser


class Elements(HTMLParser):
    """The elements of ``markup``, parsed at construction."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []
        self.sources: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)
        self.sources.extend(value or "" for name, value in attrs if name == "src")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def handlers(self) -> list[str]:
        """Event handler attributes (``onerror``, ``onload``, ...)."""
        return [name for name in self.attributes if name.startswith("on")]

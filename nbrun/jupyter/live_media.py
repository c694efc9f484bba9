"""The media values a live view shows: the last few steps of each media key, drawn once each
(:mod:`nbrun.jupyter.media_html`) on the widget's publisher thread.

Drawing costs file reads and, for images, a PNG decode and encode, so a publish draws at most
``NEW_PER_PUBLISH`` new values per key and stops after ``DRAW_SECONDS`` (what is left waits for
the next publish; values logged faster than that are skipped, the newest always shown). A
value whose file is not written yet waits too, for up to ``PENDING_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from pathlib import Path

from nbrun.jupyter.live_history import MEDIA_STEPS, LiveHistory, MediaEntry
from nbrun.jupyter.media_html import MediaRenderer, media_card_html, value_kind
from nbrun.jupyter.snapshot import MediaCard

NEW_PER_PUBLISH = 4  # new values drawn per key and publish, the newest ones
DRAW_SECONDS = 0.2  # a publish stops drawing new values after this (it always draws one)
PENDING_SECONDS = 30.0  # a value whose file is still missing then is shown as missing


@dataclasses.dataclass(frozen=True)
class Frame:
    """One drawn value: ``seq`` orders values across keys (see ``MediaEntry``)."""

    seq: int
    step: int | None
    html: str


@dataclasses.dataclass(frozen=True)
class DrawnMedia:
    """One media key's drawn values, oldest first (at most ``MEDIA_STEPS``)."""

    key: str
    kind: str  # of its first value: image-file, histogram, table-file, gallery, ...
    frames: tuple[Frame, ...]

    def card(self) -> MediaCard:
        """The latest value as a static card."""
        return MediaCard(self.key, media_card_html(self.key, self.kind, self.frames[-1].html))


class MediaDrawer:
    """Draws a live history's media values for the views; safe to call from two threads."""

    def __init__(self, files: Path | None) -> None:
        self._renderer = MediaRenderer(files)
        self._lock = threading.Lock()
        self._drawn: dict[str, tuple[str, deque[Frame]]] = {}  # key -> (kind, frames)
        self._last_seq: dict[str, int] = {}  # key -> the last value drawn or skipped
        self._waiting_since: dict[int, float] = {}  # seq -> when its file was first missing

    def draw(self, history: LiveHistory, final: bool = False) -> list[DrawnMedia]:
        """Draw the values logged since the last call (at finish, ``final``: all the newest,
        files still missing said so) and return every key's drawn values."""
        with self._lock:
            deadline = time.monotonic() + DRAW_SECONDS
            drawn_one = False
            for key, series in history.media():
                last = self._last_seq.get(key, -1)
                new = [e for e in series.entries if e.seq > last][-NEW_PER_PUBLISH:]
                for entry in new:
                    if drawn_one and not final and time.monotonic() > deadline:
                        break
                    frame = self._draw(entry, final)
                    if frame is None:  # its file is not there yet: this key waits
                        break
                    drawn_one = True
                    self._last_seq[key] = entry.seq
                    if key not in self._drawn:
                        self._drawn[key] = (value_kind(entry.value), deque(maxlen=MEDIA_STEPS))
                    self._drawn[key][1].append(frame)
            return self._current()

    def current(self) -> list[DrawnMedia]:
        """Every key's drawn values, drawing nothing new."""
        with self._lock:
            return self._current()

    def _current(self) -> list[DrawnMedia]:
        return [DrawnMedia(key, kind, tuple(frames)) for key, (kind, frames) in self._drawn.items()]

    def _draw(self, entry: MediaEntry, final: bool) -> Frame | None:
        now = time.monotonic()
        waited = now - self._waiting_since.get(entry.seq, now)
        html = self._renderer.frame(entry.value, entry.step, final or waited > PENDING_SECONDS)
        if html is None:
            if len(self._waiting_since) > 1_000:  # values evicted while waiting
                self._waiting_since.clear()
            self._waiting_since.setdefault(entry.seq, now)
            return None
        self._waiting_since.pop(entry.seq, None)
        return Frame(entry.seq, entry.step, html)


def latest_cards(history: LiveHistory, files: Path | None) -> list[MediaCard]:
    """The latest value of each media key of ``history`` as a static card (files that are
    missing said so): for a snapshot made from a record log."""
    renderer = MediaRenderer(files)
    cards = []
    for key, series in history.media():
        entry = series.entries[-1]
        html = renderer.frame(entry.value, entry.step, give_up=True)
        assert html is not None  # give_up: always drawn
        cards.append(MediaCard(key, media_card_html(key, value_kind(entry.value), html)))
    return cards

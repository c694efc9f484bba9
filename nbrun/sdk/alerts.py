"""``run.alert``: validation and the per-title ``wait_duration`` throttle."""

from __future__ import annotations

import enum
import time
from datetime import timedelta


class AlertLevel(str, enum.Enum):
    """How serious an alert is."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


DEFAULT_WAIT_SECONDS = 60.0


def parse_level(level: str | AlertLevel | None) -> AlertLevel:
    """``None`` means INFO; strings are case-insensitive; anything else raises ``ValueError``."""
    if level is None:
        return AlertLevel.INFO
    if isinstance(level, AlertLevel):
        return level
    if isinstance(level, str) and level.upper() in AlertLevel.__members__:
        return AlertLevel[level.upper()]
    raise ValueError(f"alert level must be INFO, WARN or ERROR; got {level!r}")


def parse_wait(wait_duration: float | timedelta | None) -> float:
    """Seconds to wait before the same title may alert again (default one minute)."""
    if wait_duration is None:
        return DEFAULT_WAIT_SECONDS
    seconds = (
        wait_duration.total_seconds() if isinstance(wait_duration, timedelta) else wait_duration
    )
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        raise ValueError(
            f"alert wait_duration must be seconds >= 0 or a timedelta; got {wait_duration!r}"
        )
    return float(seconds)


def validate_alert(title: object, text: object) -> None:
    if not isinstance(title, str) or not title:
        raise ValueError(f"alert title must be a non-empty string; got {title!r}")
    if len(title) >= 64:
        raise ValueError(
            f"alert title must be under 64 characters; got {len(title)}: {title[:70]!r}"
        )
    if not isinstance(text, str):
        raise ValueError(f"alert text must be a string; got {type(text).__name__}")


class AlertThrottle:
    """Remembers when each title last alerted."""

    def __init__(self) -> None:
        self._last_sent: dict[str, float] = {}

    def seconds_until_allowed(self, title: str, wait_seconds: float) -> float:
        """0 if ``title`` may alert now, else how long is left to wait."""
        last = self._last_sent.get(title)
        if last is None:
            return 0.0
        return max(0.0, last + wait_seconds - time.monotonic())

    def mark_sent(self, title: str) -> None:
        self._last_sent[title] = time.monotonic()

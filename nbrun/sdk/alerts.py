"""``run.alert``: validation, the per-title ``wait_duration`` throttle and the alert record."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from nbrun import termlog
from nbrun.protocol.limits import string_problem
from nbrun.record import types as kinds


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
    for field, value in (("title", title), ("text", text)):
        problem = string_problem(value)
        if problem is not None:
            raise ValueError(f"alert {field} {problem}")


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


class Alerts:
    """A run's alerts: checked, throttled per title, then recorded with ``append``."""

    def __init__(self, append: Callable[[str, Any], None]) -> None:
        self._append = append
        self._throttle = AlertThrottle()

    def send(
        self,
        title: str,
        text: str,
        level: str | AlertLevel | None,
        wait_duration: float | timedelta | None,
    ) -> None:
        validate_alert(title, text)
        alert_level = parse_level(level)
        wait_seconds = parse_wait(wait_duration)
        left = self._throttle.seconds_until_allowed(title, wait_seconds)
        if left > 0:
            termlog.info(
                f"alert {title!r} not sent: the same title was sent {wait_seconds - left:.0f}s ago "
                f"(wait_duration={wait_seconds:g}s)"
            )
            return
        self._throttle.mark_sent(title)
        self._append(
            kinds.ALERT,
            {"title": title, "text": text, "level": alert_level.value, "time": time.time()},
        )
        termlog.info(f"ALERT [{alert_level.value}] {title}: {text}")

"""Messages nbrun prints to the user: one prefix, one switch for silence."""

from __future__ import annotations

import sys

_silent = False


def set_silent(silent: bool) -> None:
    """Silence (or restore) nbrun's informational messages; warnings still print."""
    global _silent
    _silent = silent


def info(message: str) -> None:
    """Print an informational line to stderr unless silenced."""
    if not _silent:
        print(f"nbrun: {message}", file=sys.__stderr__ if sys.stderr is None else sys.stderr)


def warn(message: str) -> None:
    """Print a warning line to stderr (never silenced: it reports something went wrong)."""
    print(f"nbrun: WARNING {message}", file=sys.__stderr__ if sys.stderr is None else sys.stderr)

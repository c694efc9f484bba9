"""Exceptions users catch: the same names the reference API exposes."""

from __future__ import annotations


class Error(Exception):
    """Base class of nbrun's errors (e.g. using a run before ``init`` or after ``finish``)."""


class CommError(Error):
    """The backend could not be reached or answered with an error."""


class UsageError(Error):
    """An API was called in a way it does not support."""


class InvalidValueError(ValueError, TypeError):
    """Data given to ``log``, ``config`` or ``summary`` cannot be recorded; the message names the
    key. Both a ``ValueError`` (as the reference documents) and a ``TypeError`` (as Python
    convention has it for wrong types), so either ``except`` catches it."""

"""Errors of artifacts, as the reference names them."""

from __future__ import annotations

from nbrun.errors import UsageError


class ArtifactFinalizedError(UsageError):
    """The artifact was logged or used: its contents cannot change any more."""


class ArtifactNotLoggedError(UsageError):
    """What was asked (a version, a download) exists only once the artifact is logged."""

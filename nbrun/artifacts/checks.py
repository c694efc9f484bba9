"""Checking what users give an artifact: aliases and tags (the rules are the protocol's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nbrun.protocol import artifacts as rules


def checked_aliases(aliases: Any, argument: str = "aliases") -> list[str]:
    return _checked_names(aliases, rules.alias_problem, argument)


def checked_tags(tags: Any) -> list[str]:
    return _checked_names(tags, rules.tag_problem, "tags")


def _checked_names(
    values: Any, problem_of: Callable[[Any], str | None], argument: str
) -> list[str]:
    """``values`` without repeats, or the error naming ``argument`` and the first bad one."""
    if isinstance(values, str) or not isinstance(values, (list, tuple, set)):
        raise TypeError(f"{argument} must be a list of strings, got {values!r}")
    for value in values:
        problem = problem_of(value)
        if problem is not None:
            raise ValueError(f"{argument}: {problem}")
    return list(dict.fromkeys(values))


def type_name(value: Any) -> str:
    return type(value).__name__

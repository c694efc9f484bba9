"""Checking what users give an artifact: aliases and tags (the rules are the protocol's)."""

from __future__ import annotations

from typing import Any

from nbrun.protocol import artifacts as rules


def checked_aliases(aliases: Any, argument: str = "aliases") -> list[str]:
    if isinstance(aliases, str) or not isinstance(aliases, (list, tuple, set)):
        raise TypeError(f"{argument} must be a list of strings, got {aliases!r}")
    for alias in aliases:
        problem = rules.alias_problem(alias)
        if problem is not None:
            raise ValueError(f"{argument}: {problem}")
    return list(dict.fromkeys(aliases))


def checked_tags(tags: Any) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, (list, tuple, set)):
        raise TypeError(f"tags must be a list of strings, got {tags!r}")
    for tag in tags:
        problem = rules.tag_problem(tag)
        if problem is not None:
            raise ValueError(f"tags: {problem}")
    return list(dict.fromkeys(tags))


def type_name(value: Any) -> str:
    return type(value).__name__

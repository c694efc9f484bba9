"""Run ids and the random display names runs get by default."""

from __future__ import annotations

import random
import re
import secrets
import string

_ID_ALPHABET = string.ascii_lowercase + string.digits
_VALID_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

_ADJECTIVES = (
    "amber",
    "bold",
    "brisk",
    "calm",
    "crisp",
    "dashing",
    "eager",
    "fresh",
    "gentle",
    "golden",
    "hardy",
    "jolly",
    "keen",
    "lively",
    "lucky",
    "mellow",
    "misty",
    "noble",
    "polished",
    "quiet",
    "rapid",
    "royal",
    "silver",
    "snowy",
    "solar",
    "steady",
    "stellar",
    "swift",
    "vivid",
    "wild",
)
_NOUNS = (
    "aurora",
    "breeze",
    "brook",
    "canyon",
    "cloud",
    "comet",
    "dawn",
    "dune",
    "ember",
    "field",
    "forest",
    "galaxy",
    "glade",
    "harbor",
    "lake",
    "meadow",
    "moon",
    "nebula",
    "ocean",
    "orbit",
    "pine",
    "planet",
    "rain",
    "river",
    "sky",
    "star",
    "sun",
    "thunder",
    "valley",
    "wave",
)


def new_run_id() -> str:
    """Eight random lowercase letters and digits, like the reference's ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is usable in paths and URLs, else raise naming it."""
    if not isinstance(run_id, str) or not _VALID_ID.match(run_id):
        raise ValueError(f"run id {run_id!r} is invalid: use 1-64 letters, digits, '-', '_' or '.'")
    return run_id


def random_run_name() -> str:
    """A friendly random name such as ``swift-comet-42``."""
    rng = random.SystemRandom()
    return f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{rng.randint(1, 999)}"

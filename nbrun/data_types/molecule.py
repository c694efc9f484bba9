"""``nbrun.Molecule``: named so code written for W&B fails with a clear error, not an
``AttributeError``. nbrun does not draw molecules."""

from __future__ import annotations

from typing import Any, NoReturn

from nbrun.errors import InvalidValueError

UNSUPPORTED = (
    "nbrun.Molecule is not supported: log the molecule's file with run.save(path) (a .pdb, .sdf, "
    "... file of the run), or its atoms as a point cloud with nbrun.Object3D(array of "
    "[x, y, z, element category])"
)


class Molecule:
    """The reference's ``Molecule``; constructing one raises ``InvalidValueError`` naming what
    to log instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _unsupported()

    @classmethod
    def from_rdkit(cls, *args: Any, **kwargs: Any) -> NoReturn:
        _unsupported()

    @classmethod
    def from_smiles(cls, *args: Any, **kwargs: Any) -> NoReturn:
        _unsupported()


def _unsupported() -> NoReturn:
    raise InvalidValueError(UNSUPPORTED)

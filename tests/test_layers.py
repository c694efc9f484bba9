"""nbrun's import graph has no cycle, module by module: imports inside functions and under
``TYPE_CHECKING`` count like the others. Which way the layers point is `lint-imports`' contract
(``[tool.importlinter]`` in pyproject.toml, run by ``make lint``)."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def import_cycles(package: str) -> list[list[str]]:
    """For each import that closes a cycle, the cycle as a chain of modules (first == last)."""
    graph = grimp.build_graph(package, cache_dir=None)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append([importer, *back])
    return cycles


def test_nbrun_has_no_import_cycle() -> None:
    cycles = import_cycles("nbrun")
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_a_cycle_closed_by_an_import_inside_a_function_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "layered"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def view():\n    from layered import high\n")
    (package / "high.py").write_text("from layered import low\n")
    (package / "apart.py").write_text("import layered.low\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    assert import_cycles("layered") == [
        ["layered.high", "layered.low", "layered.high"],
        ["layered.low", "layered.high", "layered.low"],
    ]

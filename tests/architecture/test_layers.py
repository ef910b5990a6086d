"""The layers of docs/architecture.md hold: the import-linter contract in pyproject.toml.

The contract is read from pyproject.toml (the one `lint-imports` runs), so the suite fails
when a package imports a layer above it, and the test below shows the contract would see it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.contracts.layers import LayersContract

import enlace

PYPROJECT = Path(enlace.__file__).resolve().parents[2] / "pyproject.toml"


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return list(config["contracts"])


def _layers_contract() -> LayersContract:
    (spec,) = [c for c in _contracts() if c["type"] == "layers"]
    return LayersContract(
        name=spec["name"],
        session_options={"root_packages": ["enlace"]},
        contract_options={"layers": spec["layers"]},
    )


@pytest.fixture
def graph() -> grimp.ImportGraph:
    # grimp caches what it read on disk, so a fresh graph per test is cheap and unshared.
    return grimp.build_graph("enlace")


def test_every_package_imports_only_the_layers_below_it(graph: grimp.ImportGraph) -> None:
    check = _layers_contract().check(graph, verbose=False)
    assert check.kept, check.metadata


def test_every_top_level_package_is_placed_in_a_layer(graph: grimp.ImportGraph) -> None:
    (spec,) = [c for c in _contracts() if c["type"] == "layers"]
    placed = {name.strip() for layer in spec["layers"] for name in layer.split("|")}
    packages = {
        ".".join(module.split(".")[:2])
        for module in graph.modules
        if module.count(".") >= 1 and module != "enlace.__main__"
    }
    assert packages - placed == set(), "add the new package to a layer in pyproject.toml"


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("enlace.store.engine", "enlace.web.app"),
        ("enlace.model.markings", "enlace.store.tables"),
        ("enlace.exchange.release", "enlace.matching.psi"),
    ],
)
def test_an_upward_import_breaks_the_contract(
    graph: grimp.ImportGraph, importer: str, imported: str
) -> None:
    assert _layers_contract().check(graph, verbose=False).kept
    graph.add_import(
        importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}"
    )
    assert not _layers_contract().check(graph, verbose=False).kept

"""docs/architecture.md lists every use case with its module, and lists none that is gone.

A use case is a public, module-level function of `src/enlace` outside `cli` and `web` whose
first parameter is `store` (docs/architecture.md, "One way to write a use case").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import enlace

SOURCE = Path(enlace.__file__).parent
DOC = SOURCE.parents[1] / "docs" / "architecture.md"
# Factories that take the store to build an app or a router: they wire routes, they are not
# use cases (the routes call use cases).
FACTORIES = {"create_app", "create_matching_router", "create_node_app", "create_witness_router"}


def use_cases_in_source() -> set[tuple[str, str]]:
    """(module, function) of every use case in the source."""
    found = set()
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE.parent).with_suffix("")
        if relative.parts[1] in ("cli", "web"):
            continue
        module = ".".join(relative.parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.FunctionDef)
                and not node.name.startswith("_")
                and node.name not in FACTORIES
                and node.args.args
                and node.args.args[0].arg == "store"
            ):
                found.add((module, node.name))
    return found


def use_cases_in_doc(text: str) -> set[tuple[str, str]]:
    """(module, function) of each row of the use-case table in docs/architecture.md."""
    section = text.split("### The use cases, by capability", 1)[1].split("\n## ", 1)[0]
    listed = set()
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[2].startswith("`enlace."):
            continue
        module = re.findall(r"`([\w.]+)`", cells[2])[0]
        listed |= {(module, name) for name in re.findall(r"`(\w+)`", cells[1])}
    return listed


def test_every_use_case_is_listed_with_its_module_in_architecture_doc() -> None:
    listed = use_cases_in_doc(DOC.read_text(encoding="utf-8"))
    missing = use_cases_in_source() - listed
    assert missing == set(), f"add these use cases to docs/architecture.md: {sorted(missing)}"


def test_architecture_doc_lists_no_use_case_that_is_gone() -> None:
    listed = use_cases_in_doc(DOC.read_text(encoding="utf-8"))
    stale = listed - use_cases_in_source()
    assert stale == set(), (
        f"docs/architecture.md lists what the code no longer has: {sorted(stale)}"
    )


def test_the_table_reader_reads_a_row_as_written() -> None:
    text = (
        "### The use cases, by capability\n\n| capability | use case | module |\n|---|---|---|\n"
        "| exchange | `release_one`, `release_records` | `enlace.exchange.release` |\n\n## Next\n"
    )
    assert use_cases_in_doc(text) == {
        ("enlace.exchange.release", "release_one"),
        ("enlace.exchange.release", "release_records"),
    }

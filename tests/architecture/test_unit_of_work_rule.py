"""One way to write a use case, checked on the source: who may commit a unit of work.

- `cli` and `web` parse input, call one use case and render: no call to `.commit()` there.
- A building block takes a unit of work (its first parameter is `uow`) and never commits
  it: the use case that opened the unit of work commits once.
- Repositories and the audit log are built by the unit of work only, and reached as its
  attributes (`uow.partners`, `uow.audit`, ...), so a fake unit of work can stand in for it.

The rule is read from the code's syntax tree, so moving a commit into a helper of cli or web,
or into a building block, fails here whatever the helper is called.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import enlace

SOURCE = Path(enlace.__file__).parent
ENTRY_POINTS = ("cli", "web")


def _python_files(under: Path) -> Iterator[Path]:
    yield from sorted(under.rglob("*.py"))


def _commits(node: ast.AST) -> list[int]:
    """Line numbers of every `<something>.commit()` call inside `node`."""
    return [
        call.lineno
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "commit"
    ]


def _first_parameter(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    names = [arg.arg for arg in function.args.posonlyargs + function.args.args]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return names[0] if names else None


def commits_in_entry_points() -> list[str]:
    """`file:line` of every commit call in the cli and web packages."""
    found = []
    for package in ENTRY_POINTS:
        for path in _python_files(SOURCE / package):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [f"{path.relative_to(SOURCE)}:{line}" for line in _commits(tree)]
    return found


def commits_in_building_blocks() -> list[str]:
    """`file:function:line` of every commit in a function whose first parameter is `uow`."""
    found = []
    for path in _python_files(SOURCE):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                _first_parameter(node) == "uow"
            ):
                found += [
                    f"{path.relative_to(SOURCE)}:{node.name}:{line}" for line in _commits(node)
                ]
    return found


def repositories_built_outside_the_unit_of_work() -> list[str]:
    """`file:line` of every `SomethingRepository(...)` or `AuditLog(...)` call in `src/`
    outside the unit of work that builds them."""
    found = []
    for path in _python_files(SOURCE):
        if path == SOURCE / "store" / "unit_of_work.py":
            continue
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and (call.func.id.endswith("Repository") or call.func.id == "AuditLog")
            ):
                found.append(f"{path.relative_to(SOURCE)}:{call.lineno}")
    return found


def test_repositories_are_reached_only_through_the_unit_of_work() -> None:
    assert repositories_built_outside_the_unit_of_work() == [], (
        "use uow.<repository> instead of building a repository on a connection"
    )


def test_cli_and_web_never_commit_a_unit_of_work() -> None:
    assert commits_in_entry_points() == [], (
        "cli and web call one use case, which commits; move these commits into use cases"
    )


def test_building_blocks_handed_a_unit_of_work_never_commit_it() -> None:
    assert commits_in_building_blocks() == [], (
        "a function taking `uow` works inside its caller's unit of work: the caller commits"
    )


def test_the_checks_find_a_commit_where_one_is_written(tmp_path: Path) -> None:
    # The checks above pass vacuously if they cannot see a commit at all: show they do.
    source = (
        "def release(uow, record_id):\n"
        "    uow.records.add([])\n"
        "    uow.commit()\n"
        "def page(request):\n"
        "    with store.unit_of_work() as uow:\n"
        "        uow.commit()\n"
    )
    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert [_first_parameter(f) for f in functions] == ["uow", "request"]
    assert _commits(functions[0]) == [3]
    assert _commits(tree) == [3, 6]

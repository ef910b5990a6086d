"""mypy checks the tests, strictly: pyproject.toml's `[tool.mypy]` names every test module.

`mypy` (as `run.py test` runs it, with no arguments) checks the `files` of pyproject.toml.
The tests are named from tests/ (`mypy_path` and `explicit_package_bases`), as pytest imports
them: tests/users/test_users_services.py is `users.test_users_services`, tests/conftest.py is
`conftest`, a helper is `support.<module>`. The override that makes them strict lists those
names one top-level directory of tests/ at a time, so a new directory must be added to it:
the test below says so.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
PYPROJECT = TESTS.parent / "pyproject.toml"


def _mypy_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]
    return config


def _test_override(config: dict[str, Any]) -> dict[str, Any]:
    overrides: list[dict[str, Any]] = config["overrides"]
    (override,) = [o for o in overrides if "support.*" in o["module"]]
    return override


def test_mypy_checks_the_tests_named_as_pytest_imports_them() -> None:
    config = _mypy_config()
    assert "tests" in config["files"]
    assert "tests" in config["mypy_path"]
    assert config["explicit_package_bases"] is True


def test_every_test_module_falls_under_the_strict_override() -> None:
    override = _test_override(_mypy_config())
    assert override["strict"] is True
    top_level = {
        path.stem if path.parent == TESTS else f"{path.relative_to(TESTS).parts[0]}.*"
        for path in TESTS.rglob("*.py")
    }
    listed = set(override["module"])
    assert top_level - listed == set(), "add them to the tests' override in pyproject.toml"
    assert listed - top_level == set(), "no such module under tests/: remove it from the override"

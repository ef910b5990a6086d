"""The command line: help on every command, one clear message on errors, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from enlace.cli.app import build_app
from support import timing

ROOT = Path(__file__).resolve().parents[2]


def _command_names() -> list[str]:
    # Sub-command groups count as their commands too: "audit verify", "audit show".
    def names(group: TyperGroup, prefix: str) -> list[str]:
        found = []
        for name, command in group.commands.items():
            found.append(prefix + name)
            if isinstance(command, TyperGroup):
                found.extend(names(command, f"{prefix}{name} "))
        return found

    group = get_command(build_app())
    assert isinstance(group, TyperGroup)
    return sorted(names(group, ""))


def test_every_documented_command_exists_and_every_command_is_documented() -> None:
    names = _command_names()
    assert {"init", "import", "export", "status", "synth", "demo", "audit verify"} <= set(names)
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in names:
        assert f"`enlace {name}" in reference, f"docs/cli.md does not describe 'enlace {name}'"


@pytest.mark.parametrize("name", _command_names())
def test_every_command_has_help(name: str) -> None:
    result = CliRunner().invoke(build_app(), [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def _enlace(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "enlace", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timing.timeout(120),
    )


@pytest.mark.e2e
def test_command_on_a_folder_that_is_no_node_prints_one_message_and_fails(tmp_path: Path) -> None:
    result = _enlace("status", "--node", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "is not an Enlace node" in result.stderr
    assert "enlace init" in result.stderr


@pytest.mark.e2e
def test_import_of_bad_file_via_cli_names_line_and_field_and_writes_nothing(
    tmp_path: Path,
) -> None:
    node = tmp_path / "mx"
    assert _enlace("init", "--party", "MX", "--node", str(node), cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "type,agency,category,drug_type,quantity,unit,seizure_date\n"
        "seizure,ANAM,drug,fentanyl,1,kg,2025-03-01\n"
        "seizure,ANAM,drug,fentanyl,lots,kg,2025-03-01\n",
        encoding="utf-8",
    )
    result = _enlace("import", str(bad), "--node", str(node), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "bad.csv: line 3, field 'quantity': found 'lots'" in result.stderr
    status = _enlace("status", "--node", str(node), cwd=tmp_path)
    assert "seizure" not in status.stdout


@pytest.mark.e2e
def test_init_twice_keeps_the_key_and_refuses_another_party(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    first = _enlace("init", "--party", "MX", "--node", str(node), cwd=tmp_path)
    key = (node / "keys" / "signing.key").read_bytes()
    second = _enlace("init", "--party", "MX", "--node", str(node), cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    assert "kept (existing)" in second.stdout
    assert (node / "keys" / "signing.key").read_bytes() == key
    assert key.decode() not in first.stdout + first.stderr  # the secret is never printed
    other = _enlace("init", "--party", "US", "--node", str(node), cwd=tmp_path)
    assert other.returncode == 1
    assert "already the node of party MX" in other.stderr


@pytest.mark.e2e
def test_unknown_party_code_is_a_clear_error(tmp_path: Path) -> None:
    result = _enlace("init", "--party", "ZZ", "--node", str(tmp_path / "n"), cwd=tmp_path)
    assert result.returncode == 1
    assert "ISO 3166-1 alpha-2" in result.stderr
    assert "Traceback" not in result.stderr

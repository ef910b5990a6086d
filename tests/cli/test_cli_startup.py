"""Starting the command line imports only what builds it: every command, and every worker
process `enlace sync` spawns (it re-imports the console script), pays for what it imports."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
import typer
from sqlalchemy.exc import OperationalError

from enlace.cli.errors import user_errors
from enlace.matching.kind_names import KIND_NAMES
from enlace.matching.kinds import MATCH_KINDS, NAME_KINDS
from enlace.matching.names.keys import NameKeyKind
from enlace.model.identifiers import IdentifierKind, InvalidIdentifier
from support import timing

# Slow to import and needed by a few commands only.
HEAVY = (
    "weasyprint",
    "fastapi",
    "uvicorn",
    "dateparser",
    "matplotlib",
    "alembic",
    "sqlalchemy",
    "httpx",
    "enlace.reports.render",
    "enlace.reports.charts",
    "enlace.web",
    "enlace.tracking.ingest",
    "enlace.matching.kinds",
    "enlace.exchange.sync_client",
    "enlace.exchange.receiving",
    "enlace.exchange.sync_schedule",
    "enlace.node.setup",
    "enlace.cli.demo_exchange",
    "enlace.cli.demo_matching",
)


def _imported_by_building_the_app() -> set[str]:
    script = (
        "import json, sys\n"
        "import enlace.cli.app\n"
        "enlace.cli.app.build_app()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=timing.timeout(60),
    )
    return set(json.loads(done.stdout))


@pytest.mark.e2e
def test_building_the_command_line_imports_no_heavy_module() -> None:
    modules = _imported_by_building_the_app()
    assert "enlace.cli.app" in modules
    loaded = sorted(
        name for name in modules for heavy in HEAVY if name == heavy or name.startswith(heavy + ".")
    )
    assert loaded == []


def test_the_kind_names_in_the_help_are_the_kinds_matching_knows() -> None:
    # The help lists them from a light module; the matching modules build their kinds from it.
    assert tuple(kind.value for kind in (*MATCH_KINDS, *NAME_KINDS)) == KIND_NAMES
    assert set(NAME_KINDS) == set(NameKeyKind)


BAD_VIN = InvalidIdentifier(IdentifierKind.VIN, "123", "17 characters")


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked\nat x")),
            "error: cannot use the database: database is locked",
        ),
        (BAD_VIN, f"error: {BAD_VIN}"),
    ],
)
def test_errors_of_slowly_imported_classes_are_still_one_line(
    error: Exception, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Their classes are not imported by the CLI's start-up; the error still reads as one line.
    def failing() -> None:
        raise error

    with pytest.raises(typer.Exit) as stopped:
        user_errors(failing)()
    assert stopped.value.exit_code == 1
    written = capsys.readouterr().err.strip()
    assert written == said
    assert len(written.splitlines()) == 1
    assert "Traceback" not in written

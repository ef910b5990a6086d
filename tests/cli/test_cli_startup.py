"""Starting the command line imports only what builds it: every command, and every worker
process `enlace sync` spawns (it re-imports the console script), pays for what it imports."""

from __future__ import annotations

import json
import subprocess
import sys

from enlace.matching.kind_names import KIND_NAMES
from enlace.matching.kinds import MATCH_KINDS, NAME_KINDS
from enlace.matching.names import NameKeyKind

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
    "enlace.exchange.sync",
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
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


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

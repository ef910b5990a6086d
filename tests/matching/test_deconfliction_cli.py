"""`enlace operation ...` on real node folders served on loopback: add, list, check, notices,
cancel; bad input in one line, nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enlace.cli.app import build_app
from support.matching import served_folders

pytestmark = pytest.mark.e2e

DAY = date.today() + timedelta(days=5)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """MX and US node folders, each served on loopback, registered with each other."""
    with served_folders(tmp_path) as served:
        yield {party: node.folder for party, node in served.items()}


def add(node: Path, *extra: str, days: int = 2) -> tuple[int, str]:
    return cli(
        "operation", "add", "--node", str(node), "--agency", "FGR",
        "--starts", DAY.isoformat(), "--ends", (DAY + timedelta(days=days - 1)).isoformat(),
        *extra,
    )  # fmt: skip


def test_operation_commands_register_check_and_show_one_notice_each_side(
    folders: dict[str, Path],
) -> None:
    mx, us = ["--node", str(folders["MX"])], ["--node", str(folders["US"])]
    code, out = cli("operation", "check", "US", *mx)
    assert code == 0, out
    assert "no active operation to check" in out
    code, out = add(folders["MX"], "--reference", "OP-TORMENTA", "--contact", "Cmdte. Ríos, +52 55 5000 1111",
                    "--lat", "19.43", "--lon", "-99.13", "--target", "phone:55 1234 5678")  # fmt: skip
    assert code == 0, out
    code, out = add(folders["US"], "--reference", "HOU-1", "--contact", "SA Miller, jm@atf.example",
                    "--lat", "29.76", "--lon", "-95.37", "--target", "phone:+52 55 1234 5678")  # fmt: skip
    assert code == 0, out
    code, out = cli("operation", "check", "US", *mx)
    assert code == 1
    assert "no matching agreement" in out
    code, out = cli("match", "agreement", "set", "MX", "--kind", "operation",
                    "--max-set-size", "5000", "--runs-per-day", "4", *us)  # fmt: skip
    assert code == 0, out
    code, out = cli("operation", "check", "US", *mx)
    assert code == 0, out
    assert "1 overlap(s) with US's operations (1 new)" in out
    code, out = cli("operation", "notices", *mx)
    assert "OP-TORMENTA" in out
    assert "SA Miller" in out
    assert "1 notice(s)" in out
    code, out = cli("operation", "notices", *us)
    assert "HOU-1" in out
    assert "Cmdte. Ríos" in out
    code, out = cli("operation", "list", *mx)
    assert "OP-TORMENTA" in out
    assert "active" in out
    operation_id = next(w for w in out.split() if w.startswith("operation--"))
    code, out = cli("operation", "cancel", operation_id, *mx)
    assert code == 0, out
    code, out = cli("operation", "check", "US", *mx)
    assert "no active operation to check" in out
    code, out = cli("match", "run", "US", "--kind", "operation", *mx)
    assert code == 1
    assert "enlace operation check" in out


@pytest.mark.parametrize(
    ("extra", "days", "message"),
    [
        (("--lat", "19.4", "--lon", "-99.1"), 32, "at most 31 days"),
        (("--lat", "19.4", "--lon", "-99.1", "--target", "phone:nope"), 2, "a valid phone"),
        (("--lat", "95", "--lon", "-99.1"), 2, "field 'latitude'"),
        (("--lat", "19.4", "--lon", "-190"), 2, "field 'longitude'"),
    ],
)
def test_bad_operations_are_one_line_and_store_nothing(
    folders: dict[str, Path], extra: tuple[str, ...], days: int, message: str
) -> None:
    code, out = add(folders["MX"], "--reference", "R", "--contact", "C", *extra, days=days)
    assert code == 1
    assert out.startswith("error:")
    assert message in out
    assert "Traceback" not in out
    code, out = cli("operation", "list", "--node", str(folders["MX"]))
    assert "0 operation(s)" in out

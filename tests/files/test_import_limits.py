"""What the importer refuses before it stores anything: cells and lines past their limits,
files that are not regular files, NUL characters, and one id given twice. Each is one clear
line naming the file, the line and the column, and nothing of the file is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.files.importer import import_file
from enlace.files.problems import ImportRejected, UnreadableFile
from enlace.files.readers import MAX_CELL_CHARS, MAX_LINE_CHARS
from enlace.node.config import NodeConfig
from enlace.node.setup import open_node
from enlace.store.store import Store
from support import timing

Node = tuple[NodeConfig, Store]
HEADER = "type,id,modified,name,country\n"
PLACE = "location--0d1c5d5e-6d51-4e0e-9a6e-8d1d1e1e1e1e"
GOOD = "location,,,Nogales,MX\n"


def _count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return uow.records.count_versions()


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_a_cell_past_the_limit_is_one_problem_naming_line_and_column(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    before = _count(store)
    path = tmp_path / "cell.csv"
    path.write_text(HEADER + GOOD + f"location,,,{'x' * (MAX_CELL_CHARS + 1)},MX\n")
    with pytest.raises(ImportRejected) as refused:
        import_file(store, party="MX", path=path)
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (3, "name")
    assert f"at most {MAX_CELL_CHARS:,} characters" in str(problem)
    assert _count(store) == before  # all or nothing: the good row is not written either


def test_a_cell_over_the_csv_modules_limit_is_refused_without_a_traceback(
    mx_node: Node, tmp_path: Path
) -> None:
    # 1 MB in one cell: the csv module raised "field larger than field limit (131072)".
    _config, store = mx_node
    before = _count(store)
    path = tmp_path / "big.csv"
    path.write_text(HEADER + GOOD + f"location,,,{'x' * 1_000_000},MX\n")
    store.close()
    code, output = _cli("import", str(path), "--node", str(tmp_path / "mx"))
    assert code == 1
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if line.strip()]
    assert line.startswith(f"error: {path}: line 3, column 'name': ")
    assert f"{MAX_LINE_CHARS:,} characters" in line
    _config, reopened = open_node(tmp_path / "mx")
    assert _count(reopened) == before
    reopened.close()


def test_a_line_past_the_limit_is_refused_in_json_lines_too(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    path = tmp_path / "long.jsonl"
    row = {"type": "location", "name": "x" * (MAX_LINE_CHARS + 1), "country": "MX"}
    path.write_bytes(
        orjson.dumps({"type": "location", "country": "MX"}) + b"\n" + orjson.dumps(row)
    )
    with pytest.raises(UnreadableFile, match=r"long\.jsonl: line 2: longer than 131,072 bytes"):
        import_file(store, party="MX", path=path)


def test_a_text_past_the_cell_limit_in_json_lines_names_its_field(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    path = tmp_path / "cell.jsonl"
    row = {"type": "location", "name": "x" * (MAX_CELL_CHARS + 1), "country": "MX"}
    path.write_bytes(orjson.dumps(row) + b"\n")
    with pytest.raises(ImportRejected) as refused:
        import_file(store, party="MX", path=path)
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (1, "name")


@pytest.mark.e2e
def test_a_file_of_one_200_mb_line_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    # A process of its own, so that its peak memory is its own: the line is never read whole.
    from enlace.node.setup import initialise_node

    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    path = tmp_path / "one-line.csv"
    with path.open("w") as out:
        out.write("type,name,country\nlocation,")
        for _ in range(200):
            out.write("y" * 1_000_000)
        out.write(",MX\n")
    # The peak from /proc (VmHWM, this process's own memory since its exec), not getrusage:
    # ru_maxrss keeps the high-water mark of the pytest worker that spawned it.
    script = (
        "import re, sys\n"
        "from enlace.cli.app import build_app\n"
        "try:\n"
        "    build_app()(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    status = open('/proc/self/status').read()\n"
        "    print('peak', re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\n"
        "    raise\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "import", str(path), "--node", str(node)],
        capture_output=True,
        text=True,
        timeout=timing.timeout(300),
        env={**os.environ, "COLUMNS": "400"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{path}: line 2, column 'name': the record goes on past" in done.stderr
    peak_kib = int(done.stderr.rsplit("peak", 1)[1].split()[0])
    assert peak_kib < 200 * 1024, f"peak {peak_kib} KiB: the line was read whole"


@pytest.mark.parametrize("kind", ["device", "directory", "fifo"])
def test_a_path_that_is_not_a_regular_file_is_refused_before_reading(
    mx_node: Node, tmp_path: Path, kind: str
) -> None:
    # /dev/zero, a directory, a named pipe with no writer: reading would never end.
    _config, store = mx_node
    store.close()
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "directory":
        path = tmp_path / "folder.csv"
        path.mkdir()
    else:
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
    code, output = _cli("import", str(path), "--node", str(tmp_path / "mx"))
    assert code == 1
    (line,) = [line for line in output.splitlines() if line.strip()]
    assert line.startswith(f"error: {path}: not a regular file")


def test_import_file_refuses_a_fifo_too(mx_node: Node, tmp_path: Path) -> None:
    _config, store = mx_node
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    with pytest.raises(UnreadableFile, match="not a regular file"):
        import_file(store, party="MX", path=path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_nul_character_is_refused_on_every_store(mx_node: Node, tmp_path: Path, fmt: str) -> None:
    # SQLite kept it; PostgreSQL refuses it. Refused on both, naming line and column.
    _config, store = mx_node
    before = _count(store)
    if fmt == "csv":
        path = tmp_path / "nul.csv"
        path.write_text(HEADER + GOOD + "location,,,Agua\x00Prieta,MX\n")
        line = 3
    else:
        path = tmp_path / "nul.jsonl"
        row = {"type": "location", "name": "Agua\x00Prieta", "country": "MX"}
        path.write_bytes(orjson.dumps(row) + b"\n")
        line = 1
    with pytest.raises(ImportRejected) as refused:
        import_file(store, party="MX", path=path)
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (line, "name")
    assert "NUL" in problem.expected
    assert _count(store) == before


def test_a_nul_row_goes_to_the_rejects_file_and_the_good_rows_are_imported(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    before = _count(store)
    path = tmp_path / "nul.csv"
    path.write_text(HEADER + GOOD + "location,,,Agua\x00Prieta,MX\n")
    report = import_file(store, party="MX", path=path, rejects=tmp_path / "bad.csv")
    assert (report.imported, report.rejected) == (1, 1)
    assert _count(store) == before + 1


def _dup_file(tmp_path: Path) -> Path:
    path = tmp_path / "dup.csv"
    path.write_text(
        HEADER
        + GOOD
        + f"location,{PLACE},2025-01-01T00:00:00Z,Nogales,MX\n"
        + f"location,{PLACE},2025-01-01T00:00:00Z,Sásabe,MX\n"
    )
    return path


@pytest.mark.parametrize("batch_size", [2000, 1])
def test_the_same_id_twice_is_a_duplicate_naming_both_lines(
    mx_node: Node, tmp_path: Path, batch_size: int
) -> None:
    # batch_size 1: the first row was written by an earlier batch of the same import.
    _config, store = mx_node
    before = _count(store)
    with pytest.raises(ImportRejected) as refused:
        import_file(store, party="MX", path=_dup_file(tmp_path), batch_size=batch_size)
    (problem,) = refused.value.problems
    assert (problem.line, problem.field, problem.found) == (4, "id", PLACE)
    assert "duplicate id" in problem.expected
    assert "line 3 and line 4" in problem.expected
    assert _count(store) == before


def test_with_rejects_the_repeated_row_is_set_aside_and_the_rest_imported(
    mx_node: Node, tmp_path: Path
) -> None:
    _config, store = mx_node
    before = _count(store)
    rejects = tmp_path / "bad.csv"
    report = import_file(store, party="MX", path=_dup_file(tmp_path), rejects=rejects)
    assert (report.imported, report.rejected) == (2, 1)
    assert _count(store) == before + 2
    assert "line 3 and line 4" in rejects.read_text()

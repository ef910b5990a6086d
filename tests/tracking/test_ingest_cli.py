"""`enlace tracking ingest` and `enlace tracking list` on a real node."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.node.setup import initialise_node, open_node

COMMUNIQUES = Path(__file__).parent / "communiques"


def _node(tmp_path: Path, store_url: str) -> Path:
    initialise_node(tmp_path / "mx", party="MX", database_url=store_url)
    return tmp_path / "mx"


def _versions(node: Path) -> int:
    _config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            return uow.records.count_versions()
    finally:
        store.close()


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_ingest_without_accept_shows_proposals_and_stores_nothing(
    tmp_path: Path, store_url: str
) -> None:
    node = _node(tmp_path, store_url)
    before = _versions(node)
    code, out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-02.txt"), "--date", "2025-12-06",
        "--node", str(node),
    )  # fmt: skip
    assert code == 0
    # The table's cells may be cut to the console's width (set when the module was first
    # imported, in whichever test that was): look for the header of the proposals instead.
    assert "es-02.txt: es, dated 2025-12-06" in out
    assert "nothing stored" in err
    assert "--accept" in err
    assert _versions(node) == before


def test_ingest_json_is_the_proposal(tmp_path: Path) -> None:
    code, out, _err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "en-01.txt"), "--date", "2025-09-04", "--json"
    )
    assert code == 0
    proposal = json.loads(out)
    assert proposal["language"] == "en"
    assert proposal["document_date"] == "2025-09-04"
    assert proposal["meetings"][0]["meeting_date"] == "2025-09-04"
    assert all(c["source_sentence"] and c["cues"] for c in proposal["commitments"])


def test_ingest_accept_stores_and_list_flags_overdue(tmp_path: Path, store_url: str) -> None:
    node = _node(tmp_path, store_url)
    before = _versions(node)
    code, out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "2025-09-05",
        "--accept", "all", "--node", str(node),
    )  # fmt: skip
    assert code == 0, err
    assert "accepted m1:" in out
    assert "accepted m2:" in out
    assert "pending review" not in out
    code, out, _err = _run(
        "tracking", "list", "--node", str(node), "--json", "--today", "2025-12-01"
    )
    assert code == 0
    items = json.loads(out)
    assert _versions(node) - before == len(items)
    overdue = {item["when"] for item in items if item["overdue"]}
    assert overdue == {"2025-10-31", "2025-11-30"}  # due before 1 December, not delivered
    first_duty = next(item for item in items if item["kind"] != "meeting")
    assert first_duty["overdue"]  # overdue ones come first
    code, out, _err = _run("tracking", "list", "--node", str(node), "--today", "2025-12-01")
    assert code == 0
    assert "OVERDUE" in out


def test_third_language_is_one_clear_error_and_stores_nothing(
    tmp_path: Path, store_url: str
) -> None:
    node = _node(tmp_path, store_url)
    before = _versions(node)
    code, out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "fr-01.txt"), "--date", "2025-09-05",
        "--accept", "all", "--node", str(node),
    )  # fmt: skip
    assert code == 1
    assert "Traceback" not in out + err
    assert err.strip().count("\n") == 0
    assert "fr-01.txt" in err
    assert "French" in err
    assert _versions(node) == before


def test_bad_date_is_one_clear_error() -> None:
    code, _out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "5/9/2025"
    )
    assert code == 1
    assert "--date" in err
    assert "YYYY-MM-DD" in err


def test_ingest_accepts_and_rejects_the_keys_given_and_keeps_the_rest_pending(
    tmp_path: Path, store_url: str
) -> None:
    node = _node(tmp_path, store_url)
    code, out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "2025-09-05",
        "--accept", "m1,c1", "--reject", "c2", "--node", str(node),
    )  # fmt: skip
    assert code == 0, err
    assert "accepted m1:" in out
    assert "accepted c1:" in out
    assert "rejected: c2" in out
    assert "pending review: m2, c3" in out
    code, out, _err = _run("tracking", "list", "--node", str(node), "--json")
    kinds = sorted(item["kind"] for item in json.loads(out))
    assert kinds == ["commitment", "meeting"]
    code, _out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "2025-09-05",
        "--accept", "c9", "--node", str(node),
    )  # fmt: skip
    assert code == 1
    assert "c9: no such proposal in es-01.txt" in err


def test_ingest_with_an_edit_file_stores_the_corrections(tmp_path: Path, store_url: str) -> None:
    node = _node(tmp_path, store_url)
    edits = tmp_path / "edits.toml"
    edits.write_text(
        '[m1]\nplace = "Hidalgo, Texas"\n[c1]\ndue_date = 2025-11-15\n'
        'text_en = "An information exchange on chemical precursor shipments."\n',
        encoding="utf-8",
    )
    code, out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "2025-09-05",
        "--edits", str(edits), "--node", str(node),
    )  # fmt: skip
    assert code == 0, err
    code, out, _err = _run("tracking", "list", "--node", str(node), "--json")
    items = {item["kind"]: item for item in json.loads(out)}
    assert items["meeting"]["text"].endswith(", Hidalgo, Texas")
    assert items["commitment"]["when"] == "2025-11-15"
    bad = tmp_path / "bad.json"
    bad.write_text('{"m2": {"date": "tomorrow"}}', encoding="utf-8")
    code, _out, err = _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "2025-09-05",
        "--edits", str(bad), "--node", str(node),
    )  # fmt: skip
    assert code == 1
    assert "date" in err
    assert "Traceback" not in err


def test_edit_corrects_an_accepted_commitment_as_a_new_version(
    tmp_path: Path, store_url: str
) -> None:
    node = _node(tmp_path, store_url)
    _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "2025-09-05",
        "--accept", "m1,c1", "--node", str(node),
    )  # fmt: skip
    _code, out, _err = _run("tracking", "list", "--node", str(node), "--json")
    commitment = next(item for item in json.loads(out) if item["kind"] == "commitment")
    before = _versions(node)
    code, out, err = _run(
        "tracking", "edit", commitment["id"], "--theme", "firearms", "--due", "2026-02-01",
        "--text-en", "A precursor information exchange.", "--node", str(node),
    )  # fmt: skip
    assert code == 0, err
    assert "changed due_date, text_en, theme" in out
    assert _versions(node) == before + 1
    code, _out, err = _run("tracking", "edit", commitment["id"], "--theme", "weather",
                           "--node", str(node))  # fmt: skip
    assert code == 1
    assert "theme" in err


def test_the_same_text_under_another_name_is_reported_as_already_read(
    tmp_path: Path, store_url: str
) -> None:
    node = _node(tmp_path, store_url)
    _run(
        "tracking", "ingest", str(COMMUNIQUES / "es-01.txt"), "--date", "2025-09-05",
        "--accept", "all", "--node", str(node),
    )  # fmt: skip
    before = _versions(node)
    copy = tmp_path / "comunicado-copia.txt"
    copy.write_text((COMMUNIQUES / "es-01.txt").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = _run(
        "tracking", "ingest", str(copy), "--date", "2025-09-05", "--accept", "all",
        "--node", str(node),
    )  # fmt: skip
    assert code == 0, err
    assert "already read as es-01.txt (same text)" in err
    assert "accepted" not in out
    assert _versions(node) == before
    # Only looking (no decision asked) says so too, before anything is decided again.
    code, _out, err = _run(
        "tracking", "ingest", str(copy), "--date", "2025-09-05", "--node", str(node),
    )  # fmt: skip
    assert code == 0, err
    assert "already read as es-01.txt (same text): accepted m1, m2, c1, c2, c3, c4, a1, a2\n" in err
    assert _versions(node) == before


def test_a_20_mb_file_is_refused_with_one_message_before_it_is_read_whole(
    tmp_path: Path, store_url: str
) -> None:
    node = _node(tmp_path, store_url)
    before = _versions(node)
    big = tmp_path / "dump.txt"
    line = "The Group agreed to expand the exchange of customs data on precursors.\n"
    big.write_text(line * (20 * 1024 * 1024 // len(line)), encoding="utf-8")
    code, out, err = _run("tracking", "ingest", str(big), "--date", "2025-10-10",
                          "--accept", "all", "--node", str(node))  # fmt: skip
    assert code == 1
    assert "larger than 2 MiB" in err
    assert "Traceback" not in out + err
    assert _versions(node) == before


def test_a_file_that_never_ends_is_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    code, _out, err = _run("tracking", "ingest", str(fifo), "--date", "2025-10-10")
    assert code == 1
    assert "must be a regular file" in err

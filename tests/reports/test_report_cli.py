"""`enlace report` through the command line: files written, clear errors, no traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store
from support.reports import tracking_node


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["report", *args])
    return result.exit_code, result.output


def test_report_on_a_node_without_meetings_says_so_and_fails(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    code, output = run("--node", str(node), "--out", str(tmp_path / "out"))
    assert code == 1
    assert "Traceback" not in output
    assert "holds no meeting" in output
    assert "enlace tracking ingest" in output
    assert len(output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_report_writes_html_and_pdf_in_both_languages(store_url: str, tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX", database_url=store_url)
    store = Store.open(store_url)
    try:
        tracking_node(store)
    finally:
        store.close()
    out = tmp_path / "reports"
    code, output = run("--node", str(node), "--out", str(out))
    assert code == 0, output
    for lang in ("es", "en"):
        for suffix in ("html", "pdf"):
            path = out / f"report-{lang}.{suffix}"
            assert str(path) in output
            assert path.stat().st_size > 0
        assert (out / f"report-{lang}.pdf").read_bytes().startswith(b"%PDF-")


def test_report_in_one_language_writes_only_that_one(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    _, store = open_node(node)
    try:
        tracking_node(store)
    finally:
        store.close()
    code, output = run("--node", str(node), "--lang", "en")
    assert code == 0, output
    assert sorted(p.name for p in (node / "reports").iterdir()) == [
        "report-en.html",
        "report-en.pdf",
    ]


def test_unknown_language_and_bad_indicator_file_are_clear_errors(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    code, output = run("--node", str(node), "--lang", "fr")
    assert code == 1
    assert "'fr'" in output
    assert "es or en" in output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[indicator]]\nid = "x"\ncolour = "red"\n', encoding="utf-8")
    code, output = run("--node", str(node), "--indicators", str(bad))
    assert code == 1
    assert "Traceback" not in output
    assert "bad.toml" in output

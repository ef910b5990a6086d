"""`bench/web_bench.py` keeps working: its page list, against a small node it built and serves.

The bench's own code builds the node (real `enlace init`, `import`, `user add`), serves it with
`enlace serve` and times every page once; here every page must answer 200 and the name and
serial searches must show the record they were picked from. Speed is not asserted (see
bench/README.md): this only keeps the bench from rotting as the pages change.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

import web_bench
from support import timing

RECORDS = 400


def test_the_last_page_is_read_from_the_pager_text_or_its_links() -> None:
    assert web_bench.last_page("<span>Page 1 of 20,000</span>") == 20_000
    assert web_bench.last_page('<a href="/web/records?kind=x&amp;page=7">7</a>') == 7
    assert web_bench.last_page("<p>3 records found.</p>") == 1


def test_the_filters_are_taken_from_the_records_page_form() -> None:
    html = (
        '<select name="kind"><option value="">all</option><option value="firearm">F</option>'
        '<option value="person">P</option></select>'
        '<select name="owner"><option value="">all</option><option value="MX">MX</option>'
        "</select>"
    )
    picked = web_bench.Picked("Ana Pérez", "identity--1", "AB-1", "enlace-firearm--1", "word")
    paths = {page.label: page.path for page in web_bench.page_list(html, picked)}
    assert paths["records, kind firearm"] == "/web/records?kind=firearm"
    assert paths["records, owner MX"] == "/web/records?owner=MX"
    assert paths["search: a name"] == "/web/records?q=Ana+P%C3%A9rez"


@pytest.mark.e2e
def test_every_page_of_the_bench_answers_on_a_node_it_built(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    admin_url: URL = make_url(web_bench.DEFAULT_POSTGRES_URL)
    if database == "postgresql":
        admin_url = request.getfixturevalue("postgres_server").url
    csv_path = web_bench.synthetic_csv(tmp_path, RECORDS)
    picked = web_bench.pick_searches(csv_path)
    try:
        node = web_bench.build_node(tmp_path, database, RECORDS, csv_path, admin_url)
        again = web_bench.build_node(tmp_path, database, RECORDS, csv_path, admin_url)
        assert again.note.startswith("reused"), again.note
        with web_bench.Serving(node) as base_url:
            timings, pages = web_bench.time_pages(
                base_url, node.password, picked, 1, timeout=timing.timeout(60)
            )
    finally:
        dropped = web_bench.drop_built(tmp_path, admin_url)
    assert len(dropped) == 1
    assert len(pages) == 15
    assert {label: t.status for label, t in timings.items()} == dict.fromkeys(timings, 200)
    assert timings["search: a name"].shown is True
    assert timings["search: a serial"].shown is True
    assert all(len(t.seconds) == 1 for t in timings.values())


def test_grown_parts_are_whole_worlds_of_successive_seeds(tmp_path: Path) -> None:
    """`--grow`: part 1 is exactly the one-file build's CSV of that size; every part holds
    every kind; parts share no record but the agencies; a second writer leaves whole parts
    as they are and writes the missing one again, the same."""
    stream = web_bench.Stream(tmp_path, 1_200, 400)
    failed: list[BaseException] = []
    web_bench.write_parts(stream, failed)
    assert failed == []
    parts = [stream.part(number) for number in range(1, stream.parts + 1)]
    text = [part.read_text(encoding="utf-8") for part in parts]
    assert text[0] == web_bench.synthetic_csv(tmp_path, 400).read_text(encoding="utf-8")
    rows = [list(csv.DictReader(io.StringIO(part))) for part in text]
    assert [len(part) for part in rows] == [400, 400, 400]
    kinds = [{row["type"] for row in part} for part in rows]
    assert kinds[0] == kinds[1] == kinds[2]
    assert {"person", "seizure", "relationship"} <= kinds[0]
    ids = [{row["id"] for row in part if row["type"] != "agency"} for part in rows]
    assert not ids[0] & ids[1]
    assert not ids[1] & ids[2]
    assert not ids[0] & ids[2]
    written = {part: part.stat().st_mtime_ns for part in parts}
    parts[1].unlink()
    web_bench.write_parts(stream, failed)
    assert failed == []
    assert parts[1].read_text(encoding="utf-8") == text[1]
    assert [parts[0].stat().st_mtime_ns, parts[2].stat().st_mtime_ns] == [
        written[parts[0]],
        written[parts[2]],
    ]

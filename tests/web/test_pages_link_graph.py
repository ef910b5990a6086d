"""A record's link graph (issue 18): its relationships both ways to depth 2 and its matches
and hit notices with partners, at most 40 nodes with counts of the rest, only records this
node holds; read as the query gives it and as the served page shows it, on SQLite and
PostgreSQL, in both languages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.web.graph import CENTRE, RING_FEW, RING_INNER, edge_path, radial_layout
from enlace.web.queries.neighbourhood import COUNTED, DRAWN, Bounded, neighbourhood
from support.graphs import (
    NOT_HELD,
    PARTNER_HANDLE,
    Graph,
    busy_neighbour,
    graph_node,
    hub,
    traced,
)
from support.web import RunningWeb, serving, switch_language, user_of


def test_the_graph_holds_both_directions_depth_two_and_the_partners_records(
    store: Store,
) -> None:
    node = graph_node(store)
    found = neighbourhood(store, node.ids["firearm"])
    assert found is not None
    depth = {n.key: n.depth for n in found.nodes}
    assert depth[node.ids["firearm"]] == 0
    assert depth[node.ids["seizure"]] == 1  # the firearm is its relationship's source
    assert depth[node.ids["tampered"]] == 1  # US's vehicle is the source: the other way
    assert depth[node.ids["person"]] == 1
    assert depth[node.ids["own"]] == 2  # the phone used by the firearm's owner
    [phone] = [n for n in found.nodes if n.key == node.ids["own"]]
    assert phone.parent == node.ids["person"]
    partners = [n for n in found.nodes if n.record is None]
    assert {(n.partner, n.direction, n.handle, n.identifier_kinds) for n in partners} == {
        ("US", "match", PARTNER_HANDLE, ("firearm",)),
        ("US", "notice", node.our_handle, ("firearm",)),
    }
    assert all(n.depth == 1 for n in partners)
    seized = [e for e in found.edges if e.relationship_id == node.ids["seized"]]
    assert [(e.source, e.target, e.relationship_type) for e in seized] == [
        (node.ids["firearm"], node.ids["seizure"], "seized-in")
    ]
    assert len(found.edges) == 6  # 2 partners, 3 relationships at depth 1, 1 at depth 2


def test_records_not_held_and_revoked_relationships_are_absent(store: Store) -> None:
    node = graph_node(store)
    found = neighbourhood(store, node.ids["firearm"])
    assert found is not None
    keys = {n.key for n in found.nodes}
    assert NOT_HELD not in keys  # a relationship's end this node does not hold
    assert node.ids["national"] not in keys  # at the end of a revoked relationship
    assert node.ids["revoked"] not in {e.relationship_id for e in found.edges}
    # The link to the record not held is counted among those not drawn; the revoked one is not.
    assert found.not_drawn_depth1 == Bounded(1)
    assert found.centre.links == Bounded(4)
    assert neighbourhood(store, NOT_HELD) is None


def test_the_trace_requests_about_a_firearm_and_their_answers_are_in_its_graph(
    store: Store,
) -> None:
    node = graph_node(store)
    request, response = traced(store, node.ids["firearm"])
    found = neighbourhood(store, node.ids["firearm"])
    assert found is not None
    depth = {n.key: n.depth for n in found.nodes}
    assert depth[request] == 1  # the request names the firearm
    assert depth[response] == 2  # the response names the request
    kinds = {n.key: n.kind for n in found.nodes}
    assert (kinds[request], kinds[response]) == ("trace-request", "trace-response")
    lines = {(e.source, e.target, e.relationship_type) for e in found.edges}
    assert (request, node.ids["firearm"], "asks-to-trace") in lines
    assert (response, request, "answers") in lines
    # From the request, the firearm it asks about and its answer are both one step away.
    around = neighbourhood(store, request)
    assert around is not None
    assert {n.key for n in around.at_depth(1)} == {node.ids["firearm"], response}


def test_a_hub_draws_forty_nodes_and_counts_the_rest(store: Store) -> None:
    graph_node(store)
    centre, spokes = hub(store, DRAWN + 5)
    found = neighbourhood(store, centre)
    assert found is not None
    assert len(found.nodes) == DRAWN
    assert [n.key for n in found.at_depth(1)] == spokes[: DRAWN - 1]  # in relationship order
    assert found.at_depth(2) == ()  # no room left after depth 1
    assert found.not_drawn_depth1 == Bounded(6)
    assert found.truncated
    # Every drawn spoke has its one link drawn: nothing more at depth 2.
    assert found.not_drawn_depth2 == Bounded(0)


def test_depth_two_counts_stop_at_the_cap(store: Store) -> None:
    gun, phone = busy_neighbour(store, COUNTED + 5)
    found = neighbourhood(store, gun)
    assert found is not None
    [busy] = found.at_depth(1)
    assert busy.key == phone
    assert busy.links == Bounded(COUNTED + 1, more=True)  # 200 one way (capped), 1 the other
    assert busy.hidden_links == Bounded(COUNTED, more=True)
    assert found.not_drawn_depth2 == Bounded(COUNTED, more=True)
    assert found.at_depth(2) == ()  # its other ends are not held here


def test_the_layout_is_radial_and_deterministic() -> None:
    nodes = [("c", 0, None), ("a", 1, None), ("b", 1, None), ("x", 2, "a"), ("y", 2, "b")]
    first = radial_layout(nodes)
    assert first == radial_layout(nodes)
    assert (first["c"].x, first["c"].y) == (CENTRE, CENTRE)
    assert first["a"].y < CENTRE  # the first depth-1 node at the top
    ring = radial_layout([("c", 0, None), ("a", 1, None), ("b", 1, None)])
    assert round(((ring["b"].x - CENTRE) ** 2 + (ring["b"].y - CENTRE) ** 2) ** 0.5) == RING_FEW
    distance = {
        k: ((p.x - CENTRE) ** 2 + (p.y - CENTRE) ** 2) ** 0.5 for k, p in first.placed.items()
    }
    assert distance["a"] < distance["x"]

    def apart(one: str, other: str) -> float:
        return float(
            ((first[one].x - first[other].x) ** 2 + (first[one].y - first[other].y) ** 2) ** 0.5
        )

    assert apart("x", "a") < apart("x", "b")  # near its parent
    assert apart("y", "b") < apart("y", "a")
    # Labels read left to right all round the rings: none is turned past the vertical.
    many = radial_layout([("c", 0, None), *((f"n{i}", 1, None) for i in range(30))])
    assert all(-90 <= p.label_rotation <= 90 for p in many.placed.values())
    assert {p.label_anchor for k, p in many.placed.items() if k != "c"} == {"start", "end"}


def test_a_line_to_the_outer_ring_goes_round_the_middle_not_across_it() -> None:
    nodes = [("c", 0, None), ("a", 1, None), *((f"x{i}", 2, "a") for i in range(20))]
    layout = radial_layout(nodes)
    opposite = max(
        (key for key, _, _ in nodes[2:]),
        key=lambda key: (layout[key].x - layout["a"].x) ** 2 + (layout[key].y - layout["a"].y) ** 2,
    )
    path = edge_path(layout["a"], layout[opposite], around=True)
    assert " A" in path  # along a circle
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.split(" A")[0])]
    corners = list(zip(numbers[::2], numbers[1::2], strict=True))
    end_x, end_y = path.split()[-1].lstrip("L").split(",")
    corners.append((float(end_x), float(end_y)))
    assert all(((x - CENTRE) ** 2 + (y - CENTRE) ** 2) ** 0.5 >= RING_INNER for x, y in corners)
    straight = edge_path(layout["c"], layout["a"], around=False)
    assert straight.startswith("M")
    assert " A" not in straight


# SQLite only: PostgreSQL's plans are checked by tests/web/test_graph_bench.py (graph_bench.explain).
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_every_query_of_the_graph_reads_by_index_on_sqlite(store: Store) -> None:
    """SQLite's plan of each statement the graph runs: no table read whole."""
    node = graph_node(store)
    busy_neighbour(store, 30)
    statements: list[tuple[str, Any]] = []

    def keep(conn: Connection, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    engine = store.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert neighbourhood(store, node.ids["firearm"]) is not None
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert statements
    whole = re.compile(r"\bSCAN (records|record_links|matches|hit_notices|match_handles)\b")
    with engine.connect() as connection:
        for statement, parameters in statements:
            raw = connection.connection.driver_connection
            assert raw is not None
            plan = [row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
            assert not any(whole.search(line) for line in plan), (statement, plan)
        connection.execute(text("SELECT 1"))


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[tuple[RunningWeb, Graph]]:
    node = graph_node(store)
    with serving(store, tmp_path / "mx") as running:
        yield running, node


def _page(body: str) -> str:
    return html.unescape(body)


@pytest.mark.e2e
def test_the_graph_page_draws_the_record_its_links_and_its_partners_records(
    web: tuple[RunningWeb, Graph],
) -> None:
    running, node = web
    analyst = running.login(user_of(Role.ANALYST))
    record_page = _page(analyst.get(f"/web/records/{node.ids['firearm']}").text)
    assert f'href="/web/records/{node.ids["firearm"]}/graph"' in record_page
    assert "Grafo de vínculos" in record_page
    answer = analyst.get(f"/web/records/{node.ids['firearm']}/graph")
    assert answer.status_code == 200
    page = _page(answer.text)
    assert '<svg class="graph"' in page
    assert 'role="img" aria-labelledby="graph-title graph-desc"' in page
    assert "Grafo de vínculos de Glock 19 BXR123: 4 registros y 2 registros de contrapartes" in page
    for key in ("seizure", "person", "tampered", "own"):
        assert f'href="/web/records/{node.ids[key]}"' in page, key
    assert NOT_HELD not in page
    assert node.ids["national"] not in page
    assert PARTNER_HANDLE in page
    assert "Registro de US 00112233aabbccdd" in page
    assert "Cotejo de US" in page  # the hit notice's node
    # In words, with the relationship types and codes in Spanish.
    words = page[page.index('id="in-words"') :]
    assert re.search(r"Glock 19 BXR123</strong></a> — <a [^>]+>asegurado en</a> → <a", words)
    assert "Armas de fuego 3.0 número Sonoyta" in words  # the seizure's title, codes in words
    assert "coincide con (Arma de fuego (marca y serie))" in words
    assert "Julio Ramírez Soto" in words
    # The legend names the kinds drawn; each node is a link its list repeats for the keyboard.
    legend = page[page.index('id="legend"') :]
    assert "Arma de fuego" in legend
    assert "Aseguramiento" in legend
    assert "Registro de una contraparte (solo identificador opaco)" in legend
    assert 'tabindex="-1" aria-hidden="true"' in page
    # The same links give the same picture, request after request.
    again = _page(analyst.get(f"/web/records/{node.ids['firearm']}/graph").text)
    assert (
        again[again.index("<svg") : again.index("</svg>")]
        == page[page.index("<svg") : page.index("</svg>")]
    )
    nodes = page[page.index('id="nodes"') : page.index('id="in-words"')]
    assert f'href="/web/records/{node.ids["own"]}"' in nodes
    assert "alcanzado desde Julio Ramírez Soto" in nodes


@pytest.mark.e2e
def test_the_graph_page_in_english(web: tuple[RunningWeb, Graph]) -> None:
    running, node = web
    liaison = running.login(user_of(Role.LIAISON))
    switch_language(liaison, "en")
    answer = liaison.get(f"/web/records/{node.ids['firearm']}/graph")
    assert answer.status_code == 200
    page = _page(answer.text)
    assert "<h1>Link graph</h1>" in page
    assert "In words" in page
    assert "seized in" in page
    assert "Firearms 3.0 count Sonoyta" in page  # the seizure's title, codes in words
    assert "matched with (Firearm (make and serial))" in page
    assert "US's record 00112233aabbccdd" in page


@pytest.mark.e2e
def test_the_graph_page_says_what_it_did_not_draw(store: Store, tmp_path: Path) -> None:
    graph_node(store)
    centre, spokes = hub(store, DRAWN + 5)
    gun, _ = busy_neighbour(store, COUNTED + 5)
    with serving(store, tmp_path / "mx") as running:
        analyst = running.login(user_of(Role.ANALYST))
        page = _page(analyst.get(f"/web/records/{centre}/graph").text)
        assert "Relaciones de este registro sin dibujar: 6" in page
        assert f'href="/web/records/{spokes[DRAWN - 2]}"' in page
        assert f'href="/web/records/{spokes[DRAWN - 1]}"' not in page  # the 40th spoke
        assert page.count('class="graph-node ') == DRAWN
        busy = _page(analyst.get(f"/web/records/{gun}/graph").text)
        assert "Relaciones de los registros a un vínculo de distancia sin dibujar: 200+" in busy
        assert "1 de 201+ relaciones dibujadas" in busy


@pytest.mark.e2e
def test_an_unknown_record_gives_the_404_page_and_other_roles_are_refused(
    web: tuple[RunningWeb, Graph],
) -> None:
    running, node = web
    analyst = running.login(user_of(Role.ANALYST))
    unknown = analyst.get(f"/web/records/{NOT_HELD}/graph")
    assert unknown.status_code == 404
    assert "Página no encontrada" in _page(unknown.text)
    assert NOT_HELD in _page(unknown.text)
    malformed = analyst.get("/web/records/not-an-id/graph")
    assert malformed.status_code == 404
    coordinator = running.login(user_of(Role.COORDINATOR))
    refused = coordinator.get(f"/web/records/{node.ids['firearm']}/graph")
    assert refused.status_code == 403
    assert "Glock" not in refused.text


@pytest.mark.e2e
def test_the_graph_page_shows_a_trace_request_and_its_answer_in_both_languages(
    store: Store, tmp_path: Path
) -> None:
    node = graph_node(store)
    request, response = traced(store, node.ids["firearm"])
    with serving(store, tmp_path / "mx") as running:
        analyst = running.login(user_of(Role.ANALYST))
        page = _page(analyst.get(f"/web/records/{node.ids['firearm']}/graph").text)
        assert f'href="/web/records/{request}"' in page
        assert f'href="/web/records/{response}"' in page
        words = page[page.index('id="in-words"') :]
        assert re.search(r"solicita rastrear</a> → <a [^>]+><strong>Glock 19 BXR123", words), words
        assert re.search(r"responde a</a> → <a", words)
        legend = page[page.index('id="legend"') :]
        assert "Solicitud de rastreo" in legend
        assert "Respuesta de rastreo" in legend
        # The firearm's record page lists the trace request among its links, both ways.
        record_page = _page(analyst.get(f"/web/records/{node.ids['firearm']}").text)
        assert f'href="/web/records/{request}"' in record_page
        switch_language(analyst, "en")
        english = _page(analyst.get(f"/web/records/{node.ids['firearm']}/graph").text)
        words = english[english.index('id="in-words"') :]
        assert "asks to trace" in words
        assert "answers" in words

"""The seizure map page (issue 18) as a real server serves it, on SQLite and PostgreSQL: the
counts drawn on the map equal those in the table under it and those worked out from the
records, for the same filters; the records list finds the same seizures; bad filter values
get one clear 400, never a 500; Spanish and English; only the roles that may see it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.web.queries.seizure_map import MapFilter
from enlace.web.seizure_map import PORT_LOCATIONS, state_shapes
from support.seizure_map import MapData, expected_counts, map_node
from support.web import RunningWeb, serving, switch_language, user_of

pytestmark = pytest.mark.e2e

_DRAWN_STATE = re.compile(
    r'<a href="#state-([A-Z-]+)" class="state"[^>]*data-seizures="(\d+)" data-recoveries="(\d+)">'
    r"<title>([^<]*)</title>"
)
_DRAWN_PORT = re.compile(
    r'<a href="#port-(\d+)" class="port"[^>]*data-seizures="(\d+)"><title>([^<]*)</title>'
)
_ROW = re.compile(
    r'<tr id="state-([A-Za-z-]+)" data-code="[^"]*"><th scope="row">.*?</th>'
    r'<td class="num">([\d,. ]+)</td><td class="num">([\d,. ]+)</td></tr>'
)
_PORT_ROW = re.compile(
    r'<tr id="port-(\d+)" data-code="\d+"><th scope="row">.*?</th><td class="num">([\d,. ]+)</td>'
)


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[tuple[RunningWeb, MapData]]:
    data = map_node(store)
    with serving(store, tmp_path / "mx") as running:
        yield running, data


def _drawn(body: str) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    states = {m[0]: (int(m[1]), int(m[2])) for m in _DRAWN_STATE.findall(body)}
    ports = {m[0]: int(m[1]) for m in _DRAWN_PORT.findall(body)}
    return states, ports


def _table(body: str) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    states = {m[0]: (_number(m[1]), _number(m[2])) for m in _ROW.findall(body)}
    ports = {m[0]: _number(m[1]) for m in _PORT_ROW.findall(body)}
    return states, ports


CASES = [
    ("", MapFilter()),
    ("kind=seizure&owner=MX", MapFilter(kind="seizure", owner="MX")),
    ("kind=recovery", MapFilter(kind="recovery")),
    ("drug=fentanyl", MapFilter(drug="fentanyl")),
    ("category=cash&owner=us", MapFilter(category="cash", owner="US")),
    (
        "since=2024-06-01&until=2025-06-30",
        MapFilter(since=date(2024, 6, 1), until=date(2025, 6, 30)),
    ),
]


def test_the_map_and_its_table_show_the_records_counts_for_the_same_filters(
    web: tuple[RunningWeb, MapData],
) -> None:
    running, data = web
    analyst = running.login(user_of(Role.ANALYST))
    for query, wanted in CASES:
        page = analyst.get(f"/web/map?{query}")
        assert page.status_code == 200, page.text
        body = page.text
        states, ports, no_state = expected_counts(data, wanted)
        drawn_states, drawn_ports = _drawn(body)
        table_states, table_ports = _table(body)
        # Every state is drawn, with its count (0 where nothing is counted).
        assert set(drawn_states) == {s.code for s in state_shapes()}
        assert {c: n for c, n in drawn_states.items() if n != (0, 0)} == states, query
        assert set(drawn_ports) == set(PORT_LOCATIONS)
        assert {c: n for c, n in drawn_ports.items() if n} == ports, query
        # The table under the map: the same counts, and those without a state apart.
        table_none = table_states.pop("none", (0, 0))
        assert table_states == states, query
        assert table_none == no_state, query
        assert table_ports == ports, query
        seizures = sum(s for s, _ in states.values()) + no_state[0]
        assert _number(re.search(r'id="total-seizures">([^<]+)<', body)[1]) == seizures  # type: ignore[index]


def test_the_records_list_finds_the_seizures_the_map_counts(
    web: tuple[RunningWeb, MapData],
) -> None:
    running, data = web
    analyst = running.login(user_of(Role.ANALYST))
    switch_language(analyst, "en")
    for owner in ("MX", "US"):
        shown = analyst.get(f"/web/map?kind=seizure&owner={owner}").text
        on_map = _number(re.search(r'id="total-seizures">([^<]+)<', shown)[1])  # type: ignore[index]
        listed = analyst.get(f"/web/records?kind=seizure&owner={owner}&page=1").text
        found = _number(re.search(r"(\d[\d,]*) records found", listed)[1])  # type: ignore[index]
        # The list shows revoked records too (marked); the map leaves them out.
        revoked = 1 if owner == data.revoked_owner else 0
        assert on_map == found - revoked, owner


def test_each_state_names_its_count_and_the_legend_its_shades(
    web: tuple[RunningWeb, MapData],
) -> None:
    running, data = web
    coordinator = running.login(user_of(Role.COORDINATOR))
    body = coordinator.get("/web/map?kind=seizure").text
    states, _, _ = expected_counts(data, MapFilter(kind="seizure"))
    titles = {m[0]: html.unescape(m[3]) for m in _DRAWN_STATE.findall(body)}
    code, (seizures, _) = max(states.items(), key=lambda item: item[1][0])
    assert titles[code].endswith(f"{seizures} decomisos, 0 recuperaciones"), titles[code]
    assert titles["MX-YUC"] == "Yucatán: 0 decomisos, 0 recuperaciones"
    assert 'id="legend"' in body
    assert "Natural Earth" in body
    assert 'role="img"' in body
    assert "<script" not in body


def test_the_map_in_english(web: tuple[RunningWeb, MapData]) -> None:
    running, _ = web
    liaison = running.login(user_of(Role.LIAISON))
    switch_language(liaison, "en")
    body = liaison.get("/web/map").text
    assert "<h1>Seizure map</h1>" in body
    assert "By border port" in body
    assert re.search(r"<title>Mexico City: \d+ seizures, \d+ recoveries</title>", body)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("kind=arrest", "kind"),
        ("category=gold", "category"),
        ("drug=aspirin", "drug"),
        ("owner=Mexico", "owner"),
        ("since=2025-02-30", "since"),
        ("until=99999-01-01", "until"),
        ("since=2025-05-01&until=2025-04-01", "since"),
        ("drug=%00", "drug"),
    ],
)
def test_a_bad_filter_gets_one_clear_400(
    web: tuple[RunningWeb, MapData], query: str, named: str
) -> None:
    running, _ = web
    analyst = running.login(user_of(Role.ANALYST))
    switch_language(analyst, "en")
    page = analyst.get(f"/web/map?{query}")
    assert page.status_code == 400, page.text
    assert f"The parameter {named} " in html.unescape(page.text)


def test_roles_without_the_map_are_refused(web: tuple[RunningWeb, MapData]) -> None:
    running, _ = web
    for role in (Role.AUDITOR, Role.ADMINISTRATOR):
        client = running.login(user_of(role))
        assert client.get("/web/map").status_code == 403
    anonymous: httpx.Client = running.client()
    assert anonymous.get("/web/map").status_code in (302, 303)

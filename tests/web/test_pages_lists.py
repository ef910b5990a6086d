"""The matching, exchange and audit pages' lists through a real server, on SQLite and
PostgreSQL: sortable headers and pages, CSV downloads read back (formula-looking cells
neutralised), the audit log's filters and translated action names, the chain checked on
request, bad parameters refused clearly, exports only for the roles that see the page.

And: every action the code writes to the audit log has a name in both languages.
"""

from __future__ import annotations

import ast
import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import enlace
from enlace.model.roles import Role
from enlace.store.repositories.matches import Match
from enlace.store.store import Store
from enlace.web.i18n import catalog
from enlace.web.pages import audit as audit_page
from enlace.web.pages.audit import ACTION_NAMES
from enlace.web.queries.describe import titles_of
from support.pages import mx_node
from support.web import RunningWeb, serving, session_csrf, switch_language, user_of

pytestmark = pytest.mark.e2e

FOUND = "2025-09-{:02d}T10:00:00.000000Z"
FORMULA = '=HYPERLINK("http://evil.invalid","x")'


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[tuple[RunningWeb, dict[str, str]]]:
    ids = mx_node(store)
    found = [
        Match("US", "phone", ids["own"], f"h{n:03d}", "run-a", FOUND.format(1 + n % 20))
        for n in range(60)
    ]
    found.append(Match("US", "vin", ids["tampered"], FORMULA[:32], "run-b", FOUND.format(28)))
    with store.unit_of_work() as uow:
        uow.matches.add_matches(found)
        uow.audit.append(actor="=cmd|'/C calc'!A0", action="record-read", subject=ids["own"])
        uow.audit.append(actor="ana", action="release", subject="@SUM(1)")
        uow.commit()
    with serving(store, tmp_path / "mx") as running:
        yield running, ids


def csv_of(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[-500:]
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(answer.content[3:].decode("utf-8"), newline="")))


def refused(answer: httpx.Response, name: str) -> None:
    assert answer.status_code == 400, f"{answer.request.url}: {answer.status_code}"
    assert f"El parámetro {name} " in html.unescape(answer.text)


def rows_of(page: str, table: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], flags=re.S)


# --- matching --------------------------------------------------------------------------------


def test_the_matches_list_pages_sorts_and_filters(web: tuple[RunningWeb, dict[str, str]]) -> None:
    running, _ = web
    client = running.login(user_of(Role.ANALYST))
    first = client.get("/web/matching")
    assert first.status_code == 200
    text = html.unescape(first.text)
    assert "Página 1 de 2" in text
    assert 'aria-sort="descending"' in first.text  # by when found, newest first
    assert len(rows_of(first.text, "matches-list")) == 50
    assert 'name="page"' in first.text  # the "go to page" form
    second = client.get("/web/matching", params={"page": "2"})
    assert len(rows_of(second.text, "matches-list")) == 11
    by_kind = client.get("/web/matching", params={"sort": "kind", "dir": "desc"})
    assert "NIV" in rows_of(by_kind.text, "matches-list")[0]
    only_b = client.get("/web/matching", params={"run": "run-b"})
    assert len(rows_of(only_b.text, "matches-list")) == 1
    assert "Página 1 de 1" in html.unescape(only_b.text)
    # The links of the page keep the filter.
    assert "/web/matching/export?run=run-b&amp;sort=found&amp;dir=desc" in only_b.text
    none = client.get("/web/matching", params={"partner": "CA", "kind": "vin"})
    assert rows_of(none.text, "matches-list")[0].count("empty") == 1


def test_the_matches_export_is_the_filtered_sorted_list_with_safe_cells(
    web: tuple[RunningWeb, dict[str, str]],
) -> None:
    running, ids = web
    client = running.login(user_of(Role.LIAISON))
    rows = csv_of(client.get("/web/matching/export", params={"sort": "found", "dir": "asc"}))
    assert rows[0][:3] == ["Encontrado", "Contraparte", "Identificador"]
    body = rows[1:]
    assert len(body) == 61
    assert [r[0] for r in body] == sorted(r[0] for r in body)
    assert body[-1][6] == "'" + FORMULA[:32]  # neutralised: a spreadsheet shows it as text
    with running.store.unit_of_work() as uow:
        title = titles_of(uow.connection, [ids["own"]])[ids["own"]]
    # A phone number's title starts with "+": text to a spreadsheet too (OWASP's rule).
    assert title.startswith("+")
    assert body[0][3:5] == [ids["own"], "'" + title]
    only = csv_of(client.get("/web/matching/export", params={"kind": "vin"}))
    assert len(only) == 2


# --- records --------------------------------------------------------------------------------


def test_the_records_export_is_the_search_as_filtered_with_safe_cells(
    web: tuple[RunningWeb, dict[str, str]],
) -> None:
    running, ids = web
    client = running.login(user_of(Role.ANALYST))
    page = client.get("/web/records", params={"owner": "US"})
    assert "/web/records/export?owner=US" in page.text  # the page links its export
    rows = csv_of(client.get("/web/records/export", params={"owner": "US", "sort": "kind"}))
    assert rows[0][:4] == ["Id", "Tipo", "Título", "Propietario"]
    body = rows[1:]
    assert {r[0] for r in body} == {ids["received"], ids["tampered"]}  # US's only
    assert [r[1] for r in body] == sorted(r[1] for r in body)  # the list's order
    assert all(r[4] == "US" for r in body)  # received from US
    # A phone number's title starts with "+": written as text for a spreadsheet.
    phone_row = next(r for r in body if r[0] == ids["received"])
    assert phone_row[2].startswith("'+")
    everything = csv_of(client.get("/web/records/export"))
    assert len(everything) - 1 == 5  # newest versions only: the phone's older one is not
    refused(client.get("/web/records/export", params={"owner": "USA"}), "owner")
    auditor = running.login(user_of(Role.AUDITOR))
    assert auditor.get("/web/records/export").status_code == 403


def test_bad_list_parameters_are_refused_by_name(
    web: tuple[RunningWeb, dict[str, str]],
) -> None:
    running, _ = web
    analyst = running.login(user_of(Role.ANALYST))
    refused(analyst.get("/web/matching", params={"sort": "stix"}), "sort")
    refused(analyst.get("/web/matching", params={"dir": "sideways"}), "dir")
    refused(analyst.get("/web/matching", params={"kind": "dna"}), "kind")
    refused(analyst.get("/web/matching", params={"partner": "USA"}), "partner")
    refused(analyst.get("/web/matching/export", params={"sort": "x"}), "sort")
    assert analyst.get("/web/matching", params={"page": "999"}).status_code == 200
    auditor = running.login(user_of(Role.AUDITOR))
    refused(auditor.get("/web/audit", params={"from": "2025-13-01"}), "from")
    refused(
        auditor.get("/web/audit", params={"from": "2025-03-02", "until": "2025-03-01"}), "until"
    )
    refused(auditor.get("/web/audit", params={"actor": "x" * 65}), "actor")
    refused(auditor.get("/web/audit", params={"sort": "actor"}), "sort")
    refused(auditor.get("/web/audit/export", params={"subject": "a\x00b"}), "subject")
    liaison = running.login(user_of(Role.LIAISON))
    refused(liaison.get("/web/exchange", params={"list": "secrets"}), "list")
    refused(liaison.get("/web/exchange", params={"list": "refusals", "sort": "kind"}), "sort")
    refused(liaison.get("/web/exchange/export"), "list")


def test_exports_are_only_for_the_roles_that_see_the_page(
    web: tuple[RunningWeb, dict[str, str]],
) -> None:
    running, _ = web
    auditor = running.login(user_of(Role.AUDITOR))
    coordinator = running.login(user_of(Role.COORDINATOR))
    analyst = running.login(user_of(Role.ANALYST))
    assert auditor.get("/web/matching/export").status_code == 403
    assert coordinator.get("/web/exchange/export", params={"list": "released"}).status_code == 403
    assert analyst.get("/web/audit/export").status_code == 403
    assert running.client().get("/web/audit/export").status_code == 303  # to the login page


# --- exchange --------------------------------------------------------------------------------


def test_the_exchange_lists_sort_page_and_export(web: tuple[RunningWeb, dict[str, str]]) -> None:
    running, _ = web
    client = running.login(user_of(Role.LIAISON))
    page = client.get("/web/exchange", params={"list": "received", "sort": "kind", "dir": "asc"})
    assert page.status_code == 200
    received = page.text.split('id="received"', 1)[1]
    assert 'aria-sort="ascending"' in received.split("</thead>", 1)[0]
    assert "/web/exchange/export?list=received&amp;sort=kind&amp;dir=asc" in page.text
    rows = csv_of(
        client.get(
            "/web/exchange/export", params={"list": "received", "sort": "kind", "dir": "asc"}
        )
    )
    assert [r[2] for r in rows[1:]] == ["phone", "vehicle"]
    refusals = csv_of(client.get("/web/exchange/export", params={"list": "refusals"}))
    assert len(refusals) == 2
    assert refusals[1][3] == "US"
    released = csv_of(client.get("/web/exchange/export", params={"list": "released"}))
    assert len(released) == 1  # the header: nothing released yet


# --- audit -----------------------------------------------------------------------------------


def test_the_audit_page_filters_and_names_actions_in_either_language(
    web: tuple[RunningWeb, dict[str, str]],
) -> None:
    running, ids = web
    client = running.login(user_of(Role.AUDITOR))
    page = client.get("/web/audit", params={"action": "record-read"})
    text = html.unescape(page.text)
    assert "Registro consultado" in text
    with running.store.unit_of_work() as uow:
        title = titles_of(uow.connection, [ids["own"]])[ids["own"]]
    assert title in text  # the record's title next to its id
    assert len(rows_of(page.text, "audit-entries")) == 1
    logins = client.get("/web/audit", params={"actor": user_of(Role.AUDITOR), "action": "login"})
    assert "Inicio de sesión" in html.unescape(logins.text)
    assert len(rows_of(logins.text, "audit-entries")) == 1
    about = client.get("/web/audit", params={"subject": ids["own"], "until": "2999-12-31"})
    assert len(rows_of(about.text, "audit-entries")) == 1
    past = client.get("/web/audit", params={"until": "2001-01-01"})
    assert "Ninguna entrada coincide." in html.unescape(past.text)
    switch_language(client, "en", "/web/audit")
    english = html.unescape(client.get("/web/audit", params={"action": "record-read"}).text)
    assert "Record read" in english
    assert "Registro consultado" not in english


def test_the_audit_export_holds_the_filtered_entries_with_safe_cells(
    web: tuple[RunningWeb, dict[str, str]],
) -> None:
    running, ids = web
    client = running.login(user_of(Role.ADMINISTRATOR))
    rows = csv_of(client.get("/web/audit/export", params={"sort": "seq", "dir": "asc"}))
    seqs = [int(r[0]) for r in rows[1:]]
    assert seqs == sorted(seqs)
    by_action = {r[3]: r for r in rows[1:]}
    assert by_action["record-read"][2] == "'=cmd|'/C calc'!A0"
    assert by_action["record-read"][4] == "Registro consultado"
    assert by_action["record-read"][5] == ids["own"]
    assert by_action["release"][5] == "'@SUM(1)"
    one = csv_of(client.get("/web/audit/export", params={"actor": "ana"}))
    assert [r[2] for r in one[1:]] == ["ana"]


def test_the_chain_is_checked_when_asked_not_on_every_view(
    web: tuple[RunningWeb, dict[str, str]],
) -> None:
    running, _ = web
    client = running.login(user_of(Role.AUDITOR))
    page = client.get("/web/audit")
    assert "Cadena íntegra" not in page.text
    token = session_csrf(client, "/web/audit")
    checked = client.post("/web/audit/verify", data={"csrf_token": token})
    assert checked.status_code == 200
    assert "Cadena íntegra" in checked.text
    assert "Verificada el" in html.unescape(checked.text)
    assert client.post("/web/audit/verify", data={"csrf_token": "forged"}).status_code == 403


def test_a_long_chain_is_checked_in_steps_each_continuing_from_the_last(
    web: tuple[RunningWeb, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, _ = web
    with running.store.unit_of_work() as uow:
        total = uow.audit.count()
    monkeypatch.setattr(audit_page, "VERIFY_STEP", 2)  # the server runs in this process
    client = running.login(user_of(Role.AUDITOR))
    token = session_csrf(client, "/web/audit")
    start, seen = "", []
    for _ in range(total + 10):  # signing in may add entries while the steps run
        page = client.post("/web/audit/verify", data={"csrf_token": token, "start": start})
        assert page.status_code == 200
        text = html.unescape(page.text)
        step = re.search(r"Entradas ([0-9.]+) a ([0-9.]+) íntegras", text)
        assert step is not None, text[-2000:]
        seen.append((int(step[1].replace(".", "")), int(step[2].replace(".", ""))))
        following = re.search(r'name="start" value="([0-9]+)"', text)
        if following is None:
            assert "aún sin verificar" not in text
            break
        assert "entradas posteriores aún sin verificar" in text
        start = following[1]
    # Every entry checked once, in order, in steps of 2, to the newest.
    assert [first for first, _ in seen] == list(range(1, 2 * len(seen), 2))
    assert all(last == first + 1 for first, last in seen[:-1])
    assert seen[-1][1] >= total
    refused = client.post("/web/audit/verify", data={"csrf_token": token, "start": "tres"})
    assert refused.status_code == 400
    assert "start" in refused.text


# --- every action written has a name -------------------------------------------------------

# Actions written from an f-string, with every value it takes.
_FORMATTED = {"partner-{outcome}": {"partner-added", "partner-updated"}}
_ACTION_CONSTANTS = {"ACTION", "AUDIT_ACTION"}


def written_actions() -> set[str]:
    """Every action the code appends to the log: `action="..."`, `AuditItem(actor, "...")`,
    a helper's `audit(actor, "...", ...)`, `audit=(actor, "...", subject)`, and the module
    constants naming one."""
    found: set[str] = set()
    for path in Path(enlace.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "action":
                found |= _values(node.value)
            elif isinstance(node, ast.keyword) and node.arg == "audit":
                if isinstance(node.value, ast.Tuple) and len(node.value.elts) > 1:
                    found |= _values(node.value.elts[1])
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in ("AuditItem", "audit") and len(node.args) > 1:
                    found |= _values(node.args[1])
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in _ACTION_CONSTANTS for t in node.targets
            ):
                found |= _values(node.value)
    return found


def _values(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.JoinedStr):
        shape = "".join(
            str(part.value)
            if isinstance(part, ast.Constant)
            else "{" + ast.unparse(part.value) + "}"  # type: ignore[attr-defined]
            for part in node.values
        )
        assert shape in _FORMATTED, f"an action written from {shape!r}: list its values"
        return _FORMATTED[shape]
    return set()


def test_every_action_written_to_the_log_has_a_name_in_both_languages() -> None:
    written = written_actions()
    assert {"login", "release", "refused-requests", "partner-added", "collection-denied"} <= written
    assert len(written) > 50
    missing = sorted(written - set(ACTION_NAMES))
    assert missing == [], f"actions the audit page would show bare: {missing}"
    spanish = catalog("es")
    untranslated = [a for a in sorted(written) if not spanish.get(ACTION_NAMES[a])]
    assert untranslated == []
    assert all(ACTION_NAMES[a] != a for a in written)  # an English name, not the bare code

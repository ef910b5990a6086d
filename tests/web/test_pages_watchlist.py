"""The watchlist page (lista de vigilancia) of an analyst, on SQLite and PostgreSQL: adding
identifiers, bad input refused in the reader's language with nothing changed, checking with a
real partner node on loopback, the one alert it raises, and nobody else seeing it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from enlace.matching.watchlists import watchlist_alerts, watchlist_entries
from enlace.model.records import Firearm, derived_id
from enlace.model.roles import Role
from enlace.partners.credentials import write_outbound_token
from support.exchange import CREATED, TO_US
from support.matching import agree, load, requester_token, served_nodes
from support.web import session_csrf, switch_language, user_of

pytestmark = pytest.mark.e2e

ANALYST = user_of(Role.ANALYST)


def stolen_firearm() -> Firearm:
    return Firearm.from_values(
        id=derived_id("enlace-firearm", "watchlist-page", "colt"),
        owner="US",
        markings=TO_US,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"make": "Colt", "serial": "AB-12345"},
    )


def test_an_analyst_watches_checks_and_sees_one_alert_in_either_language(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    from support.web import serving

    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(us, [stolen_firearm()])
        agree(us, "MX", kinds=("firearm", "phone"))
        with serving(mx.store, tmp_path / "mx") as web:
            write_outbound_token(tmp_path / "mx" / "keys", "US", requester_token("MX", "US"))
            analyst = web.login(ANALYST)
            switch_language(analyst, "es")
            page = analyst.get("/web/watchlist")
            assert page.status_code == 200
            assert "Lista de vigilancia" in page.text
            assert "Aún no vigila ningún identificador." in page.text
            token = session_csrf(analyst, "/web/watchlist")
            for kind, identifier in (("firearm", "COLT|AB12345"), ("phone", "+52 55 4444 1111")):
                added = analyst.post(
                    "/web/watchlist",
                    data={"csrf_token": token, "kind": kind, "identifier": identifier},
                )
                assert added.status_code == 303
                assert added.headers["location"] == "/web/watchlist?added=new"
            # Bad input: one clear message in the reader's language, nothing added.
            bad = analyst.post(
                "/web/watchlist",
                data={"csrf_token": token, "kind": "vin", "identifier": "1HGCM8263"},
            )
            assert bad.status_code == 400
            assert "No se agregó: not added to the watchlist: invalid VIN" in bad.text
            unknown = analyst.post(
                "/web/watchlist", data={"csrf_token": token, "kind": "gun", "identifier": "x"}
            )
            assert unknown.status_code == 400
            assert "gun" in unknown.text
            assert len(watchlist_entries(mx.store, owner=ANALYST)) == 2
            # Check now: the US holds the firearm, not the phone.
            checked = analyst.post("/web/watchlist/check", data={"csrf_token": token})
            assert checked.status_code == 303
            assert checked.headers["location"] == "/web/watchlist?checked=1&missed=0"
            page = analyst.get(checked.headers["location"])
            assert "Verificado con las contrapartes: 1 alerta(s) nueva(s)." in page.text
            assert "COLT|AB12345" in page.text
            again = analyst.post("/web/watchlist/check", data={"csrf_token": token})
            assert again.headers["location"] == "/web/watchlist?checked=0&missed=0"
            (alert,) = watchlist_alerts(mx.store, owner=ANALYST)
            assert alert.partner == "US"
            switch_language(analyst, "en")
            page = analyst.get("/web/watchlist")
            assert "Alerts" in page.text
            assert "Firearm (make and serial)" in page.text
            assert alert.handles[0] in page.text
            # Another analyst sees their own (empty) list; a liaison officer has no page.
            web.add("otra", Role.ANALYST)
            other = web.login("otra")
            switch_language(other, "en")
            theirs = other.get("/web/watchlist").text
            assert "COLT|AB12345" not in theirs
            assert "You watch no identifier yet." in theirs
            liaison = web.login(user_of(Role.LIAISON))
            assert liaison.get("/web/watchlist").status_code == 403
            refused = liaison.post(
                "/web/watchlist/check", data={"csrf_token": session_csrf(liaison, "/web/")}
            )
            assert refused.status_code == 403
        assert len(watchlist_alerts(mx.store, owner=None)) == 1


def test_an_analyst_removes_an_entry_of_their_own_list_only(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    from enlace.store.store import Store
    from support.web import serving

    store = Store.open(new_store_url())
    try:
        with serving(store, tmp_path / "mx") as web:
            web.add("otra", Role.ANALYST)
            analyst, other = web.login(ANALYST), web.login("otra")
            switch_language(analyst, "es")
            switch_language(other, "en")
            token = session_csrf(analyst, "/web/watchlist")
            added = analyst.post(
                "/web/watchlist",
                data={"csrf_token": token, "kind": "phone", "identifier": "+52 55 4444 1111"},
            )
            assert added.status_code == 303
            (entry,) = watchlist_entries(store, owner=ANALYST)
            page = analyst.get("/web/watchlist").text
            assert 'action="/web/watchlist/remove"' in page
            assert f'name="entry" value="{entry.id}"' in page
            # Another analyst cannot take it off (it is not on their list): nothing changes.
            theirs = session_csrf(other, "/web/watchlist")
            refused = other.post(
                "/web/watchlist/remove", data={"csrf_token": theirs, "entry": str(entry.id)}
            )
            assert refused.status_code == 404
            assert "That entry is not on your watchlist; nothing was removed." in refused.text
            for bad in ("", "x", "0", "1" * 12):
                answer = analyst.post(
                    "/web/watchlist/remove", data={"csrf_token": token, "entry": bad}
                )
                assert answer.status_code == 400, bad
            no_token = analyst.post("/web/watchlist/remove", data={"entry": str(entry.id)})
            assert no_token.status_code == 403
            assert watchlist_entries(store, owner=ANALYST) == [entry]
            removed = analyst.post(
                "/web/watchlist/remove", data={"csrf_token": token, "entry": str(entry.id)}
            )
            assert removed.status_code == 303
            assert removed.headers["location"] == "/web/watchlist?removed=1"
            page = analyst.get(removed.headers["location"]).text
            assert "Retirado de su lista de vigilancia" in page
            assert "Aún no vigila ningún identificador." in page
            assert watchlist_entries(store, owner=ANALYST) == []
            auditor = web.login(user_of(Role.AUDITOR))
            switch_language(auditor, "es")
            audit = auditor.get("/web/audit").text
            assert "Identificador retirado de una lista de vigilancia" in audit
    finally:
        store.close()

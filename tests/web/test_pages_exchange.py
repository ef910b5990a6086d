"""The exchange page and the record page after a sync through a hostile channel (issue 12):
what a partner released and this node does not hold, the refusals of a page counted and shown
by reason, and a received record its owner revoked — in Spanish and in English.

MX's node (support.pages: its records, and a refusal entry of one object as stores older than
exchange protocol 2 hold them) syncs in process from US through a channel that drops one
object and forges the signature of another; its web pages are then served on loopback and read
with httpx as a browser would.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from enlace.exchange.revocation import revoke_owned_record
from enlace.model.roles import Role
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.web.i18n import Formatter
from enlace.web.queries.exchange import exchange_view
from support.pages import mx_node
from support.parties import Node, lossy_channel, pull, register_all, released
from support.web import RunningWeb, serving, switch_language, user_of

pytestmark = pytest.mark.e2e

OLD_REFUSAL_SUBJECT = "enlace-phone-number--00000000-0000-4000-8000-000000000000"


@dataclass(slots=True)
class Exchanged:
    web: RunningWeb
    harmed: dict[str, str]  # "dropped", "forged": ids the channel harmed
    revoked: str  # a record US revoked after MX received it
    sequence: int
    highest: int


@pytest.fixture
def exchanged(tmp_path: Path) -> Iterator[Exchanged]:
    mx_store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    us_store = Store.open(sqlite_url(str(tmp_path / "us.sqlite")))
    try:
        mx_node(mx_store)
        mx, us = Node("MX", mx_store), Node("US", us_store)
        register_all([mx, us])
        first = released(us, "MX", *(f"+1 202 555 {n:04d}" for n in range(3)))
        assert pull(mx, us).received == 3
        revoke_owned_record(
            us_store, record_id=first[0], signing_key=us.key, actor="test", reason="erroneous"
        )
        released(us, "MX", *(f"+1 202 555 {n:04d}" for n in range(10, 15)))
        tamper, harmed = lossy_channel()
        report = pull(mx, us, tamper=tamper)
        assert report.revoked == 1
        assert report.not_held == {"bad-signature": 1, "missing": 1}
        with mx_store.unit_of_work() as uow:
            cursor = uow.cursors.get("US")
        assert cursor is not None
        with serving(mx_store, tmp_path / "mx") as web:
            yield Exchanged(web, harmed, first[0], cursor.sequence, cursor.highest)
    finally:
        mx_store.close()
        us_store.close()


def read(client: httpx.Client, path: str, lang: str) -> str:
    """The page at `path` in `lang`, as text (entities unescaped)."""
    switched = switch_language(client, lang, path)
    assert switched.status_code == 303
    page = client.get(path)
    assert page.status_code == 200, page.text
    return html.unescape(page.text)


def section(page: str, ident: str) -> str:
    """The element of `page` with id `ident`, up to its closing tag (none nests in itself)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{ident}".*?</\1>', page, flags=re.DOTALL)
    assert found is not None, f"no #{ident} on the page"
    return found.group(0)


def test_the_read_model_counts_refused_objects_from_both_kinds_of_entry(
    exchanged: Exchanged,
) -> None:
    view = exchange_view(exchanged.web.store)
    (us,) = view.partners
    assert us.refused == 2  # the page's entry (1 object), and one old entry of one object
    assert (us.sequence, us.highest) == (exchanged.sequence, exchanged.highest)
    assert us.not_held == (("bad-signature", 1), ("missing", 1))
    page_entry = next(r for r in view.refusals if r.action == "refusal" and r.aggregated)
    assert page_entry.refused == 1
    assert [(i.reason, i.count, i.ids) for i in page_entry.items] == [
        ("bad-signature", 1, (exchanged.harmed["forged"],))
    ]
    old_entry = next(r for r in view.refusals if r.action == "refusal" and not r.aggregated)
    assert (old_entry.reason, old_entry.refused) == ("bad-signature", 1)
    gap_entry = next(r for r in view.refusals if r.action == "sequence-gap")
    assert gap_entry.refused == 2
    assert {g.subject for g in view.gaps} == set(exchanged.harmed.values())
    assert [m.record_id for m in view.received if m.revoked] == [exchanged.revoked]


def test_the_exchange_page_shows_what_is_not_held_and_the_refusals_by_reason(
    exchanged: Exchanged,
) -> None:
    liaison = exchanged.web.login(user_of(Role.LIAISON))
    dropped, forged = exchanged.harmed["dropped"], exchanged.harmed["forged"]
    where = (exchanged.sequence, exchanged.highest)

    es = read(liaison, "/web/exchange", "es")
    warning = section(es, "not-held")
    assert "Elementos que US liberó a este nodo y que faltan: 2" in warning
    assert "faltante: listado en el manifiesto firmado de la contraparte" in warning
    assert "firma inválida: contenido alterado u otra llave" in warning
    assert "Se vuelven a pedir en cada sincronización" in warning
    assert "sequence-gap" in warning
    partners = section(es, "partners")
    assert "verificada hasta {} de {}".format(*where) in partners
    assert '<span class="bad">2</span>' in partners  # refused on arrival, both kinds of entry
    assert re.search(r'class="overdue" title="[^"]*faltante[^"]*">2</span>', partners)
    gaps = section(es, "gaps")
    assert dropped in gaps
    assert forged in gaps
    refusals = section(es, "refusals")
    assert "Rechazado al llegar" in refusals
    assert "objetos rechazados en una página: 1" in refusals
    assert "× 1" in refusals
    assert "primeros:" in refusals
    assert forged in refusals
    assert "Faltantes en la secuencia" in refusals
    assert "números faltantes: 2" in refusals
    assert OLD_REFUSAL_SUBJECT in refusals  # an entry of one object, as older stores hold
    assert "changed content" in refusals
    assert "revocado" in section(es, "received")

    en = read(liaison, "/web/exchange", "en")
    warning = section(en, "not-held")
    assert "Items US released to this node that are not held: 2" in warning
    assert "missing: listed in the partner's signed manifest, dropped on the way" in warning
    assert "bad signature: changed content or another key" in warning
    assert "They are asked for again at each sync" in warning
    assert "verified up to {} of {}".format(*where) in section(en, "partners")
    refusals = section(en, "refusals")
    assert "Refused on arrival" in refusals
    assert "objects refused on one page: 1" in refusals
    assert "first:" in refusals
    assert "Not held: gap in the sequence" in refusals
    assert "numbers not held: 2" in refusals
    assert "revoked" in section(en, "received")


def test_a_record_its_owner_revoked_shows_as_revoked_with_the_reason_and_time(
    exchanged: Exchanged,
) -> None:
    analyst = exchanged.web.login(user_of(Role.ANALYST))
    with exchanged.web.store.unit_of_work() as uow:
        revocation = uow.revocations.get(exchanged.revoked)
    assert revocation is not None
    path = f"/web/records/{exchanged.revoked}"

    es = read(analyst, path, "es")
    banner = section(es, "revoked")
    assert "Revocado" in banner
    assert f"por su propietario US el {Formatter('es').timestamp(revocation.revoked_at)}" in banner
    assert "motivo: erróneo" in banner
    assert (
        f"Su revocación firmada llegó de US el {Formatter('es').timestamp(revocation.received_at)}"
        in banner
    )
    assert "revocado" in section(es, "markings")

    en = read(analyst, path, "en")
    banner = section(en, "revoked")
    assert f"by its owner US on {Formatter('en').timestamp(revocation.revoked_at)}" in banner
    assert "reason: erroneous" in banner
    assert "Its signed revocation came from US on" in banner
    listed = read(analyst, "/web/records?origin=received", "en")
    row = next(line for line in listed.splitlines() if exchanged.revoked in line)
    assert "revoked" in row

"""A long sync checks its pages in worker processes, with the same outcome as checking here."""

from __future__ import annotations

import copy
import os
from typing import Any

import httpx
import orjson
import psutil
import pytest
from sqlalchemy import select

from enlace.exchange import checking
from enlace.exchange.checking import Context, PageChecker, check_objects
from enlace.exchange.signing import sign_record
from enlace.exchange.statements import PROTOCOL
from enlace.exchange.sync_client import sync_partner
from enlace.exchange.taxii.app import TAXII_MEDIA_TYPE, collection_id
from enlace.store.store import Store
from enlace.store.tables import records
from support.exchange import (
    CA_KEY,
    MX_KEY,
    MX_URL,
    MX_VERIFY_HEX,
    US_TOKEN,
    audit_actions,
    manifested,
    phone,
    us_node,
)

pytestmark = pytest.mark.e2e


def _pages() -> list[tuple[list[Any], dict[str, str]]]:
    """Two pages from MX: 260 good phones with five bad objects among them, then 3 more."""
    first = [phone(f"+52 55 72{n:02d} {n:04d}").to_stix() for n in range(40)]
    first += [phone(f"+52 33 3{n:03d} {n:04d}").to_stix() for n in range(220)]
    second = [phone(f"+52 81 80{n:02d} 0000").to_stix() for n in range(3)]
    signatures = {f"{o['id']}|{o['modified']}": sign_record(o, MX_KEY) for o in first + second}
    changed = copy.deepcopy(first[10])
    changed["number"] = "+525572999999"  # changed after signing
    first[10] = changed
    del signatures[f"{first[20]['id']}|{first[20]['modified']}"]  # unsigned
    signatures[f"{first[30]['id']}|{first[30]['modified']}"] = sign_record(first[30], CA_KEY)
    malformed = copy.deepcopy(first[40])
    del malformed["number"]
    signatures[f"{malformed['id']}|{malformed['modified']}"] = sign_record(malformed, MX_KEY)
    first[40] = malformed
    first.append(42)  # type: ignore[arg-type]  # not an object at all
    return [(first, signatures), (second, signatures)]


def _two_page_partner(pages: list[tuple[list[Any], dict[str, str]]]) -> httpx.Client:
    collection = collection_id("MX", "US")

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        headers = {"content-type": TAXII_MEDIA_TYPE}
        if path == "/taxii2/":
            return httpx.Response(200, json={"default": f"{MX_URL}/enlace/"}, headers=headers)
        if path == "/enlace/":
            root = {"versions": [TAXII_MEDIA_TYPE], "x_enlace_protocol": PROTOCOL}
            return httpx.Response(200, json=root, headers=headers)
        if path == "/enlace/collections/":
            body: dict[str, object] = {"collections": [{"id": collection, "can_read": True}]}
            return httpx.Response(200, json=body, headers=headers)
        if path == f"/enlace/collections/{collection}/objects/":
            second = request.url.params.get("next") == str(len(pages[0][0]))
            objects, signatures = pages[1 if second else 0]
            body = {"objects": objects, "x_enlace_signatures": signatures}
            if not second:
                body |= {"more": True}
            total = len(pages[0][0]) + len(pages[1][0])
            body = manifested(body, request, highest=total)
            return httpx.Response(200, json=body, headers=headers)
        return httpx.Response(404, json={"title": "Not found"})

    return httpx.Client(transport=httpx.MockTransport(answer))


@pytest.fixture
def worker_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker counts each sync started (observed, not replaced)."""
    started: list[int] = []
    original = PageChecker.use_workers

    def observed(self: PageChecker) -> int:
        count = original(self)
        started.append(count)
        return count

    monkeypatch.setattr(PageChecker, "use_workers", observed)
    return started


def _outcome(store: Store) -> tuple[list[Any], set[tuple[str | None, str]]]:
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(
            select(records.c.id, records.c.modified, records.c.content_digest, records.c.stix)
            .where(records.c.received_from == "MX")
            .order_by(records.c.id)
        ).all()
    refusals = {
        (subject, reason)
        for action, _, detail in audit_actions(store)
        if action == "refusal"
        for reason, subjects in detail["ids"].items()
        for subject in subjects
    }
    return [tuple(row) for row in rows], refusals


def test_pages_checked_by_workers_store_and_refuse_exactly_what_checking_here_does(
    new_store_url: Any, worker_counts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = _pages()
    pooled, here = Store.open(new_store_url()), Store.open(new_store_url())
    try:
        us_node(pooled)
        us_node(here)
        with _two_page_partner(pages) as client:
            report = sync_partner(pooled, partner="MX", token=US_TOKEN, client=client)
        cpus = len(os.sched_getaffinity(0))
        assert worker_counts == [min(cpus, checking.MAX_WORKERS) if cpus >= 2 else 0]

        monkeypatch.setattr("enlace.exchange.sync_client._WORKERS_FROM_PAGE_SIZE", 10**9)
        with _two_page_partner(pages) as client:
            report_here = sync_partner(here, partner="MX", token=US_TOKEN, client=client)
        assert len(worker_counts) == 1  # the second sync checked everything here

        assert report.pages == report_here.pages == 2
        assert report.received == report_here.received == 263 - 4
        assert dict(report.refused) == dict(report_here.refused)
        assert dict(report.refused) == {"bad-signature": 2, "missing-signature": 1, "malformed": 2}
        assert _outcome(pooled) == _outcome(here)
    finally:
        pooled.close()
        here.close()


def test_a_page_whose_worker_died_is_checked_here_with_the_same_outcome() -> None:
    objects, signatures = _pages()[0]
    body = orjson.dumps({"objects": objects, "x_enlace_signatures": signatures})
    context = Context(sender="MX", receiver="US", keys={"MX": MX_VERIFY_HEX})
    expected = check_objects(objects, signatures, context)
    with PageChecker(context) as checker:
        if not checker.use_workers():
            pytest.skip("one CPU: no worker processes to lose")
        assert checker.submit(body, objects, signatures, None).result() == expected
        pending = checker.submit(body, objects, signatures, None)
        for child in psutil.Process().children():
            if "spawn_main" in " ".join(child.cmdline()):  # the workers, not the tracker
                child.kill()
        assert pending.result() == expected  # the pool broke under it
        assert checker.submit(body, objects, signatures, None).result() == expected  # broken

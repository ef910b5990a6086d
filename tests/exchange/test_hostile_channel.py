"""A hostile channel between two real nodes (issue 12, items 1, 2, 4, 5, 6, 7 and 8).

MX is a real `enlace serve` process; US reaches it only through a tampering reverse proxy
of our own (support.proxy), registered at US as MX's URL, and syncs with the real command
line (`enlace sync MX` in a subprocess). The proxy trickles a page, serves one page again
and again, floods one, or points the discovery elsewhere: each stops the sync with one line
and a non-zero exit, no traceback, and what was stored before stays stored. After a real
sync through it, the received records stay MX's: `enlace import` cannot take one over and
`enlace export` leaves them out. Last, a third node syncs two partners on its schedule, one
trickling for ever: the other's records arrive meanwhile, and the failure is the stuck one's.
"""

from __future__ import annotations

import contextlib
import csv
import re
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import trustme

from enlace.exchange import sync_client
from enlace.exchange.sync_client import SyncError, SyncReport
from enlace.exchange.sync_schedule import PeriodicSync
from enlace.model.markings import Markings
from enlace.node.setup import initialise_node, open_node
from enlace.partners.credentials import read_outbound_token
from support import timing
from support.exchange import TO_MX, TO_US, phone
from support.nodes import add_phones, cli, counts, enlace, free_port, serving
from support.proxy import (
    RecordingListener,
    TamperingProxy,
    flood,
    objects_of,
    reorder_objects,
    repeat_page,
    replay,
    rewrite_json,
    set_headers,
    trickle,
)

pytestmark = pytest.mark.e2e

MX_NUMBERS = [f"+52 55 8300 {i:04d}" for i in range(12)]
US_NUMBERS = [f"+1 915 555 {i:04d}" for i in range(3)]
PAGE = 5  # versions per page: the tampered page is never the first


@dataclass(frozen=True, slots=True)
class Channel:
    """MX served, US registering the proxy in front of MX as MX's URL."""

    mx: Path
    us: Path
    proxy: TamperingProxy
    released: int  # versions MX released to US

    def sync(self, **env: str) -> subprocess.CompletedProcess[str]:
        """`enlace sync MX` at US, in a subprocess, with `env` added to its environment."""
        return enlace("sync", "MX", "--node", str(self.us), "--page-size", str(PAGE), env=env)

    def received(self) -> int:
        return counts(self.us, "MX")[0]


def invite(server: Path, puller: str, puller_key: str, token: Path) -> None:
    """`server` registers `puller` (whose URL it never uses here) and writes its invite."""
    cli("partner", "add", "--party", puller, "--url", "http://127.0.0.1:1", "--key", puller_key,
        "--node", str(server))  # fmt: skip
    cli("partner", "invite", "--party", puller, "--token-out", str(token), "--node", str(server))


def register(puller: Path, server: str, url: str, server_key: str, token: Path) -> None:
    cli("partner", "add", "--party", server, "--url", url, "--key", server_key,
        "--outbound-token-file", str(token), "--node", str(puller))  # fmt: skip


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[Channel]:
    mx, us = tmp_path / "mx", tmp_path / "us"
    mx_key = initialise_node(mx, party="MX").public_key
    us_key = initialise_node(us, party="US").public_key
    invite(mx, "US", us_key, tmp_path / "for-us")
    add_phones(mx, MX_NUMBERS, owner="MX", markings=TO_US)
    add_phones(us, US_NUMBERS, owner="US", markings=TO_MX)
    cli("release", "--partner", "US", "--all", "--node", str(mx))
    released = counts(mx, "US")[2]
    assert released > 2 * PAGE  # three pages at least: the first, the tampered, the rest
    with serving(mx, free_port()) as mx_url, TamperingProxy(mx_url) as proxy:
        register(us, "MX", proxy.url, mx_key, tmp_path / "for-us")
        yield Channel(mx, us, proxy, released)
        assert proxy.errors == []


def refused_in_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """The one line a refused command printed: exit 1, no traceback, each of `expected` in it."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def audit_entries(node: Path) -> list[Any]:
    """The node's audit entries, oldest first, its chain checked."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            assert uow.audit.verify().ok
            return list(uow.audit.entries())
    finally:
        store.close()


def resumes_after_the_first_page(channel: Channel) -> None:
    """What came before the tampered page stayed committed, and a sync through the channel
    once it is honest again takes the rest: every version released, once."""
    assert channel.received() == PAGE
    channel.proxy.clear()
    again = channel.sync()
    assert again.returncode == 0, again.stdout + again.stderr
    received, signatures, _ = counts(channel.us, "MX")
    assert received == signatures == channel.released


# --- item 6: a partner or the channel cannot hold the sync hostage --------------------------


def test_a_trickled_page_stops_the_sync_at_its_deadline_in_one_line(channel: Channel) -> None:
    deadline = timing.timeout(3)  # seconds, not the two minutes of a real partner
    rule = channel.proxy.tamper("/objects/", trickle(1, every=0.5), skip=1)
    result = channel.sync(ENLACE_PAGE_DEADLINE_SECONDS=f"{deadline:g}")
    refused_in_one_line(result, "sync from MX failed", "did not arrive whole within")
    assert rule.applied == 1
    trickled = [e for e in channel.proxy.exchanges if e.served.stream is not None]
    timing.wait_until(lambda: channel.proxy.streaming == 0, what="the trickle to be dropped")
    assert len(trickled) == 1
    assert not trickled[0].finished  # the client stopped reading; the page was never whole
    assert trickled[0].sent < len(trickled[0].served.body)
    resumes_after_the_first_page(channel)


def test_the_same_page_served_again_and_again_stops_the_sync_in_one_line(
    channel: Channel,
) -> None:
    channel.proxy.tamper("/objects/", repeat_page())
    result = channel.sync()
    refused_in_one_line(result, "sync from MX failed", "answers another request")
    # Stopped at the first repetition: the page, then the same page once more.
    pages = [e for e in channel.proxy.exchanges if "/objects/" in e.request.path]
    assert len(pages) == 2
    assert pages[0].served.body == pages[1].served.body
    resumes_after_the_first_page(channel)


def test_a_flood_page_stops_the_sync_at_the_size_limit_in_one_line(channel: Channel) -> None:
    limit = 100_000  # bytes, against a page a thousand times larger
    channel.proxy.tamper("/objects/", flood(1000 * limit), skip=1)
    result = channel.sync(ENLACE_MAX_ANSWER_BYTES=str(limit))
    refused_in_one_line(result, "sync from MX failed", "larger than 100,000 bytes")
    timing.wait_until(lambda: channel.proxy.streaming == 0, what="the flood to be dropped")
    (flooded,) = [e for e in channel.proxy.exchanges if e.served.stream is not None]
    assert not flooded.finished
    assert flooded.sent < 1000 * limit  # the client stopped reading long before its end
    resumes_after_the_first_page(channel)


# --- item 7: the registered endpoint is the only endpoint ---------------------------------


def test_a_discovery_naming_another_port_is_refused_audited_and_gets_no_token(
    channel: Channel,
) -> None:
    token = read_outbound_token(channel.us / "keys", "MX")
    with RecordingListener() as elsewhere:
        root = f"{elsewhere.url}/enlace/"

        def elsewhere_root(body: dict[str, Any]) -> dict[str, Any]:
            return {**body, "api_roots": [root], "default": root}

        channel.proxy.tamper(re.compile("/taxii2/"), rewrite_json(elsewhere_root))
        result = channel.sync()
        shown = enlace("audit", "show", "--node", str(channel.us))

    registered = f"http://127.0.0.1:{channel.proxy.port}"
    refused_in_one_line(result, f"not MX's registered endpoint {registered}", "endpoint-refused")
    assert elsewhere.requests == []  # not the token, not anything
    seen = channel.proxy.requests
    assert [s.target for s in seen] == ["/taxii2/"]  # the discovery, nothing after it
    assert all(s.port == channel.proxy.port for s in seen)
    assert seen[0].header("authorization") == f"Bearer {token}"
    assert shown.returncode == 0, shown.stderr
    assert "endpoint-refused" in shown.stdout
    _, store = open_node(channel.us)
    try:
        with store.unit_of_work() as uow:
            assert uow.audit.verify().ok
            (entry,) = uow.audit.latest(1)
    finally:
        store.close()
    assert (entry.action, entry.subject) == ("endpoint-refused", "MX")
    assert entry.detail == {"url": root, "registered": registered}
    assert channel.received() == 0


def test_behind_a_tls_terminating_proxy_an_http_api_root_gets_no_token_in_clear(
    tmp_path: Path,
) -> None:
    """Item 7 as it was found: MX serves plain HTTP behind a proxy that terminates TLS, so
    MX's discovery names the address it was asked at with its own scheme, `http://`. US,
    which registered MX at `https://`, refuses it and sends nothing in clear. Once the proxy
    sends `X-Forwarded-Proto: https`, as docs/exchange.md asks of it, MX's discovery names
    the https address and the same sync takes every record."""
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    mx, us = tmp_path / "mx", tmp_path / "us"
    mx_key = initialise_node(mx, party="MX").public_key
    us_key = initialise_node(us, party="US").public_key
    invite(mx, "US", us_key, tmp_path / "for-us")
    add_phones(mx, MX_NUMBERS, owner="MX", markings=TO_US)
    cli("release", "--partner", "US", "--all", "--node", str(mx))
    released = counts(mx, "US")[2]
    with (
        serving(mx, free_port(), "--trusted-proxy", "127.0.0.1") as mx_url,
        TamperingProxy(mx_url, tls=tls) as proxy,
    ):
        cli("partner", "add", "--party", "MX", "--url", proxy.url, "--key", mx_key,
            "--outbound-token-file", str(tmp_path / "for-us"), "--tls-ca",
            str(tmp_path / "ca.pem"), "--node", str(us))  # fmt: skip
        refused = enlace("sync", "MX", "--node", str(us))
        seen = [s.target for s in proxy.requests]
        plain_after_sync = proxy.plain_requests
        # The instrument works: a plain request to the TLS port is counted.
        with (
            httpx.Client(trust_env=False, timeout=timing.timeout(10)) as plain,
            contextlib.suppress(httpx.HTTPError),
        ):
            plain.get(f"http://127.0.0.1:{proxy.port}/taxii2/")
        timing.wait_until(
            lambda: proxy.plain_requests == plain_after_sync + 1,
            what="the plain request to be counted",
        )
        # The proxy configured as docs/exchange.md says: it tells MX the scheme it was
        # asked in, and MX (told to trust it: --trusted-proxy) names its https address.
        proxy.forward_headers = [("x-forwarded-proto", "https")]
        honest = enlace("sync", "MX", "--node", str(us))

    line = refused_in_one_line(
        refused, f"not MX's registered endpoint https://127.0.0.1:{proxy.port}", "endpoint-refused"
    )
    assert f"http://127.0.0.1:{proxy.port}/enlace/" in line
    assert seen == ["/taxii2/"]  # over TLS; the http:// root was never asked
    assert plain_after_sync == 0  # nothing, the token least of all, went in clear
    assert honest.returncode == 0, honest.stdout + honest.stderr
    received, signatures, _ = counts(us, "MX")
    assert received == signatures == released > len(MX_NUMBERS)  # MX's agencies too


# --- items 4 and 8: a received record stays its owner's -------------------------------------


def test_after_a_real_sync_a_received_record_cannot_be_imported_as_ours_nor_exported(
    channel: Channel, tmp_path: Path
) -> None:
    synced = channel.sync()
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert channel.received() == channel.released
    theirs = phone(MX_NUMBERS[0], owner="MX", markings=TO_US).id

    rows = tmp_path / "takeover.csv"
    with rows.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["type", "agency", "number", "id"])
        writer.writeheader()
        writer.writerow({"type": "phone", "agency": "CBP", "number": "+1 915 555 9999"})
        writer.writerow({"type": "phone", "agency": "CBP", "number": MX_NUMBERS[0], "id": theirs})
    before = counts(channel.us, "MX")
    imported = enlace("import", str(rows), "--node", str(channel.us))
    assert imported.returncode == 1, imported.stdout + imported.stderr
    assert "Traceback" not in imported.stdout + imported.stderr
    # The refusal is one line naming the row's id and whom the record came from (the
    # message around it says how many rows were bad and what to do about them).
    assert "1 bad row(s); nothing was imported" in imported.stderr
    (refusal,) = [line for line in imported.stderr.splitlines() if theirs in line]
    assert "line 3, field 'id'" in refusal
    assert "received from MX" in refusal
    assert counts(channel.us, "MX") == before
    _, store = open_node(channel.us)
    try:
        with store.unit_of_work() as uow:
            (entry,) = uow.audit.latest(1)
            held = {r.id: r.owner for r in uow.records.iter_latest()}
    finally:
        store.close()
    assert (entry.action, entry.detail["records"]) == ("takeover-refused", [theirs])
    assert held[theirs] == "MX"
    assert "+1 915 555 9999" not in str(held)  # nothing of the file was imported

    bundle = tmp_path / "export.json"
    exported = enlace("export", str(bundle), "--node", str(channel.us))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    objects = orjson.loads(bundle.read_bytes())["objects"]
    ids = {o["id"] for o in objects}
    mx_ids = {phone(n, owner="MX", markings=TO_US).id for n in MX_NUMBERS}
    us_ids = {phone(n, owner="US", markings=TO_MX).id for n in US_NUMBERS}
    assert ids.isdisjoint(mx_ids)
    assert us_ids <= ids  # US's own records are exported
    assert not any(o.get("x_enlace_received_from") for o in objects)
    # Each version released is a record of its own here (agencies included).
    assert f"{channel.released} record(s) received from partners left out" in exported.stdout


# --- item 3: a scheduled sync of several partners, one stuck ---------------------------------

TO_US_ONLY = Markings.build(tlp="amber", releasable_to="US", handling="H2", evaluation="B2")
CA_NUMBERS = [f"+1 613 555 {i:04d}" for i in range(8)]


def test_a_scheduled_sync_takes_a_partners_records_while_another_is_stuck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    us = tmp_path / "us"
    us_key = initialise_node(us, party="US").public_key
    keys = {}
    for party, numbers in (("MX", MX_NUMBERS), ("CA", CA_NUMBERS)):
        node = tmp_path / party.lower()
        keys[party] = initialise_node(node, party=party).public_key
        invite(node, "US", us_key, tmp_path / f"{party}-for-us")
        add_phones(node, numbers, owner=party, markings=TO_US_ONLY)
        cli("release", "--partner", "US", "--all", "--node", str(node))
    # MX's page would be dropped at the deadline of a real sync (two minutes): the test
    # waits for CA long before, whatever the deadline is.
    monkeypatch.setattr(sync_client, "PAGE_DEADLINE_SECONDS", timing.timeout(600))
    with (
        serving(tmp_path / "mx", free_port()) as mx_url,
        serving(tmp_path / "ca", free_port()) as ca_url,
        TamperingProxy(mx_url) as proxy,
    ):
        register(us, "MX", proxy.url, keys["MX"], tmp_path / "MX-for-us")
        register(us, "CA", ca_url, keys["CA"], tmp_path / "CA-for-us")
        proxy.tamper("/objects/", trickle(1, every=0.2, endless=True))
        _, store = open_node(us)
        outcome: dict[str, SyncReport | Exception] = {}
        try:
            schedule = PeriodicSync(store, us / "keys", 60)
            round_ = threading.Thread(target=lambda: outcome.update(schedule.run_once()))
            round_.start()
            released = counts(tmp_path / "ca", "US")[2]
            # Both, in whichever order: MX's page trickling (its sync stuck on it), and all
            # of CA's records stored.
            timing.wait_until(
                lambda: proxy.streaming == 1 and counts(us, "CA")[0] == released,
                what="CA's records to arrive while MX's page trickles",
                timeout=60,
                interval=0.2,
            )
            # MX's sync is still stuck on its page: the round is not over, nothing from MX.
            assert round_.is_alive()
            assert counts(us, "MX")[0] == 0
            proxy.cut_streams()  # MX's page ends unfinished: its sync fails
            round_.join(timeout=timing.timeout(30))
            assert not round_.is_alive()
        finally:
            store.close()

    assert list(outcome) == ["CA", "MX"]
    ca_report, mx_failure = outcome["CA"], outcome["MX"]
    assert isinstance(ca_report, SyncReport)
    assert ca_report.received == released
    assert isinstance(mx_failure, SyncError)
    assert mx_failure.partner == "MX"
    failed = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(failed) == 1
    assert failed[0].startswith("scheduled sync from MX failed")


# --- items 1, 2 and 5, against exchange protocol 2 ------------------------------------------


def _mx_store_call(channel: Channel, work: Any) -> Any:
    _, store = open_node(channel.mx)
    try:
        with store.unit_of_work() as uow:
            result = work(uow)
            uow.commit()
            return result
    finally:
        store.close()


def test_a_record_released_to_a_third_party_injected_by_the_channel_is_refused(
    channel: Channel, tmp_path: Path
) -> None:
    ca_key = initialise_node(tmp_path / "ca", party="CA").public_key
    invite(channel.mx, "CA", ca_key, tmp_path / "for-ca")
    to_ca = Markings.build(tlp="amber", releasable_to="MX CA", handling="H2", evaluation="B2")
    add_phones(channel.mx, ["+52 55 8399 0001"], owner="MX", markings=to_ca)
    cli("release", "--partner", "CA", "--all", "--node", str(channel.mx))

    wanted = phone("+52 55 8399 0001", owner="MX", markings=to_ca).id

    def for_ca(uow: Any) -> tuple[dict[str, Any], str]:
        (version,) = uow.releases.page("CA", ids=[wanted], version="all")
        return orjson.loads(version.stix), version.signature

    stolen, signature = _mx_store_call(channel, for_ca)
    # One more for US, so the last page has room for what the channel slips in.
    add_phones(channel.mx, ["+52 55 8399 0002"], owner="MX", markings=TO_US)
    cli("release", "--partner", "US", "--all", "--node", str(channel.mx))

    def inject(body: dict[str, Any]) -> dict[str, Any]:
        if len(body["objects"]) >= PAGE:
            return body  # a page with room: a full page plus one is refused whole
        body["objects"].append(stolen)  # signed by MX, really: but addressed to CA
        body["x_enlace_signatures"][f"{stolen['id']}|{stolen['modified']}"] = signature
        return body

    channel.proxy.tamper("/objects/", rewrite_json(inject))
    result = channel.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not-releasable-here: 1" in result.stdout
    received, _, _ = counts(channel.us, "MX")
    assert received == counts(channel.mx, "US")[2]  # all MX sent US, and nothing else
    _, store = open_node(channel.us)
    try:
        with store.unit_of_work() as uow:
            refusals = [e.detail for e in uow.audit.entries() if e.action == "refusal"]
    finally:
        store.close()
    assert [r["ids"] for r in refusals] == [{"not-releasable-here": [stolen["id"]]}]


def test_an_object_the_channel_drops_is_reported_then_fetched_again(channel: Channel) -> None:
    dropped: list[str] = []

    def drop_one(body: dict[str, Any]) -> dict[str, Any]:
        dropped.append(body["objects"].pop(1)["id"])
        return body

    channel.proxy.tamper("/objects/", rewrite_json(drop_one), skip=1, times=1)
    first = channel.sync()
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1 item(s) MX released to this node are not held: 1 missing" in first.stderr
    assert channel.received() == channel.released - 1
    status = cli("status", "--node", str(channel.us))
    assert "MX" in status
    channel.proxy.clear()
    again = channel.sync()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "gaps filled:  1" in again.stdout
    assert "not held" not in again.stderr
    received, signatures, _ = counts(channel.us, "MX")
    assert received == signatures == channel.released


def test_an_object_refused_on_one_page_is_fetched_again_and_from_start_rereads_idempotently(
    channel: Channel,
) -> None:
    changed: list[str] = []

    def change_one(body: dict[str, Any]) -> dict[str, Any]:
        # Changed after its owner signed it; the signature, and so the manifest's binding,
        # stays: the receiver refuses it as a bad signature and holds the number as a gap.
        body["objects"][1]["x_changed_on_the_way"] = True
        changed.append(body["objects"][1]["id"])
        return body

    channel.proxy.tamper("/objects/", rewrite_json(change_one), skip=1, times=1)
    first = channel.sync()
    assert first.returncode == 0, first.stdout + first.stderr
    assert "bad-signature: 1" in first.stdout
    assert "1 item(s) MX released to this node are not held" in first.stderr
    assert channel.received() == channel.released - 1
    channel.proxy.clear()
    # The cause gone, the next plain sync asks for that number again and takes it.
    again = channel.sync()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "gaps filled:  1" in again.stdout
    assert "not held" not in again.stderr
    assert channel.received() == channel.released
    # And the cursor can be reset without SQL: everything is read again, nothing stored twice.
    before = counts(channel.us, "MX")
    rereads = len(channel.proxy.requests)
    reread = enlace(
        "sync", "MX", "--from-start", "--node", str(channel.us), "--page-size", str(PAGE)
    )
    assert reread.returncode == 0, reread.stdout + reread.stderr
    assert "received:     0" in reread.stdout
    assert f"already held: {channel.released}" in reread.stdout
    assert counts(channel.us, "MX") == before
    pages = [s for s in channel.proxy.requests[rereads:] if "/objects/" in s.target]
    assert "next=" not in pages[0].target  # from the first page
    assert len(pages) == -(-channel.released // PAGE)
    actions = [e.action for e in audit_entries(channel.us)]
    assert "sync-from-start" in actions
    (tampered,) = changed
    assert tampered in str([e.detail for e in audit_entries(channel.us)])  # the refusal


def test_objects_the_channel_reorders_all_arrive_with_no_gap_nor_refusal(
    channel: Channel,
) -> None:
    # Within each page reversed, and the pages' order kept: the manifest, not the order the
    # objects come in, says what each page holds.
    channel.proxy.tamper("/objects/", reorder_objects())
    result = channel.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not held" not in result.stderr
    assert "refused:      0" in result.stdout
    assert f"verified up to {channel.released} of {channel.released}" in result.stdout
    served = channel.proxy.exchanges
    reversed_pages = [
        e for e in served if "/objects/" in e.request.target and len(objects_of(e.served)) > 1
    ]
    assert reversed_pages  # the tamper did reorder what crossed
    assert all(
        objects_of(e.served) == objects_of(e.upstream)[::-1]
        for e in reversed_pages
        if e.upstream is not None
    )
    received, signatures, _ = counts(channel.us, "MX")
    assert received == signatures == channel.released


def test_a_replayed_page_and_a_forged_header_and_next_change_nothing(channel: Channel) -> None:
    # A forged next and date header on every page: the sync follows its own verified cursor.
    def forge_next(body: dict[str, Any]) -> dict[str, Any]:
        if "next" in body:
            body["next"] = "999999999"
        return body

    channel.proxy.tamper("/objects/", rewrite_json(forge_next))
    channel.proxy.tamper(
        "/objects/", set_headers({"X-TAXII-Date-Added-Last": "2099-12-31T23:59:59.000000Z"})
    )
    result = channel.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    assert channel.received() == channel.released
    channel.proxy.clear()
    # What MX releases later still arrives: nothing stalled behind a date in 2099.
    add_phones(channel.mx, ["+52 55 8300 9999"], owner="MX", markings=TO_US)
    cli("release", "--partner", "US", "--all", "--node", str(channel.mx))
    assert channel.sync().returncode == 0
    assert channel.received() == channel.released + 1
    # An earlier answer served again for a new request is refused in one line.
    first_page = channel.proxy.answers("/objects/")[0]
    channel.proxy.tamper("/objects/", replay(first_page))
    refused_in_one_line(channel.sync(), "sync from MX failed", "answers another request")


def test_revocation_after_narrowing_sends_no_withdrawn_content(channel: Channel) -> None:
    assert channel.sync().returncode == 0
    # MX narrows a record (the new version is no longer for US) and changes its content,
    # then revokes it: US must learn that it is revoked and never see the new content.
    from enlace.model.records import PhoneNumber
    from enlace.store.versions import StoredVersion
    from support.exchange import later

    first = phone(MX_NUMBERS[0], owner="MX", markings=TO_US)
    narrowed = PhoneNumber.from_values(
        id=first.id,
        owner="MX",
        markings=Markings.build(tlp="red", handling="H0"),  # national only now
        created=first.created,
        modified=later(5),
        created_by_ref=None,
        values={"number": "+52 55 8377 7777"},
    )
    _mx_store_call(
        channel,
        lambda uow: uow.records.add([StoredVersion.of(narrowed)], added_at=uow.started_at),
    )
    revoked = enlace("revoke", first.id, "--node", str(channel.mx))
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert "newly sent to 1 party(ies)" in revoked.stdout
    result = channel.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "revocations:  1" in result.stdout
    served = b"".join(e.served.body for e in channel.proxy.exchanges)
    # The narrowed version's content never crossed, as written or normalised (a bare "8377"
    # also turns up by chance in signatures and ids: the test failed once that way).
    assert b"8377 7777" not in served
    assert b"5583777777" not in served
    _, store = open_node(channel.us)
    try:
        with store.unit_of_work() as uow:
            versions = uow.records.versions(first.id)
            assert versions
            assert all(v.revoked for v in versions)
    finally:
        store.close()


# --- item 3: relationships do not leak what they point at -----------------------------------


def test_no_relationship_crossing_the_channel_names_a_record_the_partner_may_not_hold(
    channel: Channel,
) -> None:
    from enlace.model.records import Relationship, derived_id
    from enlace.store.versions import StoredVersion
    from support.exchange import CREATED, NATIONAL

    secret = phone("+52 55 8311 0001", owner="MX", markings=NATIONAL)  # national only
    shared = phone(MX_NUMBERS[0], owner="MX", markings=TO_US)

    def link(target: str) -> Relationship:
        return Relationship.from_values(
            id=derived_id("relationship", "hostile-channel", shared.id, target),
            owner="MX",
            markings=TO_US,  # the link itself is marked for US
            created=CREATED,
            modified=CREATED,
            created_by_ref=None,
            values={"relationship_type": "related-to", "source_ref": shared.id,
                    "target_ref": target},
        )  # fmt: skip

    leaking, allowed = link(secret.id), link(phone(MX_NUMBERS[1], owner="MX").id)
    _mx_store_call(
        channel,
        lambda uow: uow.records.add(
            [StoredVersion.of(r) for r in (secret, leaking, allowed)], added_at=uow.started_at
        ),
    )
    released = enlace("release", "--partner", "US", "--all", "--node", str(channel.mx))
    assert released.returncode == 0, released.stdout + released.stderr
    result = channel.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    crossed = b"".join(e.served.body for e in channel.proxy.exchanges)
    assert secret.id.encode() not in crossed  # not even its id went over the wire
    assert leaking.id.encode() not in crossed
    assert allowed.id.encode() in crossed  # a link between records US may hold does go
    _, store = open_node(channel.us)
    try:
        with store.unit_of_work() as uow:
            assert uow.records.latest(allowed.id) is not None
            assert uow.records.latest(leaking.id) is None
    finally:
        store.close()

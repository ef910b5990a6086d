"""Watchlists end to end (issue 18): two real nodes on loopback, the US holding one of the
identifiers an MX analyst watches; a check raises exactly one alert, a second check none; the
webhook on loopback gets one POST; the wire carries nothing of the non-matching entries nor of
the US's other records beyond PSI's blinded points; bad input changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from enlace.matching.errors import UnknownMatchKind
from enlace.matching.watch_schedule import PeriodicWatchlistCheck
from enlace.matching.watchlists import (
    WatchlistError,
    add_to_watchlist,
    check_watchlists,
    watchlist_alerts,
    watchlist_entries,
)
from enlace.model.records import Firearm, Record, derived_id
from enlace.model.roles import Role
from enlace.partners.credentials import write_outbound_token
from enlace.store.store import Store
from enlace.store.tables import audit_log
from enlace.users.accounts import add_user
from support import timing
from support.exchange import CREATED, TO_US, phone
from support.matching import ServedNode, agree, load, requester_token, served_nodes
from support.proxy import Answer, RecordingListener, TamperingProxy

pytestmark = pytest.mark.e2e

ANALYST = "ana.analista"
# Watched by MX: the US holds the first; the others it does not.
STOLEN_SERIAL = "COLT|AB12345"
NOT_HELD = [
    ("firearm", "GLOCK|ZZ99881"),
    ("phone", "+52 55 1234 9876"),
    ("vin", "1HGCM82633A004352"),
]
# The US's other records: never watched.
US_OTHER_PHONES = ["+1 915 555 0142", "+1 520 555 0177"]
US_OTHER_SERIAL = ("RUGER", "RR-55501")


def firearm(make: str, serial: str, *, owner: str = "US") -> Firearm:
    return Firearm.from_values(
        id=derived_id("enlace-firearm", "watchlist-test", make, serial),
        owner=owner,
        markings=TO_US,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"make": make, "serial": serial},
    )


def us_records() -> list[Record]:
    return [
        firearm("Colt", "AB-12345"),  # the stolen firearm, written another way
        firearm(*US_OTHER_SERIAL),
        *(phone(n, owner="US") for n in US_OTHER_PHONES),
    ]


def analyst(
    store: Store, username: str = ANALYST, roles: tuple[Role, ...] = (Role.ANALYST,)
) -> None:
    add_user(
        store,
        username=username,
        display_name="Ana",
        password="a long enough pass phrase 7",
        roles=roles,
        actor="test",
    )


def watch(mx: ServedNode) -> None:
    add_to_watchlist(mx.store, owner=ANALYST, kind="firearm", identifier=STOLEN_SERIAL, actor="t")
    add_to_watchlist(mx.store, owner=ANALYST, kind="firearm", identifier=NOT_HELD[0][1], actor="t")
    add_to_watchlist(mx.store, owner=ANALYST, kind="phone", identifier=NOT_HELD[1][1], actor="t")
    add_to_watchlist(mx.store, owner=ANALYST, kind="vin", identifier=NOT_HELD[2][1], actor="t")


def key_dir_for(tmp_path: Path) -> Path:
    key_dir = tmp_path / "mx-keys"
    key_dir.mkdir()
    write_outbound_token(key_dir, "US", requester_token("MX", "US"))
    return key_dir


def audit_count(store: Store, action: str) -> int:
    with store.unit_of_work() as uow:
        return int(
            uow.connection.execute(
                select(func.count()).select_from(audit_log).where(audit_log.c.action == action)
            ).scalar_one()
        )


def test_a_watched_firearm_the_us_holds_raises_exactly_one_alert_and_one_webhook_post(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    key_dir = key_dir_for(tmp_path)
    with (
        served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes,
        RecordingListener() as hook,
    ):
        mx, us = nodes["MX"], nodes["US"]
        load(us, us_records())
        agree(us, "MX", kinds=("firearm", "phone", "vin"))
        analyst(mx.store)
        watch(mx)
        first = check_watchlists(mx.store, key_dir, webhook_url=hook.url + "/alerts")
        assert first.problems == {}
        assert first.new_alerts == 1
        alerts = watchlist_alerts(mx.store, owner=ANALYST)
        assert len(alerts) == 1
        (alert,) = alerts
        assert (alert.kind, alert.label, alert.partner) == ("firearm", STOLEN_SERIAL, "US")
        assert len(alert.handles) == 1
        assert first.webhook is not None
        assert first.webhook.sent == [alert.id]
        # The second check finds the same hit: nothing new, no second POST.
        second = check_watchlists(mx.store, key_dir, webhook_url=hook.url + "/alerts")
        assert second.problems == {}
        assert second.new_alerts == 0
        assert len(watchlist_alerts(mx.store, owner=ANALYST)) == 1
        assert second.webhook is not None
        assert second.webhook.sent == []
        posts = [seen for seen in hook.requests if seen.method == "POST"]
        assert len(posts) == 1
        body = orjson.loads(posts[0].body)
        assert body == {
            "type": "watchlist-alert",
            "node": "MX",
            "alert": alert.id,
            "owner": ANALYST,
            "kind": "firearm",
            "partner": "US",
            "raised_at": alert.raised_at,
        }
        # Both sides audited each run; MX its alert once; the US the hit notice for the
        # owner of its matched record, as any match run leaves.
        assert audit_count(mx.store, "watchlist-alerts") == 1
        assert audit_count(mx.store, "match-run") == 6  # 3 kinds, 2 checks
        assert audit_count(us.store, "match-run") == 6
        with us.store.unit_of_work() as uow:
            noticed = {n.record_id for n in uow.matches.hit_notices()}
        assert noticed == {firearm("Colt", "AB-12345").id}
        # No match of MX's own records was stored: a watchlist is not a record.
        with mx.store.unit_of_work() as uow:
            assert uow.matches.matches() == []


def test_an_alert_the_webhook_refused_is_sent_again_at_the_next_check_without_blocking(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    key_dir = key_dir_for(tmp_path)
    answers = iter([Answer(503, (), b"down")])

    def answer(_seen: object) -> Answer:
        return next(answers, Answer(204, (), b""))

    with (
        served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes,
        RecordingListener(answer) as hook,
    ):
        mx, us = nodes["MX"], nodes["US"]
        load(us, us_records())
        agree(us, "MX", kinds=("firearm", "phone", "vin"))
        analyst(mx.store)
        watch(mx)
        first = check_watchlists(mx.store, key_dir, webhook_url=hook.url)
        assert first.new_alerts == 1
        assert first.problems == {}
        assert first.webhook is not None
        assert first.webhook.sent == []
        assert first.webhook.failed
        second = check_watchlists(mx.store, key_dir, webhook_url=hook.url)
        assert second.new_alerts == 0
        assert second.webhook is not None
        assert len(second.webhook.sent) == 1
        third = check_watchlists(mx.store, key_dir, webhook_url=hook.url)
        assert third.webhook is not None
        assert third.webhook.sent == []
        assert len(hook.requests) == 2  # the refused POST, and the one taken
        (alert,) = watchlist_alerts(mx.store, owner=ANALYST)
        assert alert.webhook_sent_at is not None
        assert alert.webhook_attempts == 2


def test_the_wire_carries_nothing_of_the_unmatched_entries_nor_of_the_us_other_records(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    key_dir = key_dir_for(tmp_path)
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        with TamperingProxy(us.url) as wire:
            with mx.store.unit_of_work() as uow:
                held = uow.partners.get("US")
                assert held is not None
                uow.partners.put(
                    party="US",
                    url=wire.url,
                    verify_key_hex=held.verify_key_hex,
                    token_hash=held.token_hash,
                    added_at=held.added_at,
                )
                uow.commit()
            load(us, us_records())
            agree(us, "MX", kinds=("firearm", "phone", "vin"))
            analyst(mx.store)
            watch(mx)
            report = check_watchlists(mx.store, key_dir)
            assert report.new_alerts == 1
            assert report.problems == {}
            exchanges = list(wire.exchanges)
        # Every byte that crossed, both ways: requests (target, headers, body) and answers.
        crossed = b"".join(
            e.request.target.encode()
            + repr(e.request.headers).encode()
            + e.request.body
            + repr(e.served.headers).encode()
            + e.served.body
            for e in exchanges
        )
        secrets = [
            # The watched identifiers the US does not hold, as typed and as keys.
            b"GLOCK",
            b"ZZ99881",
            b"5512349876",
            b"1HGCM82633A004352",
            # The US's other records: identifiers and ids.
            b"RUGER",
            b"RR55501",
            b"RR-55501",
            *(n.replace(" ", "").encode() for n in US_OTHER_PHONES),
            *(r.id.encode() for r in us_records()),
            # The analyst and the watchlist itself.
            ANALYST.encode(),
            b"watchlist",
        ]
        for secret in secrets:
            assert secret.lower() not in crossed.lower(), secret
        # Only the matching protocol's routes were asked: admission, round 1, check, round 2.
        paths = {
            e.request.path.split("/runs/")[0] + ("/runs/…" if "/runs/" in e.request.path else "")
            for e in exchanges
        }
        assert paths <= {"/matching/v1/admission", "/matching/v1/runs", "/matching/v1/runs/…"}
        # Round 1 carries 32 bytes per watched identifier of the kind, nothing else.
        sizes = {
            e.request.query: len(e.request.body)
            for e in exchanges
            if e.request.path == "/matching/v1/runs"
        }
        assert sizes == {"kind=firearm": 64, "kind=phone": 32, "kind=vin": 32}
        # Round 2 (the claims) names the one matched firearm, with its key only; the other
        # kinds' round 2 claims nothing (empty: the run completes, nothing is said).
        claims = {e.request.body for e in exchanges if e.request.path.endswith("/matches")}
        (claimed,) = claims - {b""}
        assert b"COLT|AB12345" in claimed
        assert len(claimed) == 1 + 1 + len(b"COLT|AB12345")  # its position, its length, it


def test_bad_input_gets_one_clear_message_and_changes_nothing(
    new_store_url: Callable[[], str],
) -> None:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx = nodes["MX"]
        analyst(mx.store)
        analyst(mx.store, "lia.enlace", roles=(Role.LIAISON,))
        before = audit_count(mx.store, "watchlist-added")
        with pytest.raises(WatchlistError, match=r"invalid VIN '1HGCM8263': expected"):
            add_to_watchlist(mx.store, owner=ANALYST, kind="vin", identifier="1HGCM8263", actor="t")
        with pytest.raises(WatchlistError, match=r"expected 'MAKE\|SERIAL'"):
            add_to_watchlist(mx.store, owner=ANALYST, kind="firearm", identifier="AB123", actor="t")
        with pytest.raises(
            UnknownMatchKind, match=r"unknown identifier kind 'gun': expected one of"
        ):
            add_to_watchlist(mx.store, owner=ANALYST, kind="gun", identifier="x", actor="t")
        with pytest.raises(WatchlistError, match=r"cannot be watched.*CURP"):
            add_to_watchlist(mx.store, owner=ANALYST, kind="person", identifier="x", actor="t")
        with pytest.raises(WatchlistError, match=r"is not an analyst"):
            add_to_watchlist(
                mx.store, owner="lia.enlace", kind="phone", identifier="+525512345678", actor="t"
            )
        with pytest.raises(WatchlistError, match=r"no active user 'nadie'"):
            add_to_watchlist(
                mx.store, owner="nadie", kind="phone", identifier="+525512345678", actor="t"
            )
        assert watchlist_entries(mx.store, owner=None) == []
        assert audit_count(mx.store, "watchlist-added") == before
        # The same identifier written twice is one entry.
        first = add_to_watchlist(
            mx.store, owner=ANALYST, kind="phone", identifier="+52 55 1234 5678", actor="t"
        )
        again = add_to_watchlist(
            mx.store, owner=ANALYST, kind="phone", identifier="+525512345678", actor="t"
        )
        assert first.added
        assert not again.added
        assert again.entry.id == first.entry.id


def test_the_scheduled_check_raises_the_alert_once_however_many_times_it_runs(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    key_dir = key_dir_for(tmp_path)
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(us, us_records())
        agree(us, "MX", kinds=("firearm", "phone", "vin"), runs=100)
        analyst(mx.store)
        watch(mx)
        schedule = PeriodicWatchlistCheck(mx.store, key_dir, 0.2)
        schedule.start()
        try:
            timing.wait_until(lambda: schedule.runs >= 3, what="three scheduled checks")
        finally:
            schedule.stop(timeout=timing.timeout(30))
        assert len(watchlist_alerts(mx.store, owner=ANALYST)) == 1
        assert audit_count(mx.store, "watchlist-alerts") == 1


def test_a_kind_in_count_mode_is_reported_and_the_other_kinds_still_alert(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    key_dir = key_dir_for(tmp_path)
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(us, us_records())
        agree(us, "MX", kinds=("firearm", "vin"))
        agree(us, "MX", kinds=("phone",), mode="count")
        analyst(mx.store)
        watch(mx)
        report = check_watchlists(mx.store, key_dir)
        assert report.new_alerts == 1
        assert set(report.problems) == {"US"}
        assert "count" in report.problems["US"]
        assert "phone" in report.problems["US"]
        assert [o.kind for o in report.outcomes["US"]] == ["firearm", "vin"]
        assert len(watchlist_alerts(mx.store, owner=ANALYST)) == 1

"""`enlace watchlist ...` on real node folders served on loopback: add, list, check, alerts;
the webhook from node.json; bad input in one line, changing nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.model.records import Firearm, derived_id
from enlace.model.roles import Role
from enlace.node.setup import initialise_node, open_node
from enlace.store.versions import StoredVersion
from enlace.users.accounts import add_user
from support.exchange import CREATED, TO_US
from support.matching import served_folders
from support.proxy import RecordingListener

pytestmark = pytest.mark.e2e


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """MX and US node folders served on loopback and registered with each other; the US
    holds a Colt AB-12345 and answers MX on firearms; MX has an analyst."""
    with served_folders(tmp_path) as served:
        mx_store, us_store = served["MX"].store, served["US"].store
        stolen = Firearm.from_values(
            id=derived_id("enlace-firearm", "watchlist-cli", "colt"),
            owner="US",
            markings=TO_US,
            created=CREATED,
            modified=CREATED,
            created_by_ref=None,
            values={"make": "Colt", "serial": "AB-12345"},
        )
        with us_store.unit_of_work() as uow:
            uow.records.add([StoredVersion.of(stolen)], added_at=uow.started_at)
            uow.commit()
        add_user(
            mx_store,
            username="ana",
            display_name="Ana",
            password="a long enough pass phrase 7",
            roles=[Role.ANALYST],
            actor="test",
        )
        yield {party: node.folder for party, node in served.items()}


def set_webhook(folder: Path, url: str, allow: list[str]) -> None:
    path = folder / "node.json"
    body = json.loads(path.read_text())
    body.update(webhook_url=url, webhook_allow=allow)
    path.write_text(json.dumps(body))


def test_watchlist_cli_alerts_once_and_posts_once_to_the_webhook(
    folders: dict[str, Path],
) -> None:
    mx, us = (["--node", str(folders[p])] for p in ("MX", "US"))
    code, out = cli(
        "match", "agreement", "set", "MX", "--kind", "firearm", "--kind", "phone",
        "--max-set-size", "100", "--runs-per-day", "5", *us,
    )  # fmt: skip
    assert code == 0, out
    code, out = cli("watchlist", "add", "COLT|AB12345", "--kind", "firearm", "--owner", "ana", *mx)
    assert code == 0, out
    assert out.strip() == "added: entry 1, firearm COLT|AB12345 (ana)"
    code, out = cli(
        "watchlist", "add", "+52 55 1111 2222", "--kind", "phone", "--owner", "ana", *mx
    )
    assert code == 0, out
    code, out = cli("watchlist", "list", "--owner", "ana", *mx)
    assert "2 watched identifier(s)" in out
    with RecordingListener() as hook:
        set_webhook(folders["MX"], hook.url + "/enlace", [hook.url + "/"])
        code, out = cli("watchlist", "check", *mx)
        assert code == 0, out
        assert "checked with US: 1 new alert(s)" in out
        assert "webhook: 1 sent, 0 left for the next check" in out
        code, out = cli("watchlist", "check", *mx)
        assert code == 0, out
        assert "checked with US: 0 new alert(s)" in out
        assert len(hook.requests) == 1
    code, out = cli("watchlist", "alerts", "--owner", "ana", *mx)
    assert code == 0, out
    assert "1 alert(s)" in out
    assert "COLT|AB12345" in out


def test_watchlist_cli_bad_input_is_one_line_and_changes_nothing(
    folders: dict[str, Path],
) -> None:
    mx = ["--node", str(folders["MX"])]
    cases = {
        ("1HGCM8263", "vin"): "error: not added to the watchlist: invalid VIN '1HGCM8263': "
        "expected 17 characters from A-H, J-N, P, R-Z, 0-9 with a valid check digit at "
        "position 9; found 9 characters",
        ("AB123", "firearm"): "error: not added to the watchlist: invalid firearm 'AB123': "
        "expected 'MAKE|SERIAL'",
        ("x", "gun"): "error: unknown identifier kind 'gun': expected one of firearm, vin, "
        "plate, phone, curp, org-name, rfc",
    }
    for (identifier, kind), message in cases.items():
        code, out = cli("watchlist", "add", identifier, "--kind", kind, "--owner", "ana", *mx)
        assert code == 1
        assert out.strip() == message
    code, out = cli("watchlist", "list", *mx)
    assert "0 watched identifier(s)" in out
    # A webhook outside the node's allow-list: the node refuses to open, in one line.
    set_webhook(folders["MX"], "http://198.51.100.7/hook", ["http://127.0.0.1:"])
    code, out = cli("watchlist", "check", *mx)
    assert code == 1
    assert "is not under any prefix of 'webhook_allow'" in out
    assert len(out.strip().splitlines()) == 1


def test_serve_refuses_a_watch_period_that_is_not_positive(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    for period in ("0", "-5"):
        code, out = cli("serve", "--watch-every", period, "--node", str(node))
        assert code == 1
        assert out.strip() == "error: --watch-every must be a positive number of seconds"


def test_watchlist_cli_removes_an_entry_keeps_its_alert_and_checks_it_no_more(
    folders: dict[str, Path],
) -> None:
    mx, us = (["--node", str(folders[p])] for p in ("MX", "US"))
    code, out = cli(
        "match", "agreement", "set", "MX", "--kind", "firearm",
        "--max-set-size", "100", "--runs-per-day", "9", *us,
    )  # fmt: skip
    assert code == 0, out
    code, out = cli("watchlist", "add", "COLT|AB12345", "--kind", "firearm", "--owner", "ana", *mx)
    assert code == 0, out
    code, out = cli("watchlist", "check", *mx)
    assert "checked with US: 1 new alert(s)" in out
    # Only its owner's entry can be removed, and only once; each refusal is one line.
    for entry, owner, message in (
        ("1", "luis", "error: not removed: 'luis' has no entry 1 on the watchlist"),
        ("7", "ana", "error: not removed: 'ana' has no entry 7 on the watchlist"),
    ):
        code, out = cli("watchlist", "remove", entry, "--owner", owner, *mx)
        assert code == 1
        assert out.strip().startswith(message), out
        assert len(out.strip().splitlines()) == 1
    code, out = cli("watchlist", "remove", "1", "--owner", "ana", *mx)
    assert code == 0, out
    assert out.strip() == "removed: entry 1, firearm COLT|AB12345 (ana); its alerts are kept"
    code, out = cli("watchlist", "remove", "1", "--owner", "ana", *mx)
    assert code == 1  # removed already
    code, out = cli("watchlist", "list", *mx)
    assert "0 watched identifier(s)" in out
    code, out = cli("watchlist", "alerts", "--owner", "ana", *mx)
    assert "1 alert(s)" in out  # what happened stays as it happened
    assert "COLT|AB12345" in out
    _, store = open_node(folders["MX"])
    try:
        with store.unit_of_work() as uow:
            runs_before = sum(e.action == "match-run" for e in uow.audit.entries())
            removed = [e for e in uow.audit.entries() if e.action == "watchlist-removed"]
        code, out = cli("watchlist", "check", *mx)
        assert code == 0, out
        with store.unit_of_work() as uow:
            # Nothing watched: no run asks the partner anything.
            assert sum(e.action == "match-run" for e in uow.audit.entries()) == runs_before
    finally:
        store.close()
    assert [(e.actor, e.subject, e.detail) for e in removed] == [
        ("cli", "1", {"owner": "ana", "kind": "firearm"})
    ]
    # Added again: the same entry is watched again, its old alert not raised twice.
    code, out = cli("watchlist", "add", "COLT|AB12345", "--kind", "firearm", "--owner", "ana", *mx)
    assert out.strip() == "added: entry 1, firearm COLT|AB12345 (ana)"
    code, out = cli("watchlist", "check", *mx)
    assert "checked with US: 0 new alert(s)" in out

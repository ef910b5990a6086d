"""Registering a partner shares this node's agencies with it, by the normal release rule."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.exchange.release import release_all_allowed
from enlace.node.keys import load_signing_key, public_key_hex
from enlace.node.setup import initialise_node, open_node


def test_partner_add_makes_own_agencies_releasable_to_that_partner_only(tmp_path: Path) -> None:
    mx, us = tmp_path / "mx", tmp_path / "us"
    initialise_node(mx, party="MX")
    initialise_node(us, party="US")
    result = CliRunner().invoke(
        build_app(),
        [
            "partner",
            "add",
            "--party",
            "US",
            "--url",
            "http://127.0.0.1:9/",
            "--key",
            public_key_hex(us / "keys"),
            "--node",
            str(mx),
        ],
    )
    assert result.exit_code == 0, result.output
    _config, store = open_node(mx)
    try:
        with store.unit_of_work() as uow:
            agencies = list(uow.records.iter_latest(kind="agency"))
            assert agencies
            assert all(row.releasable_to == ("US",) for row in agencies)
            # Each agency now has two versions: national only, then releasable to US.
            assert all(len(uow.records.versions(row.id)) == 2 for row in agencies)
            released = release_all_allowed(
                uow, partner="US", signing_key=load_signing_key(mx / "keys"), actor="test"
            )
            uow.commit()
        assert released == len(agencies)
    finally:
        store.close()


def test_registering_the_same_partner_again_issues_no_new_agency_versions(tmp_path: Path) -> None:
    mx, us = tmp_path / "mx", tmp_path / "us"
    initialise_node(mx, party="MX")
    initialise_node(us, party="US")
    args = [
        "partner",
        "add",
        "--party",
        "US",
        "--url",
        "http://127.0.0.1:9/",
        "--key",
        public_key_hex(us / "keys"),
        "--node",
        str(mx),
    ]
    assert CliRunner().invoke(build_app(), args).exit_code == 0
    _config, store = open_node(mx)
    with store.unit_of_work() as uow:
        before = uow.records.count_versions()
    store.close()
    assert CliRunner().invoke(build_app(), args).exit_code == 0
    _config, store = open_node(mx)
    with store.unit_of_work() as uow:
        assert uow.records.count_versions() == before
    store.close()

"""`enlace init`: a node folder with its configuration, its private key and its store."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from nacl.encoding import HexEncoder
from nacl.signing import VerifyKey

from enlace.model.catalogue import DEFAULT_AGENCIES
from enlace.model.records import Agency, agency_id, record_from_stix
from enlace.node.config import CONFIG_NAME, DATABASE_NAME, NodeConfig
from enlace.node.errors import NodeError
from enlace.node.keys import PRIVATE_NAME, PUBLIC_NAME, load_signing_key
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store
from support.clock import FrozenClock


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def holdings(url: str) -> tuple[int, list[tuple[str, str, int]], str | None]:
    store = Store.open(url)
    try:
        with store.unit_of_work() as uow:
            return uow.records.count_versions(), uow.records.holdings(), uow.settings.get("party")
    finally:
        store.close()


def test_init_creates_config_private_key_and_default_agencies(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    report = initialise_node(node, party="mx")

    assert report.created_config
    assert report.created_key
    assert report.config.party == "MX"
    assert json.loads((node / CONFIG_NAME).read_text()) == {"party": "MX"}
    assert (node / DATABASE_NAME).is_file()  # SQLite inside the node folder by default

    key_dir = node / "keys"
    assert mode(node) == 0o700
    assert mode(key_dir) == 0o700
    assert mode(key_dir / PRIVATE_NAME) == 0o600
    assert (key_dir / PUBLIC_NAME).read_text() == report.public_key
    signing_key = load_signing_key(key_dir)
    signed = signing_key.sign(b"acta de la reunion")
    VerifyKey(report.public_key.encode(), encoder=HexEncoder).verify(signed)

    acronyms = [acronym for acronym, _ in DEFAULT_AGENCIES["MX"]]
    assert report.agencies_added == acronyms
    count, held, party = holdings(report.config.store_url)
    assert count == len(acronyms)
    assert held == [("agency", "MX", len(acronyms))]
    assert party == "MX"


def test_default_agencies_are_stored_as_agency_records(tmp_path: Path) -> None:
    report = initialise_node(tmp_path / "us", party="US")
    store = Store.open(report.config.store_url)
    try:
        with store.unit_of_work() as uow:
            row = uow.records.latest(agency_id("US", "ATF"))
    finally:
        store.close()
    assert row is not None
    agency = record_from_stix(row.stix_object())
    assert isinstance(agency, Agency)
    assert (agency.acronym, agency.party, agency.owner) == ("ATF", "US", "US")
    assert agency.name == "Bureau of Alcohol, Tobacco, Firearms and Explosives"


def test_init_twice_changes_nothing(tmp_path: Path, frozen_now: FrozenClock) -> None:
    node = tmp_path / "mx"
    first = initialise_node(node, party="MX")
    key_bytes = (node / "keys" / PRIVATE_NAME).read_bytes()
    config_text = (node / CONFIG_NAME).read_text()
    before = holdings(first.config.store_url)

    frozen_now.advance(days=30)  # a later run must not issue new agency versions
    calls = frozen_now.calls
    second = initialise_node(node, party="MX")
    assert frozen_now.calls > calls  # the run did read the (frozen) clock

    assert not second.created_config
    assert not second.created_key
    assert second.agencies_added == []
    assert second.public_key == first.public_key
    assert (node / "keys" / PRIVATE_NAME).read_bytes() == key_bytes
    assert (node / CONFIG_NAME).read_text() == config_text
    assert holdings(second.config.store_url) == before


def test_init_completes_a_node_missing_an_agency(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX", agencies=(("FGR", "Fiscalía General de la República"),))
    report = initialise_node(node, party="MX")
    assert report.agencies_added == [a for a, _ in DEFAULT_AGENCIES["MX"] if a != "FGR"]
    count, _, _ = holdings(report.config.store_url)
    assert count == len(DEFAULT_AGENCIES["MX"])


def test_another_party_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    node = tmp_path / "node"
    initialise_node(node, party="MX")
    with pytest.raises(NodeError, match=r"already the node of party MX.*for US"):
        initialise_node(node, party="US")
    assert NodeConfig.load(node).party == "MX"


def test_another_database_for_an_existing_node_is_refused(tmp_path: Path) -> None:
    node = tmp_path / "node"
    initialise_node(node, party="MX")
    other = f"sqlite+pysqlite:///{tmp_path / 'other.sqlite'}"
    with pytest.raises(NodeError, match="moving a node to another database"):
        initialise_node(node, party="MX", database_url=other)


def test_signing_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    private = node / "keys" / PRIVATE_NAME
    os.chmod(private, 0o644)
    with pytest.raises(NodeError, match=r"readable by others \(mode 644\).*chmod 600"):
        load_signing_key(node / "keys")
    # init does not quietly go on with an exposed key either.
    with pytest.raises(NodeError, match="readable by others"):
        initialise_node(node, party="MX")


def test_missing_signing_key_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match="run 'enlace init'"):
        load_signing_key(tmp_path / "keys")


def test_folder_without_config_is_not_a_node(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match=r"not an Enlace node \(no node.json\)"):
        open_node(tmp_path)


def test_open_node_opens_the_initialised_store(tmp_path: Path) -> None:
    initialise_node(tmp_path / "mx", party="MX")
    config, store = open_node(tmp_path / "mx")
    try:
        assert config.party == "MX"
        with store.unit_of_work() as uow:
            assert uow.settings.get("party") == "MX"
    finally:
        store.close()


def test_init_with_database_url_uses_that_database(
    tmp_path: Path, store_url: str, database: str
) -> None:
    # Runs on SQLite (a file outside the node folder) and on PostgreSQL.
    node = tmp_path / "node"
    first = initialise_node(node, party="US", database_url=store_url)
    assert json.loads((node / CONFIG_NAME).read_text()) == {
        "party": "US",
        "database_url": store_url,
    }
    assert not (node / DATABASE_NAME).exists()
    assert first.config.store_url == store_url
    count, held, party = holdings(store_url)
    assert count == len(DEFAULT_AGENCIES["US"])
    assert held == [("agency", "US", len(DEFAULT_AGENCIES["US"]))]
    assert party == "US"

    second = initialise_node(node, party="US", database_url=store_url)
    assert (second.created_config, second.created_key, second.agencies_added) == (
        False,
        False,
        [],
    )
    assert holdings(store_url)[0] == count
    config, store = open_node(node)
    try:
        assert store.dialect == database
        assert config.database_url == store_url
    finally:
        store.close()

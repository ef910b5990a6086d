"""Creating a node (`enlace init`) and opening an existing one."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path

from enlace.model.catalogue import DEFAULT_AGENCIES
from enlace.model.markings import Markings
from enlace.model.parties import party_code
from enlace.model.records import Agency, agency_id
from enlace.model.timestamps import utc_now
from enlace.node.config import NodeConfig
from enlace.node.errors import NodeError
from enlace.node.keys import create_signing_key, public_key_hex
from enlace.store.repositories.audit import AuditLog
from enlace.store.store import Store
from enlace.store.versions import StoredVersion

# Agencies start national only: 'enlace partner add' issues versions releasable to each
# partner (enlace.partners.agencies), so authorship travels with released records.
AGENCY_MARKINGS = Markings.build(tlp="green", releasable_to=None, handling="H0")


@dataclass(slots=True)
class InitReport:
    """What `enlace init` did: so a second run can say it changed nothing."""

    config: NodeConfig
    created_config: bool
    created_key: bool
    agencies_added: list[str] = field(default_factory=list)
    public_key: str = ""


def initialise_node(
    directory: Path,
    *,
    party: str,
    database_url: str | None = None,
    agencies: tuple[tuple[str, str], ...] | None = None,
    actor: str = "cli",
) -> InitReport:
    """Create (or complete) a node. Running it again never destroys anything.

    What it creates is written to the node's audit log, as `actor`: an "init" entry when
    the node is created (a "key-generated" one when only a missing key was made), and an
    "agencies-added" entry naming the agencies added. A run that adds nothing logs nothing.
    """
    code = party_code(party)
    directory.mkdir(parents=True, exist_ok=True)
    # The folder holds the database and keys of a government's records: owner only.
    directory.chmod(0o700)
    try:
        existing: NodeConfig | None = NodeConfig.load(directory)
    except NodeError:
        existing = None
    if existing is not None and existing.party != code:
        raise NodeError(
            f"{directory} is already the node of party {existing.party}; "
            f"choose another folder for {code}"
        )
    if existing is not None and database_url and database_url != existing.database_url:
        raise NodeError(
            f"{directory} already uses database {existing.store_url!r}; "
            "moving a node to another database is not done by init"
        )
    config = existing or NodeConfig(directory=directory, party=code, database_url=database_url)
    if existing is None:
        config.save()
    created_key = create_signing_key(config.key_dir)
    report = InitReport(
        config=config,
        created_config=existing is None,
        created_key=created_key,
        public_key=public_key_hex(config.key_dir),
    )
    store = Store.open(config.store_url)
    try:
        report.agencies_added = _add_agencies(
            store, code, agencies or DEFAULT_AGENCIES.get(code, ()), report=report, actor=actor
        )
    finally:
        store.close()
    return report


def _add_agencies(
    store: Store,
    party: str,
    agencies: tuple[tuple[str, str], ...],
    *,
    report: InitReport,
    actor: str,
) -> list[str]:
    now = utc_now()
    versions = []
    by_id: dict[str, str] = {}
    for acronym, name in agencies:
        record_id = agency_id(party, acronym)
        by_id[record_id] = acronym
        agency = Agency(
            id=record_id,
            owner=party,
            markings=AGENCY_MARKINGS,
            created=now,
            modified=now,
            name=name,
            acronym=acronym.upper(),
            party=party,
        )
        versions.append(StoredVersion.of(agency))
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", party)
        held = uow.records.latest_digests(by_id)
        new = [v for v in versions if v.id not in held]
        uow.records.add(new, added_at=uow.started_at)
        added = [by_id[v.id] for v in new]
        _audit_init(uow.audit, store, party, report, added, actor)
        uow.commit()
    return added


def _audit_init(
    audit: AuditLog,
    store: Store,
    party: str,
    report: InitReport,
    added: list[str],
    actor: str,
) -> None:
    # The public key is logged so an auditor can tie later signatures to this node's start;
    # the database is named by kind only (a URL may carry a password).
    who = {"os_user": _os_user()}
    if report.created_config:
        audit.append(
            actor=actor,
            action="init",
            subject=party,
            detail={
                "party": party,
                "database": store.dialect,
                "signing_key": "generated" if report.created_key else "kept (existing)",
                "public_key": report.public_key,
                **who,
            },
        )
    elif report.created_key:
        audit.append(
            actor=actor,
            action="key-generated",
            subject=party,
            detail={"public_key": report.public_key, **who},
        )
    if added:
        audit.append(
            actor=actor,
            action="agencies-added",
            subject=party,
            detail={"agencies": added, **who},
        )


def _os_user() -> str | None:
    # The operating-system account that ran the command, when the system can say.
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def open_node(directory: Path) -> tuple[NodeConfig, Store]:
    """Open an initialised node's configuration and store."""
    config = NodeConfig.load(directory)
    store = Store.open(config.store_url)
    return config, store

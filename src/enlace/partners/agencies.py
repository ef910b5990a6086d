"""Sharing a node's own agency identities with a partner, so authorship can be shown there.

Agencies start national only (`enlace init` knows no partners yet). When a partner is
registered, the node issues a new version of each agency it owns whose releasability adds
that partner; `release --all` then sends them by the normal rule, so no version ever reaches
a party its markings do not name.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from enlace.model.records import Agency, record_from_stix
from enlace.model.timestamps import utc_now
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredVersion


def share_agencies_with(uow: UnitOfWork, *, party: str, partner: str) -> int:
    """Make this node's agencies releasable to `partner`; return how many new versions."""
    now = utc_now()
    versions: list[StoredVersion] = []
    for row in uow.records.iter_latest(kind="agency"):
        if row.owner != party or row.received_from is not None or partner in row.releasable_to:
            continue
        agency = record_from_stix(row.stix_object())
        if not isinstance(agency, Agency):
            continue
        markings = dataclasses.replace(
            agency.markings, releasable_to=agency.markings.releasable_to | {partner}
        )
        versions.append(
            StoredVersion.of(
                agency.with_version(modified=_later(now, agency.modified), markings=markings)
            )
        )
    return uow.records.add(versions, added_at=uow.started_at)


def _later(now: datetime, previous: datetime) -> datetime:
    # A new version must sort after the one it replaces, even if clocks disagree.
    return max(now, previous + timedelta(microseconds=1))

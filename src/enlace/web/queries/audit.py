"""Read model of the audit page: the log, newest first, and whether its chain holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from enlace.store.repositories.audit import AuditEntry, AuditVerification
from enlace.store.store import Store
from enlace.store.tables import audit_log

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class AuditView:
    """One page of the log and the verification of the whole chain."""

    entries: tuple[AuditEntry, ...]
    verification: AuditVerification
    actions: tuple[str, ...]  # every action in the log, for the filter
    action: str
    total: int
    page: int
    pages: int


def audit_view(store: Store, *, action: str = "", page: int = 1) -> AuditView:
    """Entries (optionally of one action) newest first, one page; the chain verified."""
    with store.unit_of_work() as uow:  # only reads
        connection = uow.connection
        log = uow.audit
        actions = tuple(
            connection.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action))
            .scalars()
            .all()
        )
        chosen = action if action in actions else ""
        counted = select(func.count()).select_from(audit_log)
        query = select(audit_log).order_by(audit_log.c.seq.desc())
        if chosen:
            counted = counted.where(audit_log.c.action == chosen)
            query = query.where(audit_log.c.action == chosen)
        total = int(connection.execute(counted).scalar_one())
        pages = max(1, -(-total // PAGE_SIZE))
        page = max(1, min(page, pages))
        rows = connection.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        entries = tuple(
            AuditEntry(
                seq=int(row.seq),
                at=row.at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                detail_json=row.detail,
                prev_hash=row.prev_hash,
                entry_hash=row.entry_hash,
            )
            for row in rows
        )
        verification = log.verify()
    return AuditView(
        entries=entries,
        verification=verification,
        actions=actions,
        action=chosen,
        total=total,
        page=page,
        pages=pages,
    )

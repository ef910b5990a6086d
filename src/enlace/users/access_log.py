"""What people opened or were refused on this node, for the auditor (registro de accesos).

Use cases, each in its own unit of work: the entry is kept even when the page that caused
it goes on to fail.
"""

from __future__ import annotations

from enlace.store.unit_of_work import UnitOfWorkFactory


def audit_record_read(
    store: UnitOfWorkFactory, *, record_id: str, username: str, received_from: str
) -> None:
    """Use case: note that `username` opened a record received from a partner."""
    with store.unit_of_work() as uow:
        uow.audit.append(
            actor=username,
            action="record-read",
            subject=record_id,
            detail={"received_from": received_from, "via": "web"},
        )
        uow.commit()


def audit_access_denied(
    store: UnitOfWorkFactory,
    *,
    username: str,
    path: str,
    method: str,
    roles_needed: str,
    client: str | None,
) -> None:
    """Use case: note that `username` was refused `path` because their roles do not open it."""
    with store.unit_of_work() as uow:
        uow.audit.append(
            actor=username,
            action="access-denied",
            subject=path,
            detail={"method": method, "roles_needed": roles_needed, "client": client},
        )
        uow.commit()

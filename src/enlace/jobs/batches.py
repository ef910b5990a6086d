"""The tables behind a batch of chunk jobs (blinding, name keys): one row per batch, one per
chunk, and the queue's jobs naming the batch. What deletes and counts them, shared by both
kinds of batch."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Table, delete, func, select, text

from enlace.store.store import Store


def forget_batch(store: Store, batches: Table, chunks: Table, task: str, batch_id: str) -> None:
    """Delete a batch (its secret, inputs and outputs) and its jobs not being run: the run
    has its output, or gave up. A job running still finds no batch and stops."""
    with store.engine.begin() as connection:
        connection.execute(delete(chunks).where(chunks.c.batch_id == batch_id))
        connection.execute(delete(batches).where(batches.c.batch_id == batch_id))
        connection.execute(
            text(
                "DELETE FROM procrastinate_jobs WHERE task_name = :task "
                "AND status <> 'doing' AND args->>'batch_id' = :batch"
            ),
            {"task": task, "batch": batch_id},
        )


def count_chunks(store: Store, chunks: Table) -> int:
    """How many chunks wait in `chunks` (0 once every run has ended)."""
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(chunks)).scalar_one())


def delete_abandoned(store: Store, batches: Table, chunks: Table, older_than: float) -> int:
    """Delete the batches created more than `older_than` seconds ago: their run gave up
    waiting (or its process died) without deleting them. Returns how many."""
    cutoff = datetime.fromtimestamp(time.time() - older_than, UTC).isoformat(timespec="seconds")
    with store.engine.begin() as connection:
        old = list(
            connection.execute(
                select(batches.c.batch_id).where(batches.c.created_at < cutoff)
            ).scalars()
        )
        if old:
            connection.execute(delete(chunks).where(chunks.c.batch_id.in_(old)))
            connection.execute(delete(batches).where(batches.c.batch_id.in_(old)))
    return len(old)

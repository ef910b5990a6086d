"""`QueueNameKeys`: a PSI run's name keys derived as jobs on a PostgreSQL node's queue, by
the node's `enlace worker` processes (issue 19), where the run's blinding goes too
(`QueueBlindingPool.name_keys`).

The run's process reads only how many own records of the kind there are and the id of every
`chunk_records`-th (one row per chunk), writes one row per chunk (its id range) and defers
one job per chunk; each worker reads its chunk's records and derives their keys
(enlace.jobs.name_keys). The run polls until every chunk's keys are stored, merges them
(`merge_name_keys`: the dict `own_name_keys` gives in process, key for key and holder for
holder) and deletes the batch. A set smaller than `inline_below` records is derived in the
run's process: a round trip through the queue would cost more.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
import procrastinate
from procrastinate.types import JSONDict
from sqlalchemy import Connection, func, insert, select

from enlace.jobs.batches import count_chunks, delete_abandoned, forget_batch
from enlace.jobs.queue import NAME_KEYS_TASK
from enlace.matching.blinding import Progress
from enlace.matching.names.keys import NameKeyKind
from enlace.matching.names.store import merge_name_keys, own_name_keys, own_record_bounds
from enlace.node.errors import NodeError
from enlace.store.store import Store
from enlace.store.tables import name_key_batches, name_key_chunks

# Records per job: reading and parsing a person record and deriving its keys took about
# 0.3 ms (synthetic persons, one core of a busy 2-core machine), its keys about 330 bytes of
# JSON; so a chunk is one or two seconds of one core and under 2 MB to write and read back.
CHUNK_RECORDS = 5_000
_POLL_FIRST, _POLL_MOST = 0.02, 0.5


class NameKeyJobsTimedOut(NodeError):
    """The workers did not derive a batch's name keys in time (none running, or too few)."""


class NameKeyJobsFailed(NodeError):
    """A chunk's records gave no keys (a stored record that cannot be read)."""


class QueueNameKeys:
    """The name keys of a run's own set, derived by the node's workers (PostgreSQL only)."""

    def __init__(
        self,
        store: Store,
        queue: Callable[[], procrastinate.App],
        *,
        wait_seconds: float,
        chunk_records: int = CHUNK_RECORDS,
        inline_below: int = CHUNK_RECORDS,
    ) -> None:
        # `queue` gives the opened queue (the blinding pool's: one set of connections).
        self._store = store
        self._queue = queue
        self._wait_seconds = wait_seconds
        self._chunk_records = chunk_records
        self._inline_below = inline_below

    def derive(
        self,
        connection: Connection,
        party: str,
        kind: NameKeyKind,
        progress: Progress | None = None,
    ) -> dict[str, list[str]]:
        """What `own_name_keys(connection, party, kind)` gives, derived by the workers;
        `progress` is told how many more records are done as chunks come in."""
        count, bounds = own_record_bounds(connection, party, kind, self._chunk_records)
        if count < self._inline_below:
            return own_name_keys(connection, party, kind)
        # (None, b1], (b1, b2], ..., (bk, None): every id in one range, whatever was added
        # since the bounds were read.
        ranges = list(zip([None, *bounds], [*bounds, None], strict=True))
        sizes = [self._chunk_records] * len(bounds) + [count - len(bounds) * self._chunk_records]
        batch_id = self._defer(party, kind, ranges)
        return self._wait(batch_id, party, kind, sizes, progress)

    def _defer(
        self, party: str, kind: NameKeyKind, ranges: list[tuple[str | None, str | None]]
    ) -> str:
        batch_id = secrets.token_hex(16)
        # Committed apart from the run's unit of work: the workers must see the rows.
        with self._store.engine.begin() as connection:
            connection.execute(
                insert(name_key_batches).values(
                    batch_id=batch_id,
                    party=party,
                    kind=kind.value,
                    chunks=len(ranges),
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
            connection.execute(
                insert(name_key_chunks),
                [
                    {"batch_id": batch_id, "chunk": i, "after_id": after, "upto_id": upto}
                    for i, (after, upto) in enumerate(ranges)
                ],
            )
        try:
            jobs: list[JSONDict] = [{"batch_id": batch_id, "chunk": i} for i in range(len(ranges))]
            self._queue().configure_task(NAME_KEYS_TASK).batch_defer(*jobs)
        except BaseException:
            self.forget(batch_id)
            raise
        return batch_id

    def _wait(
        self,
        batch_id: str,
        party: str,
        kind: NameKeyKind,
        sizes: list[int],
        progress: Progress | None,
    ) -> dict[str, list[str]]:
        deadline = time.monotonic() + self._wait_seconds
        pause, reported = _POLL_FIRST, 0
        try:
            while True:
                with self._store.engine.connect() as connection:
                    done, failed = connection.execute(
                        select(
                            func.count(name_key_chunks.c.output),
                            func.min(name_key_chunks.c.error),
                        ).where(name_key_chunks.c.batch_id == batch_id)
                    ).one()
                    if failed is not None:
                        raise NameKeyJobsFailed(
                            f"the {kind.value} name keys of {party}'s records: a worker "
                            f"could not derive them: {failed}"
                        )
                    if progress is not None and done > reported:
                        progress(sum(sizes[reported:done]))
                        reported = done
                    if done == len(sizes):
                        parts = connection.execute(
                            select(name_key_chunks.c.output)
                            .where(name_key_chunks.c.batch_id == batch_id)
                            .order_by(name_key_chunks.c.chunk)
                        ).scalars()
                        return merge_name_keys(
                            orjson.loads(part) for part in parts if part is not None
                        )
                if time.monotonic() >= deadline:
                    raise NameKeyJobsTimedOut(
                        f"the node's workers derived the {kind.value} name keys of {done} of "
                        f"{len(sizes)} chunks in {self._wait_seconds:.0f} s: is an "
                        "'enlace worker' running on this node's database?"
                    )
                time.sleep(pause)
                pause = min(_POLL_MOST, pause * 2)
        finally:
            self.forget(batch_id)

    def forget(self, batch_id: str) -> None:
        """Delete a batch and its jobs not being run: the run has its keys, or gave up."""
        forget_batch(self._store, name_key_batches, name_key_chunks, NAME_KEYS_TASK, batch_id)


def queued_name_key_chunks(store: Store) -> int:
    """How many chunks wait in the node's name key tables (0 once every run has ended)."""
    return count_chunks(store, name_key_chunks)


def delete_abandoned_name_key_batches(store: Store, older_than: float) -> int:
    """Delete the name key batches older than `older_than` seconds; how many."""
    return delete_abandoned(store, name_key_batches, name_key_chunks, older_than)

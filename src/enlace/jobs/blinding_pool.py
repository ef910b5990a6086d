"""`QueueBlindingPool`: a PSI run's blinding as jobs on a PostgreSQL node's queue, for any
number of `enlace worker` processes on any machine that reaches the database (issue 19).

It is a `BlindingPool` to the matching code: a run's steps (`start_hash_and_blind`,
`start_blind`) put the step's input in ``blinding_chunks``, cut by position into chunks,
and defer one job per chunk; `result()` polls until every chunk's output is stored, joins
them in order and deletes the batch, the secret scalar with it. The bytes are those of the
in-process pool, chunk for chunk (the same functions of enlace.matching.group on the same
input), so the wire and what a partner learns do not change. Small sets (below the inline
threshold) and the proofs' check sums (`start_tasks`) stay in this process. A run that
blinds on the queue has the workers derive its name keys too (`name_keys`:
enlace.jobs.name_keys_queue).

What stays serial in the run's process: drawing and shuffling, the transcript hashes,
writing the chunks' input and reading their output (one row per chunk), comparing the two
blinded sets, and storing the run.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import procrastinate
from procrastinate.types import JSONDict
from sqlalchemy import Connection, func, insert, select

from enlace.jobs.batches import count_chunks, delete_abandoned, forget_batch
from enlace.jobs.blinding import BLIND, HASH_AND_BLIND, pack_keys
from enlace.jobs.name_keys_queue import CHUNK_RECORDS, QueueNameKeys
from enlace.jobs.queue import BLIND_TASK, job_queue
from enlace.matching.blinding import INLINE_BELOW, BlindingJob, BlindingPool, Progress
from enlace.matching.group import POINT_BYTES, WireFormatError
from enlace.matching.names.keys import NameKeyKind
from enlace.matching.requester import TIMEOUT
from enlace.store.store import Store
from enlace.store.tables import blinding_batches, blinding_chunks

# Items per job: each job is a row to write and read and a job to take; 20,000 points are
# 640 KB and about 1.7 s of one core, so a 1,000,000 set is 50 jobs to share out.
CHUNK_ITEMS = 20_000
# How long a run waits for its chunks: as long as a partner waits for an answer (the
# requester's read timeout, the node's one bound on a run's step).
WAIT_SECONDS = TIMEOUT.read or 900.0
_POLL_FIRST, _POLL_MOST = 0.02, 0.5


class BlindingJobsTimedOut(RuntimeError):
    """The workers did not blind a batch in time (none running, or too few)."""


class QueueBlindingPool(BlindingPool):
    """`BlindingPool` whose large steps run as jobs on the node's queue (PostgreSQL only)."""

    def __init__(
        self,
        store: Store,
        store_url: str,
        *,
        local_workers: int | None = None,
        chunk_items: int = CHUNK_ITEMS,
        chunk_records: int = CHUNK_RECORDS,
        inline_below: int = INLINE_BELOW,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        # The local pool (`local_workers`) does what stays in process: the check sums.
        super().__init__(local_workers, inline_below=inline_below)
        self._store = store
        self._app: procrastinate.App = job_queue(store_url)  # JobQueueError unless PostgreSQL
        self._opened = False
        self._open_lock = threading.Lock()
        self._chunk_items = chunk_items
        self._wait_seconds = wait_seconds
        # A name kind's set of fewer records than a small set's items stays in process too.
        self._names = QueueNameKeys(
            store,
            self._queue,
            wait_seconds=wait_seconds,
            chunk_records=chunk_records,
            inline_below=inline_below,
        )

    def close(self) -> None:
        """Close the queue's connections and the local workers."""
        with self._open_lock:
            if self._opened:
                self._app.close()
                self._opened = False
        super().close()

    def name_keys(
        self,
        connection: Connection,
        party: str,
        kind: NameKeyKind,
        progress: Progress | None = None,
    ) -> dict[str, list[str]]:
        """The name keys of `party`'s own records of `kind`, `chunk_records` records a job
        on the workers: what the in-process pool's `name_keys` gives."""
        return self._names.derive(connection, party, kind, progress)

    def start_hash_and_blind(
        self, domain: bytes, keys: Sequence[bytes], scalar: bytes
    ) -> BlindingJob:
        """H(key)^scalar for every key, chunk by chunk on the workers."""
        if len(keys) < self._inline_below:
            return super().start_hash_and_blind(domain, keys, scalar)
        step = self._chunk_items
        inputs = [pack_keys(keys[i : i + step]) for i in range(0, len(keys), step)]
        sizes = [min(step, len(keys) - i) for i in range(0, len(keys), step)]
        return self._defer(HASH_AND_BLIND, scalar, domain, POINT_BYTES, inputs, sizes)

    def start_blind(self, points: bytes, scalar: bytes, *, width: int = POINT_BYTES) -> BlindingJob:
        """Each point raised to `scalar`, truncated to `width`, chunk by chunk on the workers."""
        count = len(points) // POINT_BYTES
        if count < self._inline_below or len(points) % POINT_BYTES:
            return super().start_blind(points, scalar, width=width)
        step = self._chunk_items * POINT_BYTES
        inputs = [points[i : i + step] for i in range(0, len(points), step)]
        sizes = [len(piece) // POINT_BYTES for piece in inputs]
        return self._defer(BLIND, scalar, None, width, inputs, sizes)

    def _queue(self) -> procrastinate.App:
        with self._open_lock:
            if not self._opened:
                self._app.open()
                self._opened = True
            return self._app

    def _defer(
        self,
        operation: str,
        scalar: bytes,
        domain: bytes | None,
        width: int,
        inputs: list[bytes],
        sizes: list[int],
    ) -> BlindingJob:
        batch_id = secrets.token_hex(16)
        with self._store.engine.begin() as connection:
            connection.execute(
                insert(blinding_batches).values(
                    batch_id=batch_id,
                    operation=operation,
                    scalar=scalar,
                    domain=domain,
                    width=width,
                    chunks=len(inputs),
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
            connection.execute(
                insert(blinding_chunks),
                [
                    {"batch_id": batch_id, "chunk": i, "input": piece}
                    for i, piece in enumerate(inputs)
                ],
            )
        job = QueueJob(self, batch_id, sizes)
        try:
            jobs: list[JSONDict] = [{"batch_id": batch_id, "chunk": i} for i in range(len(inputs))]
            self._queue().configure_task(BLIND_TASK).batch_defer(*jobs)
        except BaseException:
            job.cancel()
            raise
        return job

    def wait(self, batch_id: str, sizes: list[int], progress: Progress | None) -> bytes:
        """The batch's outputs joined in order, once all are stored; the batch deleted."""
        deadline = time.monotonic() + self._wait_seconds
        pause, reported = _POLL_FIRST, 0
        try:
            while True:
                with self._store.engine.connect() as connection:
                    done, failed = connection.execute(
                        select(
                            func.count(blinding_chunks.c.output),
                            func.min(blinding_chunks.c.error),
                        ).where(blinding_chunks.c.batch_id == batch_id)
                    ).one()
                    if failed is not None:
                        raise WireFormatError(failed)
                    if progress is not None and done > reported:
                        progress(sum(sizes[reported:done]))
                        reported = done
                    if done == len(sizes):
                        parts = connection.execute(
                            select(blinding_chunks.c.output)
                            .where(blinding_chunks.c.batch_id == batch_id)
                            .order_by(blinding_chunks.c.chunk)
                        ).scalars()
                        return b"".join(part for part in parts if part is not None)
                if time.monotonic() >= deadline:
                    raise BlindingJobsTimedOut(
                        f"the node's workers blinded {done} of {len(sizes)} chunks in "
                        f"{self._wait_seconds:.0f} s: is an 'enlace worker' running on "
                        "this node's database?"
                    )
                time.sleep(pause)
                pause = min(_POLL_MOST, pause * 2)
        finally:
            self.forget(batch_id)

    def forget(self, batch_id: str) -> None:
        """Delete a batch and its jobs not being run: the run has its output, or gave up."""
        forget_batch(self._store, blinding_batches, blinding_chunks, BLIND_TASK, batch_id)


class QueueJob(BlindingJob):
    """A batch on the queue; result() waits for the workers."""

    def __init__(self, pool: QueueBlindingPool, batch_id: str, sizes: list[int]) -> None:
        super().__init__(pool, [], sizes, None)
        self._queue_pool = pool
        self._batch_id = batch_id
        self._done = False

    def result(self, progress: Progress | None = None) -> bytes:
        if self._done:
            raise RuntimeError("a queued blinding job's result is read once")
        self._done = True
        return self._queue_pool.wait(self._batch_id, self._sizes, progress)

    def split(self, width: int) -> tuple[bytes, bytes]:
        raise NotImplementedError("the queue blinds one output per job")

    def cancel(self) -> None:
        if not self._done:
            self._done = True
            self._queue_pool.forget(self._batch_id)


def queued_chunks(store: Store) -> int:
    """How many chunks wait in the node's blinding tables (0 once every run has ended)."""
    return count_chunks(store, blinding_chunks)


def delete_abandoned_batches(store: Store, older_than: float) -> int:
    """Delete the blinding batches older than `older_than` seconds; how many."""
    return delete_abandoned(store, blinding_batches, blinding_chunks, older_than)

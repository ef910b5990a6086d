"""The blinding pool: scalar multiplications spread over worker processes.

Blinding is nearly all the cost of a run (about 85 µs a point, twice per identifier), so it
runs on every core, in processes started with 'spawn' (no inherited locks, store engines or
open sockets). Work goes out in big chunks of bytes and comes back as concatenated points:
pickling a list of small byte strings and one bytes object is cheap next to the arithmetic.
A small set is blinded in the calling process: starting workers would cost more.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TYPE_CHECKING, Self

from enlace.matching.group import (
    POINT_BYTES,
    blind_chunk,
    hash_and_blind_chunk,
    hash_and_blind_twice_chunk,
)
from enlace.processes import exit_with_parent

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from enlace.matching.names.keys import NameKeyKind

Progress = Callable[[int], None]  # called with how many more items are done

# Below this many items a run blinds in its own process.
INLINE_BELOW = 4096
# Items per chunk: enough to make the cost of a round trip to a worker negligible, few
# enough that progress moves and both workers stay busy until the end.
_MIN_CHUNK = 2048
_MAX_CHUNK = 50_000
_CHUNKS_PER_WORKER = 16


def default_workers() -> int:
    """One worker per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class BlindingPool:
    """`with BlindingPool(workers) as pool: pool.blind(...)`; workers start on first need."""

    def __init__(self, workers: int | None = None, *, inline_below: int = INLINE_BELOW) -> None:
        self.workers = default_workers() if workers is None else workers
        if self.workers < 0:
            raise ValueError("workers must be 0 (blind in this process) or more")
        self._inline_below = inline_below
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (if any were started)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def name_keys(
        self, connection: Connection, party: str, kind: NameKeyKind
    ) -> dict[str, list[str]]:
        """The name keys of `party`'s own records of `kind` for a run blinded here: derived
        in this process, in `connection`'s transaction. A node's job queue pool
        (enlace.jobs.blinding_pool) has its workers derive them: the same dict."""
        # Imported here: the pool alone (the benchmarks' blinding) needs no records' model.
        from enlace.matching.names.store import own_name_keys

        return own_name_keys(connection, party, kind)

    def hash_and_blind(
        self,
        domain: bytes,
        keys: Sequence[bytes],
        scalar: bytes,
        *,
        progress: Progress | None = None,
    ) -> bytes:
        """H(key)^scalar for every key, concatenated in the order of `keys`."""
        return self.start_hash_and_blind(domain, keys, scalar).result(progress)

    def blind(
        self,
        points: bytes,
        scalar: bytes,
        *,
        width: int = POINT_BYTES,
        progress: Progress | None = None,
    ) -> bytes:
        """Each point raised to `scalar` and truncated to `width` bytes, concatenated in order.

        Raises WireFormatError when a value is not a valid point.
        """
        return self.start_blind(points, scalar, width=width).result(progress)

    def start_hash_and_blind(
        self, domain: bytes, keys: Sequence[bytes], scalar: bytes
    ) -> BlindingJob:
        """`hash_and_blind` handed to the workers; the job's result() waits for it.

        Two jobs started one after the other run side by side: the workers never wait for
        the slowest chunk of one before starting on the other.
        """
        if not self._uses_workers(len(keys)):
            return BlindingJob(
                self, [], [len(keys)], lambda: hash_and_blind_chunk(domain, keys, scalar)
            )
        executor = self._start()
        size = self._chunk(len(keys))
        starts = range(0, len(keys), size)
        futures = [
            executor.submit(hash_and_blind_chunk, domain, keys[i : i + size], scalar)
            for i in starts
        ]
        return BlindingJob(self, futures, [min(size, len(keys) - i) for i in starts], None)

    def start_hash_and_blind_twice(
        self, domain: bytes, keys: Sequence[bytes], first: bytes, second: bytes, width: int
    ) -> BlindingJob:
        """H(key)^first and H(key)^(first·second) truncated, chunk by chunk, in one trip to
        a worker each: for a party that holds both secrets' work in one process (a
        benchmark of both sides); `BlindingJob.split` gives the two outputs."""
        if not self._uses_workers(len(keys)):
            return BlindingJob(
                self,
                [],
                [len(keys)],
                lambda: hash_and_blind_twice_chunk(domain, keys, first, second, width),
            )
        executor = self._start()
        size = self._chunk(len(keys))
        starts = range(0, len(keys), size)
        futures = [
            executor.submit(
                hash_and_blind_twice_chunk, domain, keys[i : i + size], first, second, width
            )
            for i in starts
        ]
        return BlindingJob(self, futures, [min(size, len(keys) - i) for i in starts], None)

    def start_blind(self, points: bytes, scalar: bytes, *, width: int = POINT_BYTES) -> BlindingJob:
        """`blind` handed to the workers; the job's result() waits for it."""
        count = len(points) // POINT_BYTES
        if not self._uses_workers(count):
            return BlindingJob(self, [], [count], lambda: blind_chunk(points, scalar, width))
        executor = self._start()
        size = self._chunk(count)
        step = size * POINT_BYTES
        futures = [
            executor.submit(blind_chunk, points[i : i + step], scalar, width)
            for i in range(0, len(points), step)
        ]
        return BlindingJob(
            self, futures, [min(size, count - i) for i in range(0, count, size)], None
        )

    def start_tasks(
        self, function: Callable[..., bytes], calls: Sequence[tuple[object, ...]], sizes: list[int]
    ) -> BlindingJob:
        """`function(*call)` for each call, on the workers (in this process when there are
        fewer than the inline threshold's items in all): for work already cut in pieces of
        its own (the proofs' fixed batches, `enlace.matching.proofs`), `sizes` the items of
        each for progress. The job's result() is the outputs concatenated in order."""
        if not self._uses_workers(sum(sizes)):
            return BlindingJob(
                self, [], [sum(sizes)], lambda: b"".join(function(*call) for call in calls)
            )
        executor = self._start()
        futures = [executor.submit(function, *call) for call in calls]
        return BlindingJob(self, futures, sizes, None)

    def forget_workers(self) -> None:
        """Let the next job start new workers (the old ones are broken)."""
        with self._lock:
            broken, self._executor = self._executor, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    def _uses_workers(self, count: int) -> bool:
        return self.workers > 0 and count >= self._inline_below

    def _chunk(self, count: int) -> int:
        wanted = math.ceil(count / (self.workers * _CHUNKS_PER_WORKER))
        return max(_MIN_CHUNK, min(_MAX_CHUNK, wanted))

    def _start(self) -> ProcessPoolExecutor:
        # A server's runs share the pool from several threads: start the workers once.
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._executor


class BlindingJob:
    """Blinding under way in the pool (or, for a small set, to be done when asked)."""

    def __init__(
        self,
        pool: BlindingPool,
        futures: list[Future[bytes]],
        sizes: list[int],
        inline: Callable[[], bytes] | None,
    ) -> None:
        self._pool = pool
        self._futures = futures
        self._sizes = sizes
        self._inline = inline

    def result(self, progress: Progress | None = None) -> bytes:
        """The concatenated output, in order, once every chunk is done."""
        return b"".join(self._parts(progress))

    def split(self, width: int) -> tuple[bytes, bytes]:
        """The two outputs of a `start_hash_and_blind_twice` job: singly-blinded points and
        doubly-blinded values truncated to `width`, each concatenated in order."""
        singly, doubly = [], []
        for part, size in zip(self._parts(None), self._sizes, strict=True):
            singly.append(part[: size * POINT_BYTES])
            doubly.append(part[size * POINT_BYTES :])
            if len(doubly[-1]) != size * width:
                raise ValueError("split() of a job that is not a hash_and_blind_twice job")
        return b"".join(singly), b"".join(doubly)

    def _parts(self, progress: Progress | None) -> list[bytes]:
        if self._inline is not None:
            out = self._inline()
            if progress is not None:
                progress(sum(self._sizes))
            return [out]
        parts = []
        try:
            for future, size in zip(self._futures, self._sizes, strict=True):
                parts.append(future.result())
                if progress is not None:
                    progress(size)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start afresh at the next call.
            self._pool.forget_workers()
            raise
        except BaseException:
            self.cancel()
            raise
        return parts

    def cancel(self) -> None:
        """Drop the chunks not started yet (the result is no longer wanted)."""
        for future in self._futures:
            future.cancel()

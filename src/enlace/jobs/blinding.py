"""Blinding chunks as jobs (issue 19): what an `enlace worker` does with one chunk of a PSI
run's blinding, and how its input and output are kept in the node's database.

A batch is one blinding step of one run (the requester's hash-and-blind of its set, the
responder's blinding of the requester's points or of its own set, the requester's second
blinding of the responder's points), cut in chunks by position. The batch row holds the
step's secret scalar; the job's arguments name only the batch and the chunk, so the scalar
is never in ``procrastinate_jobs`` and is gone with the batch row when the run has its
output (`delete_batch`).

Exactly once: a worker stores a chunk's output only where none is stored yet (``UPDATE ...
WHERE output IS NULL``), so a chunk retried after its first worker died (the stalled-job
sweep), or done twice by two workers, is stored once, and both copies are the same bytes
anyway (blinding is deterministic).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from sqlalchemy import and_, select, update

from enlace.matching.group import WireFormatError, blind_chunk, hash_and_blind_chunk
from enlace.store.store import Store
from enlace.store.tables import blinding_batches, blinding_chunks

BLIND = "blind"
HASH_AND_BLIND = "hash_and_blind"

_LENGTH = struct.Struct(">I")


def pack_keys(keys: Sequence[bytes]) -> bytes:
    """Keys of any length as one byte string: each prefixed with its 4-byte length."""
    return b"".join(_LENGTH.pack(len(key)) + key for key in keys)


def unpack_keys(packed: bytes) -> list[bytes]:
    """The keys `pack_keys` packed, in order."""
    keys, at = [], 0
    while at < len(packed):
        (size,) = _LENGTH.unpack_from(packed, at)
        at += _LENGTH.size
        keys.append(packed[at : at + size])
        at += size
    return keys


def blind_stored_chunk(store: Store, batch_id: str, chunk: int) -> bool:
    """Do one chunk of a batch and store its output; False when there was nothing to do (the
    batch is gone: its run ended, or gave up; or the chunk's output is stored already)."""
    with store.engine.connect() as connection:
        batch = connection.execute(
            select(
                blinding_batches.c.operation,
                blinding_batches.c.scalar,
                blinding_batches.c.domain,
                blinding_batches.c.width,
            ).where(blinding_batches.c.batch_id == batch_id)
        ).one_or_none()
        data = connection.execute(
            select(blinding_chunks.c.input).where(
                and_(
                    blinding_chunks.c.batch_id == batch_id,
                    blinding_chunks.c.chunk == chunk,
                    blinding_chunks.c.output.is_(None),
                    blinding_chunks.c.error.is_(None),
                )
            )
        ).scalar_one_or_none()
    if batch is None or data is None:
        return False
    operation, scalar, domain, width = batch
    output, error = b"", None
    try:
        if operation == HASH_AND_BLIND:
            output = hash_and_blind_chunk(domain or b"", unpack_keys(data), scalar)
        else:
            output = blind_chunk(data, scalar, width)
    except WireFormatError as failure:
        # Kept for the run, which refuses the partner's set as it does in process.
        error = str(failure)
    with store.engine.begin() as connection:
        stored = connection.execute(
            update(blinding_chunks)
            .where(
                and_(
                    blinding_chunks.c.batch_id == batch_id,
                    blinding_chunks.c.chunk == chunk,
                    blinding_chunks.c.output.is_(None),
                    blinding_chunks.c.error.is_(None),
                )
            )
            .values(output=None if error else output, error=error)
        )
    return stored.rowcount == 1

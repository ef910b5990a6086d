"""Name keys as jobs (issue 19): what an `enlace worker` does with one chunk of a PSI run's
name keys, and how its input and output are kept in the node's database.

A batch is the node's own records of one name kind (persons, or companies and criminal
organisations) for one run, cut by record id into chunks of a few thousand records
(enlace.matching.names.store.own_record_bounds). A chunk's row holds its id range, never the
records: the worker reads them from the node's records, as the run's process would, and
derives their keys with the same function (`own_name_keys` on the range). The job's
arguments name only the batch and the chunk.

Exactly once: a worker stores a chunk's keys only where none are stored yet (``UPDATE ...
WHERE output IS NULL``), so a chunk retried after its first worker died (the stalled-job
sweep), or done twice by two workers, is stored once; both copies are the same keys anyway
(the derivation is deterministic).
"""

from __future__ import annotations

import orjson
from sqlalchemy import and_, select, update
from sqlalchemy.exc import SQLAlchemyError

from enlace.matching.names.keys import NameKeyKind
from enlace.matching.names.store import own_name_keys
from enlace.store.store import Store
from enlace.store.tables import name_key_batches, name_key_chunks


def derive_stored_chunk(store: Store, batch_id: str, chunk: int) -> bool:
    """Derive one chunk's name keys and store them; False when there was nothing to do (the
    batch is gone: its run ended, or gave up; or the chunk's keys are stored already)."""
    output, error = b"", None
    with store.engine.connect() as connection:
        batch = connection.execute(
            select(name_key_batches.c.party, name_key_batches.c.kind).where(
                name_key_batches.c.batch_id == batch_id
            )
        ).one_or_none()
        bounds = connection.execute(
            select(name_key_chunks.c.after_id, name_key_chunks.c.upto_id).where(
                and_(
                    name_key_chunks.c.batch_id == batch_id,
                    name_key_chunks.c.chunk == chunk,
                    name_key_chunks.c.output.is_(None),
                    name_key_chunks.c.error.is_(None),
                )
            )
        ).one_or_none()
        if batch is None or bounds is None:
            return False
        party, kind = batch
        after, upto = bounds
        try:
            keys = own_name_keys(connection, party, NameKeyKind(kind), after=after, upto=upto)
            output = orjson.dumps(keys)
        except SQLAlchemyError:
            raise  # the database unreachable a moment: the job is tried again
        except Exception as failure:
            # A stored record that cannot be read fails the run in process too: kept for the
            # run, which raises it, instead of a job failing the same way on every retry.
            error = f"{type(failure).__name__}: {failure}"
    with store.engine.begin() as connection:
        stored = connection.execute(
            update(name_key_chunks)
            .where(
                and_(
                    name_key_chunks.c.batch_id == batch_id,
                    name_key_chunks.c.chunk == chunk,
                    name_key_chunks.c.output.is_(None),
                    name_key_chunks.c.error.is_(None),
                )
            )
            .values(output=None if error else output, error=error)
        )
    return stored.rowcount == 1

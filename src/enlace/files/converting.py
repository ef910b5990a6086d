"""Turning input items into record versions to store: here, or in worker processes.

Parsing and validating a row and encoding its STIX JSON is most of the work of an import,
and it does not need the database. A large file is therefore converted by a pool of worker
processes while this process reads the file and writes to the store; the outcomes come
back in the order of the file, so what is written, what is rejected and in which order is
the same as when everything runs here. Only a bounded number of chunks is in flight, so
memory stays flat whatever the size of the file.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from enlace.files.readers import MAX_CELL_CHARS, CsvHeader, CsvRow, InputItem, split_records
from enlace.files.rows import RowConverter
from enlace.model.errors import RecordError
from enlace.model.records import Record
from enlace.processes import collect_now_and_then, exit_with_parent
from enlace.store.versions import StoredVersion

# What converting one item gives: the version to store and whether the item carried its
# own timestamps; None for an object that is not a record (a bundle's descriptive
# objects); or the RecordError that rejects the item.
Outcome = tuple[StoredVersion, bool] | RecordError | None
_Payload = tuple[CsvHeader | None, list[tuple[str | Mapping[str, Any], bool]]]

# Files smaller than this are converted here: starting worker processes costs more than
# it saves (about 20,000 rows of CSV).
PARALLEL_MIN_BYTES = 8 << 20
MAX_WORKERS = 4
_CHUNK_ITEMS = 1000  # items sent to a worker at a time
# Chunks sent to each worker ahead of the one being written: enough that workers keep
# converting while this process writes a batch to the database, few enough that memory
# stays small.
_CHUNKS_AHEAD = 8
_SWITCH_INTERVAL = 0.0005  # seconds; see _converted_by_pool


def record_of(converter: RowConverter, item: InputItem) -> tuple[Record, bool] | None:
    """The record an item describes and whether it gave its timestamps; raise RecordError."""
    return _record_of(converter, item.values, item.is_stix)


def is_large(path: Path) -> bool:
    """True for a file worth worker processes and a bulk unit of work."""
    return path.stat().st_size >= PARALLEL_MIN_BYTES


def worker_count(path: Path, requested: int | None) -> int:
    """How many worker processes to convert `path` with; 0 means convert in this process."""
    if requested is not None:
        return max(0, requested)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    if cpus < 2 or not is_large(path):
        return 0
    # This process reads the file and writes the database, about as much work as
    # converting: one CPU for it, the others for workers.
    return min(cpus - 1, MAX_WORKERS)


def converted(
    converter: RowConverter, items: Iterable[InputItem], workers: int
) -> Generator[tuple[InputItem, Outcome], None, None]:
    """Each item with its outcome, in input order; with workers > 0, converted by a pool."""
    if workers <= 0:
        for item in items:
            yield item, _outcome(converter, item.values, item.is_stix)
        return
    yield from _converted_by_pool(converter, items, workers)


def _converted_by_pool(
    converter: RowConverter, items: Iterable[InputItem], workers: int
) -> Iterator[tuple[InputItem, Outcome]]:
    # spawn, not fork: the parent may run threads (a progress bar) and holds a database
    # connection, neither of which a forked child should inherit.
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(converter.party, dict(converter.agencies), converter.now, os.getpid()),
    )
    window: deque[tuple[list[InputItem], Future[list[Any]] | list[Outcome]]] = deque()
    sent = 0  # chunks in the window that a worker converts
    # This thread shares the GIL with the pool's threads that pickle chunks to the workers
    # and unpickle what comes back; at the default 5 ms switch interval they wait so long
    # that the workers sit idle.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(_SWITCH_INTERVAL)
    try:
        iterator = iter(items)
        while chunk := list(islice(iterator, _CHUNK_ITEMS)):
            # Hand on whatever is ready, in order.
            while window and _ready(window[0][1]):
                sent -= isinstance(window[0][1], Future)
                yield from _take(window.popleft())
            if sent >= workers * _CHUNKS_AHEAD:
                if len(window) < 2 * workers * _CHUNKS_AHEAD:
                    # The workers are behind: convert this chunk here rather than wait.
                    local = [_outcome(converter, item.values, item.is_stix) for item in chunk]
                    window.append((chunk, local))
                    continue
                sent -= isinstance(window[0][1], Future)
                yield from _take(window.popleft())
            window.append((chunk, pool.submit(_convert_chunk, _payload(chunk))))
            sent += 1
        while window:
            yield from _take(window.popleft())
    finally:
        sys.setswitchinterval(switch_interval)
        pool.shutdown(wait=True, cancel_futures=True)


def _ready(entry: Future[list[Any]] | list[Outcome]) -> bool:
    return not isinstance(entry, Future) or entry.done()


def _take(
    entry: tuple[list[InputItem], Future[list[Any]] | list[Outcome]],
) -> Iterator[tuple[InputItem, Outcome]]:
    chunk, done = entry
    if isinstance(done, Future):
        yield from zip(chunk, map(_received, done.result()), strict=True)
    else:
        yield from zip(chunk, done, strict=True)


def _payload(chunk: list[InputItem]) -> _Payload:
    # CSV records travel as their text, with the header they share sent once per chunk:
    # one string pickles at the speed of a copy, and the worker splits it into cells.
    header: CsvHeader | None = None
    rows: list[tuple[str | Mapping[str, Any], bool]] = []
    for item in chunk:
        values = item.values
        if isinstance(values, CsvRow):
            header = values.header
            rows.append((values.text, item.is_stix))
        else:
            rows.append((values, item.is_stix))
    return header, rows


# --- in the worker process -----------------------------------------------------------

_worker_converter: RowConverter | None = None


def _start_worker(party: str, agencies: dict[str, str], now: datetime, parent: int) -> None:
    global _worker_converter  # one converter per worker process
    exit_with_parent(parent)
    _worker_converter = RowConverter(party=party, agencies=agencies, now=now)
    gc.disable()  # see collector_paused; this process does nothing else


def _convert_chunk(payload: _Payload) -> list[Any]:
    converter = _worker_converter
    assert converter is not None, "worker not started"
    header, rows = payload
    texts = [values for values, _ in rows if isinstance(values, str)]
    if texts:
        assert header is not None, "CSV records come with their header"
        cells = iter(split_records(texts, header.delimiter))
    sent = []
    for values, is_stix in rows:
        if isinstance(values, str):
            assert header is not None, "CSV records come with their header"
            values = CsvRow(header, values, next(cells))
        sent.append(_sent(_outcome(converter, values, is_stix)))
    collect_now_and_then()
    return sent


def _sent(outcome: Outcome) -> Any:
    # Plain tuples: unpickling a named tuple calls its class for each one, which costs the
    # importing process four times as much as the tuple itself. A RecordError does not
    # survive pickling (its constructor takes three arguments).
    if isinstance(outcome, RecordError):
        return ("rejected", outcome.field, outcome.found, outcome.expected)
    if outcome is None:
        return None
    version, given = outcome
    return (given, *version)


def _received(sent: Any) -> Outcome:
    if sent is None:
        return None
    if sent[0] == "rejected":
        return RecordError(sent[1], sent[2], sent[3])
    return _make_version(sent[1:]), sent[0]


_make_version = StoredVersion._make


# --- in either -------------------------------------------------------------------------


def _outcome(converter: RowConverter, values: Mapping[str, Any], is_stix: bool) -> Outcome:
    try:
        found = _record_of(converter, values, is_stix)
        if found is None:
            return None
        record, given = found
        # Storing a record computes its identifier keys, which may still reject it.
        return StoredVersion.of(record), given
    except RecordError as error:
        return error


def _record_of(
    converter: RowConverter, values: Mapping[str, Any], is_stix: bool
) -> tuple[Record, bool] | None:
    if isinstance(values, CsvRow):
        cells = values.cells
        if len(cells) != values.header.width:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                return None  # a record of one blank quoted cell: nothing in it
            raise RecordError("(row)", f"{len(cells)} cells", "as many cells as the header")
        # Only a record longer than a cell may hold a cell too long: one test for the others.
        if len(values.text) > MAX_CELL_CHARS or "\x00" in values.text:
            _check_cells(values)
        return converter.from_row(values)
    if "__json__" in values:
        raise RecordError("(line)", str(values["__json__"]), "one JSON object per line")
    _check_texts(values, "")
    if is_stix:
        if converter.is_descriptive(values):
            return None
        return converter.from_stix(values)
    return converter.from_row(values)


# --- texts no store can keep ----------------------------------------------------------

NUL_EXPECTED = "text without NUL characters (U+0000): no store keeps them"
_CELL_EXPECTED = f"at most {MAX_CELL_CHARS:,} characters in a cell (docs/import-formats.md)"


def _check_cells(row: CsvRow) -> None:
    """Refuse a cell longer than MAX_CELL_CHARS or holding a NUL, naming its column."""
    names = {position: name for name, position in row.index.items()}
    for position, cell in enumerate(row.cells):
        column = names.get(position, f"column {position + 1}")
        _check_text(cell, column)


def _check_texts(value: object, where: str) -> None:
    """Refuse a text of a JSON value (any depth) that is too long or holds a NUL."""
    if isinstance(value, str):
        _check_text(value, where or "(value)")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            _check_text(str(key), name)
            _check_texts(item, name)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            _check_texts(item, f"{where}[{number}]")


def _check_text(text: str, field: str) -> None:
    if len(text) > MAX_CELL_CHARS:
        raise RecordError(field, f"a text of {len(text):,} characters", _CELL_EXPECTED)
    at = text.find("\x00")
    if at >= 0:
        # The text around the NUL, not all of it: a problem is one line.
        raise RecordError(field, text[max(at - 20, 0) : at + 20], NUL_EXPECTED)

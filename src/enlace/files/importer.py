"""`enlace import`: stream a file into the node's store, all or nothing by default."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from enlace.files.converting import (
    converted,
    is_large,
    record_of,
    worker_count,
)
from enlace.files.problems import ImportRejected, InputProblem
from enlace.files.readers import Format, InputItem, detect_format, read_items
from enlace.files.rows import RowConverter
from enlace.model.csv_cells import FormulaSafeDictWriter
from enlace.model.errors import RecordError
from enlace.model.records import Agency, record_from_stix
from enlace.model.timestamps import utc_now
from enlace.processes import collect_now_and_then, collector_paused
from enlace.store.errors import VersionConflict
from enlace.store.store import BULK_ROWS, Store
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredVersion

MAX_PROBLEMS_SHOWN = 50
MAX_IDS_AUDITED = 50  # the ids named in one "takeover-refused" entry; the count says the rest
Progress = Callable[[int], None]


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    path: Path
    read: int = 0
    imported: int = 0  # new record versions written
    unchanged: int = 0  # already held: nothing written
    rejected: int = 0
    rejects_path: Path | None = None


class _TakeoverRefused(Exception):
    """Rows would make this node the author of partners' records: the import is refused."""

    def __init__(self, refused: list[tuple[InputProblem, InputItem]]) -> None:
        self.refused = refused
        super().__init__(f"{len(refused)} row(s) name records received from partners")


@dataclass(slots=True)
class _Pending:
    item: InputItem
    version: StoredVersion
    timestamps_given: bool


def import_file(
    store: Store,
    *,
    party: str,
    path: Path,
    fmt: str | None = None,
    encoding: str | None = None,
    rejects: Path | None = None,
    batch_size: int = 2000,
    on_progress: Progress | None = None,
    workers: int | None = 0,
    audited_as: tuple[str, str, str] | None = None,
) -> ImportReport:
    """Use case: import `path` into `store` as records owned by `party`.

    Without `rejects`, any bad row means nothing is written and ImportRejected lists the
    problems. With `rejects`, good rows are written and bad ones go to that CSV with reasons.
    Rows already held (same id and version, or same content) are skipped, so re-importing a
    file creates no duplicates.

    `workers` processes convert the rows while this one reads and writes: 0 (the default)
    converts here; None chooses by file size and CPUs. Workers are started with 'spawn', so
    a script that passes a non-zero value needs the usual `if __name__ == "__main__":` guard.

    `audited_as` (actor, the file's name as the user knows it, the way in, e.g. "web") writes
    an "import" audit entry in the same unit of work as the records.
    """
    chosen = detect_format(path, fmt)
    items = read_items(path, chosen, encoding)
    report = ImportReport(path=path, rejects_path=rejects)
    problems: list[InputProblem] = []
    taken: list[str] = []  # ids of partners' records rows named (the first MAX_IDS_AUDITED)
    taken_count = 0
    actor, name, via = audited_as or ("cli", path.name, "cli")
    try:
        with (
            store.unit_of_work(bulk=is_large(path)) as uow,
            _RejectsWriter(rejects) as rejects_out,
        ):
            converter = RowConverter(party=party, agencies=_agencies(uow, party), now=utc_now())

            def flush(pending: list[_Pending]) -> None:
                nonlocal taken_count
                try:
                    refused, duplicates = _flush(uow, converter, pending, report, path)
                except VersionConflict as conflict:
                    # A version an earlier batch of this file wrote, or one held before: the
                    # file is read again (nothing will be written) to name the rows.
                    found = _conflict_problem(path, chosen, encoding, converter, conflict)
                    raise ImportRejected(path, [found], 1) from None
                if refused and rejects is None:
                    raise _TakeoverRefused(refused)
                if duplicates and rejects is None:
                    shown = [problem for problem, _item in duplicates[:MAX_PROBLEMS_SHOWN]]
                    raise ImportRejected(path, shown, len(duplicates))
                for problem, item in duplicates:
                    report.rejected += 1
                    if len(problems) < MAX_PROBLEMS_SHOWN:
                        problems.append(problem)
                    rejects_out.write(problem, item)
                for problem, item in refused:
                    report.rejected += 1
                    if len(problems) < MAX_PROBLEMS_SHOWN:
                        problems.append(problem)
                    rejects_out.write(problem, item)
                    taken_count += 1
                    if len(taken) < MAX_IDS_AUDITED:
                        taken.append(problem.found)

            pending: list[_Pending] = []
            outcomes = converted(converter, items, worker_count(path, workers))
            with closing(outcomes), uow.records.bulk_writes(), collector_paused():
                for item, outcome in outcomes:
                    report.read += 1
                    if isinstance(outcome, RecordError):
                        report.rejected += 1
                        problem = _problem(path, item, outcome)
                        if len(problems) < MAX_PROBLEMS_SHOWN:
                            problems.append(problem)
                        rejects_out.write(problem, item)
                    elif outcome is not None and (rejects is not None or report.rejected == 0):
                        pending.append(_Pending(item, *outcome))
                    if len(pending) >= batch_size:
                        flush(pending)
                        pending.clear()
                        collect_now_and_then()
                    if on_progress is not None and report.read % 1000 == 0:
                        on_progress(1000)
                if report.rejected and rejects is None:
                    raise ImportRejected(path, problems, report.rejected)
                flush(pending)
                if taken_count:
                    _audit_takeovers(uow, taken, taken_count, actor=actor, name=name, via=via)
                if audited_as is not None:
                    uow.audit.append(
                        actor=actor,
                        action="import",
                        subject=name,
                        detail={"read": report.read, "imported": report.imported, "via": via},
                    )
                uow.commit()
    except _TakeoverRefused as takeover:
        # Nothing of the file was written (the unit of work rolled back); the attempt is
        # kept as evidence in a unit of work of its own.
        with store.unit_of_work() as uow:
            ids = [problem.found for problem, _item in takeover.refused]
            _audit_takeovers(uow, ids, len(ids), actor=actor, name=name, via=via)
            uow.commit()
        shown = [problem for problem, _item in takeover.refused[:MAX_PROBLEMS_SHOWN]]
        raise ImportRejected(path, shown, len(takeover.refused)) from None
    if report.imported >= BULK_ROWS:
        # A bulk load's rows are unknown to PostgreSQL's planner until autovacuum gets to
        # them: lists would scan a million rows where an index holds none. Tell it now.
        store.refresh_planner_statistics()
    if on_progress is not None:
        on_progress(report.read % 1000)
    return report


def _audit_takeovers(
    uow: UnitOfWork, ids: list[str], count: int, *, actor: str, name: str, via: str
) -> None:
    uow.audit.append(
        actor=actor,
        action="takeover-refused",
        subject=name,
        detail={"count": count, "records": ids[:MAX_IDS_AUDITED], "via": via},
    )


_Set = list[tuple[InputProblem, InputItem]]


def _flush(
    uow: UnitOfWork,
    converter: RowConverter,
    pending: list[_Pending],
    report: ImportReport,
    path: Path,
) -> tuple[_Set, _Set]:
    """Write `pending`, but for the rows naming a record received from a partner and the
    rows repeating another row's id and version with other content: those are returned
    (takeovers, duplicates), with their problem, and nothing of them is written.

    Raises VersionConflict for a version held already (written before this import, or by an
    earlier batch of it) with other content.
    """
    if not pending:
        return [], []
    # A partner's record is read-only here: only its owner issues new versions of it. A row
    # with its id would make this node its author, and it could then be released onward.
    received = uow.records.received_among(p.version.id for p in pending)
    refused = [
        (_takeover_problem(path, p, received[p.version.id]), p.item)
        for p in pending
        if p.version.id in received
    ]
    if refused:
        pending = [p for p in pending if p.version.id not in received]
    # Rows without timestamps are new versions only when their content changed.
    implicit = [p.version.id for p in pending if not p.timestamps_given]
    latest = uow.records.latest_digests(implicit) if implicit else {}
    versions: list[StoredVersion] = []
    duplicates: _Set = []
    # (id, modified) -> the row that gave it first in this batch; a batch is bounded, so is this.
    first_of: dict[tuple[str, str], tuple[_Pending, str]] = {}
    for item in pending:
        version = item.version
        if not item.timestamps_given and version.id in latest:
            held_modified, held_digest = latest[version.id]
            if held_digest == version.content_digest:
                report.unchanged += 1
                continue
            if held_modified >= version.modified:
                # A changed row without timestamps: a new version just after the one held.
                found = record_of(converter, item.item)
                assert found is not None, "a converted item is a record"
                bumped = _after(held_modified)
                version = StoredVersion.of(found[0].with_version(modified=bumped))
        first, digest = first_of.setdefault(
            (version.id, version.modified), (item, version.content_digest)
        )
        if first is not item and digest != version.content_digest:
            problem = _duplicate_problem(path, first.item, item.item, version.id, version.modified)
            duplicates.append((problem, item.item))
            continue
        versions.append(version)
    added = uow.records.add(versions, added_at=uow.started_at)
    report.imported += added
    report.unchanged += len(versions) - added
    return refused, duplicates


def _duplicate_problem(
    path: Path, first: InputItem, again: InputItem, record_id: str, modified: str
) -> InputProblem:
    return InputProblem(
        path,
        again.line,
        again.where,
        "id",
        record_id,
        f"an id given once (duplicate id): {first.where} and {again.where} both give "
        f"version {modified} of it, with other content",
    )


def _conflict_problem(
    path: Path,
    fmt: Format,
    encoding: str | None,
    converter: RowConverter,
    conflict: VersionConflict,
) -> InputProblem:
    """Name the rows of the file that give the conflicting version: the first and the one
    that repeated it, or the one row when the version held came from before the import."""
    key = (conflict.record_id, conflict.modified)
    rows = _rows_giving(path, fmt, encoding, converter, key)
    if len(rows) >= 2:
        return _duplicate_problem(path, rows[0], rows[1], conflict.record_id, conflict.modified)
    where = rows[0] if rows else None
    return InputProblem(
        path,
        where.line if where else None,
        where.where if where else f"record {conflict.record_id}",
        "modified",
        conflict.modified,
        "a new 'modified' time: this version of the record is held already with other content",
    )


def _rows_giving(
    path: Path, fmt: Format, encoding: str | None, converter: RowConverter, key: tuple[str, str]
) -> list[InputItem]:
    """The first two items of the file that give version `key` (id, modified).

    Only on the way to refusing an import: converting the file again costs what reading it
    did, and keeps memory flat where a map of every id and line would not.
    """
    found: list[InputItem] = []
    for item in read_items(path, fmt, encoding):
        named = str(item.values.get("id") or "").strip()
        if named and named != key[0]:
            continue  # the row names another id: no need to convert it
        try:
            described = record_of(converter, item)
        except RecordError:
            continue
        if described is None or described[0].id != key[0]:
            continue
        if StoredVersion.of(described[0]).modified == key[1]:
            found.append(item)
            if len(found) == 2:
                break
    return found


def _takeover_problem(path: Path, pending: _Pending, source: str) -> InputProblem:
    return InputProblem(
        path,
        pending.item.line,
        pending.item.where,
        "id",
        pending.version.id,
        f"the id of a record of this node's own: {pending.version.id} was received from "
        f"{source}, and only its owner issues new versions of it",
    )


def _after(modified: str) -> datetime:
    held = datetime.fromisoformat(modified)
    return held + timedelta(microseconds=1)


def _agencies(uow: UnitOfWork, party: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in uow.records.iter_latest(kind="agency"):
        agency = record_from_stix(row.stix_object())
        if isinstance(agency, Agency) and agency.party == party:
            found[agency.acronym] = agency.id
    return found


def _problem(path: Path, item: InputItem, error: RecordError) -> InputProblem:
    if error.found is None:
        found = ""
    else:
        found = error.found if isinstance(error.found, str) else repr(error.found)
    return InputProblem(path, item.line, item.where, error.field, found, error.expected)


class _RejectsWriter:
    """Writes rejected rows with their reasons; does nothing when no rejects file was asked."""

    COLUMNS = ("where", "field", "found", "expected", "original")

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._handle: IO[str] | None = None
        self._writer: FormulaSafeDictWriter | None = None

    def __enter__(self) -> _RejectsWriter:
        if self._path is not None:
            self._handle = self._path.open("w", encoding="utf-8", newline="")
            # A rejected row is shown in a spreadsheet to be fixed: no cell may run there.
            self._writer = FormulaSafeDictWriter(self._handle, self.COLUMNS)
            self._writer.writeheader()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()

    def write(self, problem: InputProblem, item: InputItem) -> None:
        """Record one rejected item."""
        if self._writer is not None:
            self._writer.writerow(
                {
                    "where": problem.where,
                    "field": problem.field,
                    "found": problem.found,
                    "expected": problem.expected,
                    "original": item.original,
                }
            )


def format_summary(report: ImportReport) -> Iterable[str]:
    """Lines telling a person what the import did."""
    yield (
        f"{report.path.name}: read {report.read}, imported {report.imported} new version(s), "
        f"{report.unchanged} already held"
    )
    if report.rejected:
        yield f"{report.rejected} rejected row(s) written with reasons to {report.rejects_path}"


__all__ = ["ImportReport", "format_summary", "import_file"]

"""`enlace import`: stream a file into the node's store, all or nothing by default."""

from __future__ import annotations

import csv
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
from enlace.files.readers import InputItem, detect_format, read_items
from enlace.files.rows import RowConverter
from enlace.model.errors import RecordError
from enlace.model.records import Agency, record_from_stix
from enlace.model.timestamps import utc_now
from enlace.processes import collect_now_and_then, collector_paused
from enlace.store.errors import VersionConflict
from enlace.store.store import Store
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
                refused = _flush(uow, converter, pending, report, path)
                if refused and rejects is None:
                    raise _TakeoverRefused(refused)
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


def _flush(
    uow: UnitOfWork,
    converter: RowConverter,
    pending: list[_Pending],
    report: ImportReport,
    path: Path,
) -> list[tuple[InputProblem, InputItem]]:
    """Write `pending`, but for the rows naming a record received from a partner: those are
    returned, with their problem, and nothing of them is written."""
    if not pending:
        return []
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
        versions.append(version)
    try:
        added = uow.records.add(versions, added_at=uow.started_at)
    except VersionConflict as conflict:
        problem = InputProblem(
            path,
            None,
            f"record {conflict.record_id}",
            "modified",
            conflict.modified,
            "a new 'modified' time for changed content",
        )
        raise ImportRejected(path, [problem], 1) from None
    report.imported += added
    report.unchanged += len(versions) - added
    return refused


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
        self._writer: csv.DictWriter[str] | None = None

    def __enter__(self) -> _RejectsWriter:
        if self._path is not None:
            self._handle = self._path.open("w", encoding="utf-8", newline="")
            self._writer = csv.DictWriter(self._handle, fieldnames=self.COLUMNS)
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

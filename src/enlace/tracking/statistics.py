"""`enlace stats import`: CBP "Nationwide Drug Seizures" CSV into the store, newer editions winning.

An edition is identified by the latest fiscal year its file covers (cbp_fy20_fy23.csv is
edition 2023). A file replaces, fiscal year by fiscal year, what an older or the same edition
put there, and leaves alone any fiscal year held from a newer edition: so fy20_fy23 wins
FY2020-FY2022 over fy19_fy22 whichever is imported first, and importing a file twice changes
nothing.

A file that would replace a stored fiscal year with fewer months than it holds is refused
(PartialFiscalYear), whatever its edition, unless the caller says so (`replace_partial`,
`--replace-partial`): a file cut at a line boundary reads as a valid file of fewer months,
and replacing a full year with it would silently shrink that year's figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from enlace.store.repositories.statistics import CbpRow
from enlace.store.store import Store
from enlace.tracking.statistics_csv import StatisticsFileError, read_cbp_file

AUDIT_ACTION = "stats-import"


class PartialFiscalYear(StatisticsFileError):
    """A file holds fewer months of a fiscal year than the node already stores for it."""

    def __init__(self, file: str, shrinking: dict[int, tuple[int, int]]) -> None:
        self.file = file
        self.shrinking = shrinking  # fiscal year -> (months in the file, months stored)
        years = "; ".join(
            f"FY{year}: {have} month(s) in the file, {held} stored"
            for year, (have, held) in sorted(shrinking.items())
        )
        super().__init__(
            f"{file}: would replace fiscal years with fewer months than the node holds "
            f"({years}); nothing was imported. Expected a file with every month already "
            "stored (is it cut short?); to replace them anyway, import it with --replace-partial"
        )


@dataclass(frozen=True, slots=True)
class CbpImportReport:
    """What an import did, fiscal year by fiscal year."""

    file: str
    edition: int
    rows: int
    written: tuple[int, ...] = ()  # fiscal years stored from this file
    unchanged: tuple[int, ...] = ()  # already held, identical, from this edition
    kept_newer: dict[int, int] = field(default_factory=dict)  # year -> newer edition held

    @property
    def changed(self) -> bool:
        """True when the import wrote anything."""
        return bool(self.written)


def import_cbp_statistics(
    store: Store, path: Path, *, actor: str = "cli", replace_partial: bool = False
) -> CbpImportReport:
    """Validate a CBP CSV and store it in one unit of work, audited; raise StatisticsFileError.

    The whole file is read and checked before anything is written: a file with a bad row
    changes nothing. Raise PartialFiscalYear, changing nothing, when the file would replace
    a stored fiscal year with fewer months, unless `replace_partial`.
    """
    edition_file = read_cbp_file(path)
    by_year: dict[int, list[CbpRow]] = defaultdict(list)
    for row in edition_file.rows:
        by_year[row.fiscal_year].append(row)
    written: list[int] = []
    unchanged: list[int] = []
    kept: dict[int, int] = {}
    with store.unit_of_work() as uow:
        repository = uow.statistics
        held = repository.editions_by_year()
        months_held = repository.months_held()
        shrinking: dict[int, tuple[int, int]] = {}
        for year, rows in by_year.items():
            held_edition = held.get(year)
            if held_edition is None or held_edition > edition_file.edition:
                continue  # nothing stored to shrink, or kept from a newer edition
            have = len({row.month for row in rows})
            if have < len(months_held.get(year, ())):
                shrinking[year] = (have, len(months_held[year]))
        if shrinking and not replace_partial:
            raise PartialFiscalYear(path.name, shrinking)
        for year in sorted(by_year):
            rows = by_year[year]
            held_edition = held.get(year)
            if held_edition is not None and held_edition > edition_file.edition:
                kept[year] = held_edition
                continue
            if held_edition == edition_file.edition and set(repository.rows_of_year(year)) == set(
                rows
            ):
                unchanged.append(year)
                continue
            repository.replace_fiscal_year(
                year, rows, edition=edition_file.edition, source_file=path.name
            )
            written.append(year)
        report = CbpImportReport(
            file=path.name,
            edition=edition_file.edition,
            rows=len(edition_file.rows),
            written=tuple(written),
            unchanged=tuple(unchanged),
            kept_newer=kept,
        )
        # A re-import that finds everything in place writes nothing, not even an entry.
        if report.changed:
            uow.audit.append(
                actor=actor,
                action=AUDIT_ACTION,
                subject=path.name,
                detail={
                    "edition": report.edition,
                    "rows": report.rows,
                    "fiscal_years_written": list(report.written),
                    "fiscal_years_unchanged": list(report.unchanged),
                    "fiscal_years_kept_newer": {str(y): e for y, e in kept.items()},
                    # Asked for with --replace-partial: year -> [months in file, months held].
                    "fiscal_years_replaced_partial": {
                        str(y): list(pair) for y, pair in shrinking.items() if y in written
                    },
                },
            )
            uow.commit()
    return report


def describe_import(report: CbpImportReport) -> list[str]:
    """Lines telling the user what the import did."""
    lines = [f"{report.file}: edition FY{report.edition}, {report.rows:,} rows read"]
    if report.written:
        lines.append("stored fiscal years: " + ", ".join(f"FY{y}" for y in report.written))
    if report.unchanged:
        lines.append("already held, unchanged: " + ", ".join(f"FY{y}" for y in report.unchanged))
    for year, edition in sorted(report.kept_newer.items()):
        lines.append(f"FY{year} kept from the newer edition FY{edition}")
    if not report.changed:
        lines.append("nothing changed")
    return lines


__all__ = [
    "AUDIT_ACTION",
    "CbpImportReport",
    "PartialFiscalYear",
    "StatisticsFileError",
    "describe_import",
    "import_cbp_statistics",
]

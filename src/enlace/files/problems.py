"""What went wrong in an input file, said so a person can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One bad row or object: where it is, which field, what was found, what was expected."""

    path: Path
    line: int | None  # CSV/JSON Lines line number (1-based); None for bundle objects
    where: str  # "line 12" or "object #3 (seizure--…)"
    field: str
    found: str
    expected: str

    def __str__(self) -> str:
        found = repr(self.found) if self.found not in ("", "None") else "nothing"
        return (
            f"{self.path.name}: {self.where}, field '{self.field}': "
            f"found {found}, expected {self.expected}"
        )


class ImportRejected(Exception):
    """The file had bad rows; nothing was written. Carries every problem found (up to a cap)."""

    def __init__(self, path: Path, problems: list[InputProblem], total: int) -> None:
        self.path = path
        self.problems = problems
        self.total = total
        shown = "\n".join(f"  {p}" for p in problems)
        more = f"\n  … and {total - len(problems)} more" if total > len(problems) else ""
        super().__init__(
            f"{path}: {total} bad row(s); nothing was imported.\n{shown}{more}\n"
            "Fix them, or run again with --rejects FILE to import the good rows and write "
            "the bad ones with their reasons to FILE."
        )


class UnreadableFile(Exception):
    """The file itself cannot be read as the format it claims (encoding, JSON, header)."""

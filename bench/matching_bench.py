"""Private matching: exact PSI and name matching, beside the reference tools, in one run.

    .venv/bin/python bench/matching_bench.py [--sizes 100000 1000000] [--names 100000]
                                             [--workers 2] [--no-reference] [--out DIR]

Exact identifiers: enlace's DH-PSI over ristretto255 (`enlace.matching.psi.
intersect_in_process`: the same blinding pool, scalars, shuffle and encodings as a run
between nodes, without HTTP or a store) on n x n phone numbers with 30 % in common, beside
openmined-psi (OpenMined's C++ ECDH-PSI, both roles in one process) on the same sets. Wall
time, bytes per element on the wire (all messages / (n + m)), CPU use ((user + sys of the
process and its workers) / wall), and the floor the hardware allows: 2(n + m) scalar
multiplications at the cost measured in this run, spread over the workers. Each size runs
twice: without and with proofs (protocol 4's links mode: the responder answers unproved, the
requester then weighs every pair with scalars from a fresh seed and asks the one check, the
responder answers it with one DLEQ proof that the requester verifies; round 2 claims each
matched key and the responder checks the claims; docs/matching.md, "Proofs"), with the
ratios of the wall and CPU times.

Names: persons of the synthetic generator (enlace.synth), n a side, with its ground truth;
enlace's private name matching (names/keys.py keys through the same PSI, weighed by
names/evidence.py, scoring.py) beside splink (Fellegi-Sunter on DuckDB, sees every name in
the clear) and clkhash + anonlink (Bloom-filter encodings compared by Dice similarity).
Precision, recall, F1, wall time; for persons also by category (date of birth missing on
one side, typo in the given name). Then the companies and criminal organisations of the
same world, the same three tools.

The reference tools run in their own virtual environment, bench/.venv-reference, made here
on first use (clkhash pins an old `cryptography`, anonlink needs an older setuptools: they
must not constrain enlace's own dependencies), as subprocesses exchanging files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psutil
import rbcl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from enlace.matching.names.keys import OrgName, PersonName
from enlace.matching.names.match import PsiIntersection, match_organisations, match_persons
from enlace.matching.psi import intersect_in_process
from import_bench import machine, tree_rss
from matching_data import NameData, organisations, persons

HERE = Path(__file__).resolve().parent
REFERENCE_VENV = HERE / ".venv-reference"
REFERENCE_PACKAGES = (
    "setuptools<70",  # anonlink's build needs pkg_resources
    "openmined.psi==2.0.6",
    "splink==5.0.0",
    "clkhash==0.18.3",
    "anonlink==0.15.3",
)
PHONE_DOMAIN = b"enlace/psi/v1/phone\x00"


class PeakMemory:
    """`with PeakMemory() as peak:` polls this process tree's RSS every 50 ms; peak.mb after."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(me))
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak / 2**20


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def scalarmult_cost(samples: int = 2000) -> float:
    """Seconds per ristretto255 scalar multiplication (libsodium via rbcl), measured now."""
    scalar = bytes(rbcl.crypto_core_ristretto255_scalar_random())
    point = bytes(rbcl.crypto_core_ristretto255_from_hash(hashlib.sha512(b"bench").digest()))
    start = time.perf_counter()
    for _ in range(samples):
        point = rbcl.crypto_scalarmult_ristretto255(scalar, point)
    return (time.perf_counter() - start) / samples


# --- the reference environment -------------------------------------------------------


def reference_python() -> tuple[Path | None, str]:
    """The reference venv's python (made and filled if missing), or None and what failed."""
    python = REFERENCE_VENV / "bin" / "python"
    marker = REFERENCE_VENV / ".installed"
    wanted = "\n".join(REFERENCE_PACKAGES)
    if marker.exists() and marker.read_text() == wanted:
        return python, ""
    if not python.exists():
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(REFERENCE_VENV)], capture_output=True, text=True
        )
        if made.returncode:
            return None, f"python -m venv {REFERENCE_VENV} failed: {made.stderr.strip()[-400:]}"
    for package in REFERENCE_PACKAGES:
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", package], capture_output=True, text=True
        )
        if done.returncode:
            return None, f"pip install {package} failed: {done.stderr.strip()[-600:]}"
    marker.write_text(wanted)
    return python, ""


def run_reference(python: Path, *args: str) -> dict[str, object]:
    """One reference tool run (bench/matching_reference.py); its JSON, or {'error': ...}."""
    done = subprocess.run(
        [str(python), str(HERE / "matching_reference.py"), *args], capture_output=True, text=True
    )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- exact PSI ----------------------------------------------------------------------------


def phone_sets(n: int, seed: int = 1) -> tuple[list[bytes], list[bytes]]:
    """Two sets of n distinct E.164 numbers, 30 % of them in both."""
    rng = random.Random(seed)
    numbers = rng.sample(range(10**9), 2 * n)
    common = int(0.3 * n)
    left = [f"+521{x:09d}".encode() for x in numbers[:n]]
    right = left[:common] + [f"+521{x:09d}".encode() for x in numbers[n : 2 * n - common]]
    rng.shuffle(right)
    return left, right


@dataclass
class ExactRow:
    size: int
    tool: str
    wall: float | None
    bytes_per_element: float | None
    cpu_use: float | None
    found: int | None
    note: str = ""


def exact_enlace(
    n: int, workers: int, *, proofs: bool = False, without: ExactRow | None = None
) -> ExactRow:
    """A run of n x n; with `proofs`, links mode of protocol 4 (checked blinding, checked
    claims), and `without` the same size's run without them, for the ratios."""
    left, right = phone_sets(n)
    cpu0, t0 = _cpu(), time.perf_counter()
    with PeakMemory() as peak:
        pairs, wire = intersect_in_process(left, right, PHONE_DOMAIN, workers, proofs=proofs)
    wall = time.perf_counter() - t0
    cpu = _cpu() - cpu0
    tool = "enlace DH-PSI (ristretto255)" + (" with proofs" if proofs else "")
    note = f"peak RSS {peak.mb:.0f} MB (with workers)"
    if without is not None and without.wall and without.cpu_use:
        note += (
            f"; {wall / without.wall:.2f}× the wall time and "
            f"{cpu / (without.cpu_use * without.wall):.2f}× the CPU time without proofs"
        )
    return ExactRow(n, tool, wall, wire / (2 * n), cpu / wall, len(pairs), note)


def exact_openmined(n: int, python: Path | None, why: str, out: Path) -> ExactRow:
    tool = "openmined-psi 2.0.6 (ECDH P-256)"
    if python is None:
        return ExactRow(n, tool, None, None, None, None, why)
    left, right = phone_sets(n)
    client, server = out / f"psi-client-{n}.txt", out / f"psi-server-{n}.txt"
    client.write_bytes(b"\n".join(left))
    server.write_bytes(b"\n".join(right))
    got = run_reference(python, "psi", "--client", str(client), "--server", str(server))
    if "error" in got:
        return ExactRow(n, tool, None, None, None, None, str(got["error"]))
    wall = float(got["wall"])  # type: ignore[arg-type]
    return ExactRow(
        n,
        tool,
        wall,
        float(got["wire_bytes"]) / (2 * n),  # type: ignore[arg-type]
        float(got["cpu"]) / wall,  # type: ignore[arg-type]
        int(got["found"]),  # type: ignore[call-overload]
    )


# --- names --------------------------------------------------------------------------------


@dataclass
class NameRow:
    tool: str
    precision: float | None
    recall: float | None
    f1: float | None
    wall: float | None
    by_variation: dict[str, float]
    note: str = ""
    found: frozenset[tuple[str, str]] = frozenset()


def score(
    found: set[tuple[str, str]], data: NameData, tool: str, wall: float, note: str = ""
) -> NameRow:
    truth = data.truth
    hits = found & truth.keys()
    precision = len(hits) / len(found) if found else 0.0
    recall = len(hits) / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    total = Counter(truth.values())
    hit = Counter(truth[p] for p in hits)
    by_variation = {v: hit[v] / n for v, n in sorted(total.items())}
    return NameRow(tool, precision, recall, f1, wall, by_variation, note, frozenset(found))


@dataclass
class Category:
    """Precision, recall and F1 of one tool on one category of the truth."""

    precision: float
    recall: float
    f1: float
    pairs: int


def _prf(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> Category:
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return Category(precision, recall, f1, len(truth))


def person_categories(row: NameRow, data: NameData) -> dict[str, Category]:
    """The issue's categories: overall; date of birth missing on one side; given-name typo.

    Precision of "without a date of birth": among the found pairs where either record has
    none (every such pair, true or not). Of "typo in the given name": among the found pairs
    that take a record of a true pair with that typo.
    """
    found = set(row.found)
    truth = set(data.truth)
    no_birth = {p for p, v in data.truth.items() if v == "date of birth missing"}
    found_no_birth = {
        (a, b)
        for a, b in found
        if data.mx[a].date_of_birth is None or data.us[b].date_of_birth is None  # type: ignore[union-attr]
    }
    typos = {p for p, v in data.truth.items() if v == "typo in given name"}
    typo_records = {a for a, _ in typos} | {b for _, b in typos}
    found_typos = {(a, b) for a, b in found if a in typo_records or b in typo_records}
    return {
        "persons, overall": _prf(found, truth),
        "persons, date of birth missing on one side": _prf(found_no_birth, no_birth),
        "persons, typo in the given name": _prf(found_typos, typos),
    }


def print_categories(rows: list[NameRow], categories: list[dict[str, Category]]) -> None:
    shown = [(r, c) for r, c in zip(rows, categories, strict=True) if c]
    if not shown:
        return
    print("\nBy category (precision / recall / F1):\n")
    print("| category | true pairs | " + " | ".join(r.tool.split(" ")[0] for r, _ in shown) + " |")
    print("| --- | ---: | " + " | ".join("---" for _ in shown) + " |")
    for name in shown[0][1]:
        cells = " | ".join(
            f"{c[name].precision:.3f} / {c[name].recall:.3f} / {c[name].f1:.3f}" for _, c in shown
        )
        print(f"| {name} | {shown[0][1][name].pairs:,} | {cells} |")


def write_persons(path: Path, side: dict[str, PersonName]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "given_names", "first_surname", "second_surname", "date_of_birth"])
        for record, p in side.items():
            born = p.date_of_birth.isoformat() if p.date_of_birth else ""
            writer.writerow([record, p.given_names, p.first_surname, p.second_surname or "", born])


def write_organisations(path: Path, side: dict[str, OrgName]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name"])
        for record, org in side.items():
            writer.writerow([record, org.name])


def read_pairs(path: Path) -> set[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {(row["mx"], row["us"]) for row in csv.DictReader(handle)}


def names_enlace(data: NameData, workers: int) -> tuple[NameRow, PsiIntersection]:
    psi = PsiIntersection(workers=workers)
    t0 = time.perf_counter()
    with PeakMemory() as peak:
        pairs = match_persons(data.mx, data.us, psi)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    found = {(p.left, p.right) for p in pairs}
    per_record = psi.items / (len(data.mx) + len(data.us))
    note = (
        f"{psi.items:,} keys through the PSI ({per_record:.2f} a record); peak RSS {peak.mb:.0f} MB"
    )
    return score(found, data, "enlace private name keys + DH-PSI", wall, note), psi


def names_reference(
    tool: str,
    label: str,
    data: NameData,
    python: Path | None,
    why: str,
    out: Path,
    files: str = "names",
) -> NameRow:
    if python is None:
        return NameRow(label, None, None, None, None, {}, why)
    mx, us, pairs = out / f"{files}-mx.csv", out / f"{files}-us.csv", out / f"pairs-{tool}.csv"
    got = run_reference(python, tool, "--mx", str(mx), "--us", str(us), "--pairs", str(pairs))
    if "error" in got:
        return NameRow(label, None, None, None, None, {}, str(got["error"]))
    note = f"of which encoding {float(got['encode_wall']):.1f} s" if "encode_wall" in got else ""  # type: ignore[arg-type]
    return score(read_pairs(pairs), data, label, float(got["wall"]), note)  # type: ignore[arg-type]


def names_organisations(
    persons_per_side: int, workers: int, python: Path | None, why: str, out: Path
) -> tuple[list[NameRow], NameData]:
    """enlace and the reference tools on the companies and criminal organisations."""
    data = organisations(persons_per_side)
    write_organisations(out / "orgs-mx.csv", data.mx)  # type: ignore[arg-type]
    write_organisations(out / "orgs-us.csv", data.us)  # type: ignore[arg-type]
    psi = PsiIntersection(workers=workers)
    t0 = time.perf_counter()
    pairs = match_organisations(data.mx, data.us, psi)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    found = {(p.left, p.right) for p in pairs}
    per_record = psi.items / (len(data.mx) + len(data.us))
    note = f"{psi.items:,} keys through the PSI ({per_record:.2f} a record)"
    rows = [score(found, data, "enlace organisation keys + DH-PSI", wall, note)]
    rows.append(
        names_reference(
            "splink-org", "splink 5.0.0 (clear text, DuckDB)", data, python, why, out, "orgs"
        )
    )
    rows.append(
        names_reference(
            "anonlink-org",
            "clkhash 0.18.3 + anonlink 0.15.3 (Bloom filters)",
            data,
            python,
            why,
            out,
            "orgs",
        )
    )
    return rows, data


# --- output -------------------------------------------------------------------------------


def _f(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def print_exact(rows: list[ExactRow], cost: float, workers: int) -> None:
    print("\n### Exact identifiers (phone numbers, 30 % overlap)\n")
    print(
        f"One ristretto255 scalar multiplication here: {cost * 1e6:.1f} µs. Floor for n × n: "
        f"2(n + n) of them on {workers} cores, 2(n + n) + 2n with proofs (the check).\n"
    )
    print("| n × n | tool | seconds | floor s | bytes/element | CPU use | found | note |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        # With proofs: the requester's check weighs each of its points and each answered
        # point, two more multiplications per requester element (the responder's one proof
        # is a few multiplications a run).
        mults = 6 if r.tool.endswith("proofs") else 4
        floor = mults * r.size * cost / workers if r.tool.startswith("enlace") else None
        print(
            f"| {r.size:,} | {r.tool} | {_f(r.wall, '.1f')} | {_f(floor, '.1f')} | "
            f"{_f(r.bytes_per_element, '.1f')} | {_f(r.cpu_use, '.2f')} | "
            f"{'—' if r.found is None else format(r.found, ',')} | {r.note} |"
        )


def print_names(rows: list[NameRow], data: NameData) -> None:
    print(
        f"\n### Names: persons, {len(data.mx):,} MX × {len(data.us):,} US records, "
        f"{len(data.truth):,} true pairs\n"
    )
    print("| tool | precision | recall | F1 | seconds | note |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(
            f"| {r.tool} | {_f(r.precision, '.3f')} | {_f(r.recall, '.3f')} | "
            f"{_f(r.f1, '.3f')} | {_f(r.wall, '.1f')} | {r.note} |"
        )
    print_variations(rows, data)


def print_variations(rows: list[NameRow], data: NameData) -> None:
    variations = sorted({v for r in rows for v in r.by_variation})
    if not variations:
        return
    counts = Counter(data.truth.values())
    shown = [r for r in rows if r.by_variation]
    print("\nRecall by variation (how the US record differs from the MX one):\n")
    print("| variation | pairs | " + " | ".join(r.tool.split(" ")[0] for r in shown) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in shown) + " |")
    for v in variations:
        cells = " | ".join(_f(r.by_variation.get(v), ".3f") for r in shown)
        print(f"| {v} | {counts[v]:,} | {cells} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[10_000], help="exact PSI n x n (none: skip)"
    )
    parser.add_argument("--names", type=int, default=10_000, help="persons a side (0: skip)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="blinding processes"
    )
    parser.add_argument("--no-reference", action="store_true", help="enlace only")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "matching")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"Machine: {machine()}")
    cost = scalarmult_cost()
    python, why = (None, "not run (--no-reference)")
    if not args.no_reference:
        python, why = reference_python()
        if python is None:
            print(f"Reference tools unavailable: {why}")

    exact: list[ExactRow] = []
    for n in args.sizes:
        plain = exact_enlace(n, args.workers)
        exact.append(plain)
        exact.append(exact_enlace(n, args.workers, proofs=True, without=plain))
        exact.append(exact_openmined(n, python, why, args.out))
    if exact:
        print_exact(exact, cost, args.workers)

    if args.names:
        data = persons(args.names)
        write_persons(args.out / "names-mx.csv", data.mx)  # type: ignore[arg-type]
        write_persons(args.out / "names-us.csv", data.us)  # type: ignore[arg-type]
        enlace_row, psi = names_enlace(data, args.workers)
        rows = [enlace_row]
        rows.append(
            names_reference(
                "splink", "splink 5.0.0 (clear text, DuckDB)", data, python, why, args.out
            )
        )
        rows.append(
            names_reference(
                "anonlink",
                "clkhash 0.18.3 + anonlink 0.15.3 (Bloom filters)",
                data,
                python,
                why,
                args.out,
            )
        )
        print_names(rows, data)
        print(
            f"\nenlace names: {psi.wire_bytes / psi.items:.1f} bytes on the wire per key; PSI "
            f"floor {2 * psi.items * cost / args.workers:.1f} s for its {psi.items:,} keys."
        )
        print_categories(rows, [person_categories(r, data) if r.found else {} for r in rows])
        org_rows, org_data = names_organisations(args.names, args.workers, python, why, args.out)
        print(
            f"\n### Names: organisations (companies and criminal organisations), "
            f"{len(org_data.mx):,} MX × {len(org_data.us):,} US, {len(org_data.truth):,} true "
            f"pairs\n"
        )
        print("| tool | precision | recall | F1 | seconds | note |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for r in org_rows:
            print(
                f"| {r.tool} | {_f(r.precision, '.3f')} | {_f(r.recall, '.3f')} | "
                f"{_f(r.f1, '.3f')} | {_f(r.wall, '.1f')} | {r.note} |"
            )
        print_variations(org_rows, org_data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

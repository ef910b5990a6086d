"""The reference tools of the matching benchmark, run with bench/.venv-reference's python.

    python bench/matching_reference.py psi --client A.txt --server B.txt
    python bench/matching_reference.py splink --mx MX.csv --us US.csv --pairs OUT.csv
    python bench/matching_reference.py anonlink --mx MX.csv --us US.csv --pairs OUT.csv
    python bench/matching_reference.py splink-org --mx MX.csv --us US.csv --pairs OUT.csv
    python bench/matching_reference.py anonlink-org --mx MX.csv --us US.csv --pairs OUT.csv

The -org variants take organisation names (columns id, name), cleaned as persons' are
(lower case, accents and punctuation dropped; legal forms left as written).

Not part of enlace and never imported by it: it runs in its own virtual environment
(clkhash pins an old `cryptography`, anonlink an older setuptools) and exchanges data with
bench/matching_bench.py through files. Prints one JSON line: wall seconds, CPU seconds of
this process and its children, and what the tool found.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _clean(text: str) -> str:
    """Lower case, accents and punctuation dropped: the cleaning both tools are given."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def _rows(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        given = _clean(row["given_names"]).split()
        row["given"] = given[0] if given else ""
        surnames = _clean(row["first_surname"].replace("-", " ")).split()
        particles = {"de", "del", "la", "las", "los"}
        surnames = [s for s in surnames if s not in particles] or surnames
        row["surname1"] = surnames[0] if surnames else ""
        second = _clean(row["second_surname"] or "")
        row["surname2"] = (
            second.split()[-1] if second else (surnames[1] if len(surnames) > 1 else "")
        )
    return rows


def _write_pairs(path: str, pairs: Iterable[tuple[str, str]]) -> int:
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mx", "us"])
        for pair in pairs:
            writer.writerow(pair)
            count += 1
    return count


def run_psi(client_file: str, server_file: str) -> dict[str, object]:
    """openmined-psi (OpenMined's C++ PSI, ECDH over P-256), both roles in this process."""
    import private_set_intersection.python as psi

    client_items = Path(client_file).read_text(encoding="utf-8").splitlines()
    server_items = Path(server_file).read_text(encoding="utf-8").splitlines()
    cpu0, t0 = _cpu(), time.perf_counter()
    client = psi.client.CreateWithNewKey(True)
    server = psi.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-9, len(client_items), server_items, psi.DataStructure.RAW)
    request = client.CreateRequest(client_items)
    response = server.ProcessRequest(request)
    found = client.GetIntersection(setup, response)
    wall = time.perf_counter() - t0
    wire = sum(len(m.SerializeToString()) for m in (setup, request, response))
    return {
        "wall": wall,
        "cpu": _cpu() - cpu0,
        "wire_bytes": wire,
        "found": len(found),
    }


def run_splink(mx_file: str, us_file: str, pairs_file: str) -> dict[str, object]:
    """splink (Fellegi-Sunter, DuckDB), trained without labels, one-to-one at p >= 0.5."""
    import logging

    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    cpu0, t0 = _cpu(), time.perf_counter()
    columns = ("unique_id", "given", "surname1", "surname2", "dob")

    def table(path: str) -> pa.Table:
        rows = _rows(path)
        data = {c: [] for c in columns}  # type: dict[str, list[str | None]]
        for row in rows:
            data["unique_id"].append(row["id"])
            data["given"].append(row["given"] or None)
            data["surname1"].append(row["surname1"] or None)
            data["surname2"].append(row["surname2"] or None)
            data["dob"].append(row["date_of_birth"] or None)
        return pa.table(data)

    db = DuckDBAPI()
    left = db.register(table(mx_file), table_name="mx")
    right = db.register(table(us_file), table_name="us")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given"),
            cl.NameComparison("surname1"),
            cl.NameComparison("surname2"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("surname1", "given"),
            block_on("surname2", "given"),
            block_on("surname1", "surname2"),
        ],
    )
    linker = Linker([left, right], settings)
    stages: dict[str, float] = {}
    mark = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        stages[name] = round(now - mark, 2)
        mark = now

    linker.training.estimate_probability_two_random_records_match(
        [block_on("surname1", "given", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    stage("estimate u")
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname1", "given")
    )
    stage("EM")
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    stage("predict")
    scored = predictions.as_record_list()
    scored.sort(key=lambda r: -float(r["match_weight"]))
    taken_l: set[str] = set()
    taken_r: set[str] = set()
    kept = []
    for row in scored:
        a, b = str(row["unique_id_l"]), str(row["unique_id_r"])
        if row["source_dataset_l"] != "mx":
            a, b = b, a
        if a in taken_l or b in taken_r:
            continue
        taken_l.add(a)
        taken_r.add(b)
        kept.append((a, b))
    wall = time.perf_counter() - t0
    count = _write_pairs(pairs_file, kept)
    return {"wall": wall, "cpu": _cpu() - cpu0, "pairs": count, "stages": stages}


def _clk_schema(clkhash: object) -> object:
    from clkhash.schema import from_json_dict

    def field(name: str, bits: int) -> dict[str, object]:
        return {
            "identifier": name,
            "format": {"type": "string", "encoding": "utf-8"},
            "hashing": {
                "comparison": {"type": "ngram", "n": 2},
                "strategy": {"bitsPerToken": bits},
                "hash": {"type": "doubleHash"},
                "missingValue": {"sentinel": ""},
            },
        }

    dob = field("dob", 20)
    dob["hashing"]["comparison"] = {"type": "ngram", "n": 1, "positional": True}  # type: ignore[index]
    return from_json_dict(
        {
            "version": 3,
            "clkConfig": {
                "l": 1024,
                "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64},
            },
            "features": [
                {"identifier": "id", "ignored": True},
                field("given", 30),
                field("surname1", 30),
                field("surname2", 20),
                dob,
            ],
        }
    )


def run_anonlink(
    mx_file: str, us_file: str, pairs_file: str, threshold: float = 0.85
) -> dict[str, object]:
    """clkhash Bloom-filter encodings (CLKs) of both sides, compared by anonlink (Dice)."""
    import anonlink
    import clkhash
    from clkhash.clk import generate_clks

    schema = _clk_schema(clkhash)
    cpu0, t0 = _cpu(), time.perf_counter()
    ids: list[list[str]] = []
    encoded = []
    for path in (mx_file, us_file):
        rows = _rows(path)
        ids.append([r["id"] for r in rows])
        pii = [
            (r["id"], r["given"], r["surname1"], r["surname2"], r["date_of_birth"].replace("-", ""))
            for r in rows
        ]
        encoded.append(generate_clks(pii, schema, "a shared secret of the linkage unit"))
    encode_wall = time.perf_counter() - t0
    candidates = anonlink.candidate_generation.find_candidate_pairs(
        encoded, anonlink.similarities.dice_coefficient_accelerated, threshold
    )
    groups = anonlink.solving.greedy_solve(candidates)
    kept = []
    for group in groups:
        members = dict(group)
        if 0 in members and 1 in members:
            kept.append((ids[0][members[0]], ids[1][members[1]]))
    wall = time.perf_counter() - t0
    count = _write_pairs(pairs_file, kept)
    return {"wall": wall, "encode_wall": encode_wall, "cpu": _cpu() - cpu0, "pairs": count}


def _org_rows(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        words = _clean(row["name"]).split()
        row["clean"] = " ".join(words)
        row["first"] = words[0] if words else ""
        row["rest"] = " ".join(words[1:])
    return rows


def _one_to_one(scored: list[dict[str, object]]) -> list[tuple[str, str]]:
    scored.sort(key=lambda r: -float(r["match_weight"]))  # type: ignore[arg-type]
    taken_l: set[str] = set()
    taken_r: set[str] = set()
    kept = []
    for row in scored:
        a, b = str(row["unique_id_l"]), str(row["unique_id_r"])
        if row["source_dataset_l"] != "mx":
            a, b = b, a
        if a in taken_l or b in taken_r:
            continue
        taken_l.add(a)
        taken_r.add(b)
        kept.append((a, b))
    return kept


def run_splink_org(mx_file: str, us_file: str, pairs_file: str) -> dict[str, object]:
    """splink on organisation names: the whole name, its first and second word, p >= 0.5.

    EM is trained on tight blockings (the same first and second word; the same whole name):
    blocked on the first word alone, whose blocks hold thousands of companies of one trade,
    EM converges to "same trade" as the match class and links nothing.
    """
    import logging

    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    cpu0, t0 = _cpu(), time.perf_counter()

    def table(path: str) -> pa.Table:
        rows = _org_rows(path)
        seconds = [r["rest"].split()[0] if r["rest"] else "" for r in rows]
        return pa.table(
            {
                "unique_id": [r["id"] for r in rows],
                "name": [r["clean"] or None for r in rows],
                "first": [r["first"] or None for r in rows],
                "second": [w or None for w in seconds],
            }
        )

    db = DuckDBAPI()
    mx_table, us_table = table(mx_file), table(us_file)
    larger = max(mx_table.num_rows, us_table.num_rows)
    left = db.register(mx_table, table_name="mx")
    right = db.register(us_table, table_name="us")
    settings = SettingsCreator(
        link_type="link_only",
        # The prior a user would set: about one record in two has its match on the other side.
        probability_two_random_records_match=0.5 / larger,
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.97, 0.92, 0.85]),
            cl.JaroWinklerAtThresholds("first", [0.95, 0.88]),
            cl.JaroWinklerAtThresholds("second", [0.95, 0.88]),
        ],
        blocking_rules_to_generate_predictions=[block_on("first"), block_on("second")],
    )
    linker = Linker([left, right], settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first", "second"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    kept = _one_to_one(predictions.as_record_list())
    wall = time.perf_counter() - t0
    count = _write_pairs(pairs_file, kept)
    return {"wall": wall, "cpu": _cpu() - cpu0, "pairs": count}


def run_anonlink_org(
    mx_file: str, us_file: str, pairs_file: str, threshold: float = 0.85
) -> dict[str, object]:
    """clkhash CLKs of the organisation name (bigrams), compared by anonlink (Dice)."""
    import anonlink
    from clkhash.clk import generate_clks
    from clkhash.schema import from_json_dict

    schema = from_json_dict(
        {
            "version": 3,
            "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64}},
            "features": [
                {"identifier": "id", "ignored": True},
                {
                    "identifier": "name",
                    "format": {"type": "string", "encoding": "utf-8"},
                    "hashing": {
                        "comparison": {"type": "ngram", "n": 2},
                        "strategy": {"bitsPerToken": 20},
                        "hash": {"type": "doubleHash"},
                        "missingValue": {"sentinel": ""},
                    },
                },
            ],
        }
    )
    cpu0, t0 = _cpu(), time.perf_counter()
    ids: list[list[str]] = []
    encoded = []
    for path in (mx_file, us_file):
        rows = _org_rows(path)
        ids.append([r["id"] for r in rows])
        pii = [(r["id"], r["clean"]) for r in rows]
        encoded.append(generate_clks(pii, schema, "a shared secret of the linkage unit"))
    candidates = anonlink.candidate_generation.find_candidate_pairs(
        encoded, anonlink.similarities.dice_coefficient_accelerated, threshold
    )
    kept = []
    for group in anonlink.solving.greedy_solve(candidates):
        members = dict(group)
        if 0 in members and 1 in members:
            kept.append((ids[0][members[0]], ids[1][members[1]]))
    wall = time.perf_counter() - t0
    count = _write_pairs(pairs_file, kept)
    return {"wall": wall, "cpu": _cpu() - cpu0, "pairs": count}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="tool", required=True)
    p = sub.add_parser("psi")
    p.add_argument("--client", required=True)
    p.add_argument("--server", required=True)
    for name in ("splink", "anonlink", "splink-org", "anonlink-org"):
        s = sub.add_parser(name)
        s.add_argument("--mx", required=True)
        s.add_argument("--us", required=True)
        s.add_argument("--pairs", required=True)
        if name.startswith("anonlink"):
            s.add_argument("--threshold", type=float, default=0.85, help="least Dice similarity")
    args = parser.parse_args(argv)
    if args.tool == "psi":
        result = run_psi(args.client, args.server)
    elif args.tool == "splink":
        result = run_splink(args.mx, args.us, args.pairs)
    elif args.tool == "splink-org":
        result = run_splink_org(args.mx, args.us, args.pairs)
    elif args.tool == "anonlink-org":
        result = run_anonlink_org(args.mx, args.us, args.pairs, args.threshold)
    else:
        result = run_anonlink(args.mx, args.us, args.pairs, args.threshold)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

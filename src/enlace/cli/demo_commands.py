"""`enlace synth` and `enlace demo`: synthetic data and the main job."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.node_commands import holdings_table
from enlace.cli.progress import progress_bar
from enlace.cli.terminal import safe_text

if TYPE_CHECKING:
    from enlace.exchange.sync_client import SyncReport
    from enlace.model.records import Record

# Imported in the commands: every command's start-up pays for what this module imports, and
# the demo's steps import most of Enlace (the web server, matching, the report renderer).

console = Console(highlight=False, soft_wrap=True)


def write_rows(records: Iterable[Record], path: Path) -> int:
    """Write records as one importable CSV (the union header over kinds); return the row count."""
    from enlace.model.csv_cells import FormulaSafeDictWriter
    from enlace.synth import CSV_COLUMNS, row_of

    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        # Phone numbers start with '+': quoted for spreadsheets, unquoted again on import.
        writer = FormulaSafeDictWriter(handle, CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow(row_of(record))
            count += 1
    return count


@user_errors
def synth(
    out: Annotated[Path, typer.Argument(help="Folder for <party>.csv files and truth.csv.")],
    parties: Annotated[str, typer.Option(help="Parties, e.g. MX,US.")] = "MX,US",
    scale: Annotated[int, typer.Option(help="About how many records per party.")] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 7,
) -> None:
    """Generate realistic synthetic records per party, with the ground truth of what matches."""
    from enlace.synth import SynthConfig, generate, iter_party_records, write_truth

    if scale < 1:
        raise typer.BadParameter("scale must be at least 1", param_hint="--scale")
    codes = tuple(p.strip().upper() for p in parties.split(",") if p.strip())
    config = SynthConfig(seed=seed, parties=codes, scale=scale)
    out.mkdir(parents=True, exist_ok=True)
    for party in codes:
        path = out / f"{party.lower()}.csv"
        with progress_bar(f"generating {party}", None):
            count = write_rows(iter_party_records(config, party), path)
        console.print(f"{party}: {count:,} records -> {path}")
    if len(codes) > 1 and scale <= 200_000:
        write_truth(generate(config).truth, out / "truth.csv")
        console.print(f"ground truth -> {out / 'truth.csv'}")


@user_errors
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo nodes are created.")] = Path(
        "demo-nodes"
    ),
    scale: Annotated[int, typer.Option(help="About how many records per party.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 7,
    cbp_data: Annotated[
        Path | None,
        typer.Option(
            envvar="ENLACE_CBP_DATA",
            help="Folder of CBP drug seizure statistics (CSV); default: the ones Enlace ships.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Two sovereign nodes exchanging: import synthetic data, serve, release, sync both ways."""
    from enlace.cli.demo_users import ensure_demo_login
    from enlace.cli.report_commands import demo_report
    from enlace.files.importer import format_summary, import_file
    from enlace.node.setup import initialise_node, open_node
    from enlace.synth import SynthConfig, generate, write_truth
    from enlace.tracking.cbp_data import cbp_csv_files
    from enlace.tracking.statistics_csv import StatisticsFileError

    try:
        # A wrong folder is told now, not after the nodes were made, served and synced.
        cbp_csv_files(cbp_data)
    except StatisticsFileError as error:
        _statistics_failed(error)
    config = SynthConfig(seed=seed, parties=("MX", "US"), scale=scale)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    console.rule("[bold]Enlace demo: two sovereign nodes, MX and US")
    dataset = generate(config)
    write_truth(dataset.truth, data / "truth.csv")
    for party in config.parties:
        node = folder / party.lower()
        report = initialise_node(node, party=party)
        state = "created" if report.created_config else "reused"
        console.print(f"node {party} {state} at {node} (key {report.config.key_dir}/signing.key)")
        csv_path = data / f"{party.lower()}.csv"
        write_rows(dataset.records[party], csv_path)
        node_config, store = open_node(node)
        try:
            with progress_bar(f"importing {csv_path.name} into {party}", None) as advance:
                result = import_file(
                    store, party=node_config.party, path=csv_path, on_progress=advance
                )
            for line in format_summary(result):
                console.print("  " + line)
            with store.unit_of_work() as uow:
                holdings = uow.records.holdings()
        finally:
            store.close()
        console.print(holdings_table(f"What node {party} holds", holdings))
    console.print(
        f"ground truth of shared firearms, phones, vehicles, persons: {data / 'truth.csv'}"
        f" ({len(dataset.truth)} links)"
    )
    nodes = {party: folder / party.lower() for party in config.parties}
    logins = {party: ensure_demo_login(node) for party, node in nodes.items()}
    traced = exchange(nodes, logins)
    mx = folder / "mx"
    console.print("next:")
    console.print(f"  enlace status --node {mx}              what the node holds, its partners")
    console.print(f"  enlace export mx.json --node {mx}      a STIX 2.1 bundle of its records")
    console.print(
        f"  enlace serve --node {mx} --port 8000   serve MX to its partner (Ctrl-C stops)"
    )
    console.print(f"  enlace audit show --node {mx}          the newest audit entries")
    for port, (party, (username, password)) in enumerate(logins.items(), start=8000):
        console.print(
            f"  web interface of {party}: enlace serve --node {nodes[party]} --port {port}, "
            f"then open http://127.0.0.1:{port}/web/ and sign in as {username} / {password}"
        )
        if traced and party == config.parties[0]:
            console.print(
                f"    link graph of the traced firearm: http://127.0.0.1:{port}/web/records/"
                f"{traced}/graph"
            )
        console.print(f"    map of seizures and records: http://127.0.0.1:{port}/web/map")
    # Final step (tracking results): the group's statement, CBP statistics, the report.
    console.rule("[bold]Tracking results: the progress report for the next meeting")
    try:
        demo_report(mx, today=date.today(), cbp_data=cbp_data)
    except StatisticsFileError as error:
        _statistics_failed(error)


def _statistics_failed(error: Exception) -> NoReturn:
    """A CBP folder or file the demo cannot use, as one line and exit status 1."""
    stderr.print(f"[bold red]error:[/] {safe_text(error, lines=True)}", markup=True)
    raise typer.Exit(1) from None


def exchange(
    nodes: dict[str, Path], logins: dict[str, tuple[str, str]] | None = None
) -> str | None:
    """Serve both nodes, register them as partners, release, sync both ways, report, stop;
    with logins, the watchlist, trace and deconfliction steps too. Returns the id of the
    firearm traced, if any."""
    from enlace.cli.demo_exchange import register_partners, release_allowed, serving, sync_from
    from enlace.cli.demo_matching import run_matching_demo

    parties = list(nodes)
    partner_of = {party: next(p for p in parties if p != party) for party in parties}
    traced: str | None = None
    console.rule("[bold]Exchange: both nodes served over TAXII 2.1 on loopback")
    console.print("starting 'enlace serve' for both nodes on free loopback ports")
    with serving(nodes) as running:
        for party, server in running.items():
            console.print(
                f"node {party} serving at {server.url}/taxii2/ (pid {server.process.pid},"
                f" log {server.log})"
            )
            if logins and party in logins:
                username, password = logins[party]
                console.print(
                    f"node {party} web interface at {server.url}/web/ "
                    f"(demo login: {username} / {password})"
                )
        register_partners(nodes, {party: server.url for party, server in running.items()})
        console.print(
            "partners registered both ways with 'enlace partner add' and 'enlace partner invite'"
            " (each token kept mode 600 in the node's keys/partners/, never shown)"
        )
        released: dict[str, int] = {}
        for party in parties:
            partner = partner_of[party]
            with progress_bar(f"{party}: releasing what its markings allow to {partner}", None):
                released[party] = release_allowed(nodes[party], partner)
            console.print(f"{party} released {released[party]} new record version(s) to {partner}")
        reports: dict[str, SyncReport] = {}
        for party in parties:
            partner = partner_of[party]
            with progress_bar(f"{party}: syncing from {partner} over HTTP", None):
                reports[party] = sync_from(nodes[party], partner)
            console.print(f"{party}: {safe_text(reports[party].summary())}")
        for party in parties:
            print_standing(party, partner_of[party], released[party], reports[party], nodes[party])
        console.rule("[bold]Private matching: what MX and US both hold, and nothing else")
        run_matching_demo(nodes, console)
        if logins:
            from enlace.cli.demo_watchlists import run_watchlist_demo

            console.rule("[bold]Watchlists: an alert when a partner holds a watched firearm")
            watcher, holder = parties[0], partner_of[parties[0]]
            run_watchlist_demo(
                nodes, console, watcher=watcher, holder=holder, owner=logins[watcher][0]
            )
            from enlace.cli.demo_deconfliction import run_deconfliction_demo
            from enlace.cli.demo_traces import run_trace_demo

            console.rule(
                f"[bold]Trace request: {watcher} asks {holder} to trace a recovered firearm"
            )
            traced = run_trace_demo(nodes, console, requester=watcher, asked=holder)
            console.rule("[bold]Deconfliction: planned operations checked without revealing them")
            run_deconfliction_demo(nodes, console, requester=watcher, responder=holder)
        console.print("stopping both servers")
    for party, server in running.items():
        console.print(
            f"node {party} stopped (exit {server.process.returncode}, {server.url} closed)"
        )
    return traced


def print_standing(party: str, partner: str, released: int, report: SyncReport, node: Path) -> None:
    """The per-node table: released, received, refused, kept at home; the audit check."""
    from enlace.cli.demo_exchange import standing

    totals = standing(node, partner)
    table = Table(title=f"Node {party} and its partner {partner}")
    table.add_column("record versions")
    table.add_column("this run", justify="right")
    table.add_column("in total", justify="right")
    table.add_row(f"released to {partner}", str(released), str(totals.released))
    table.add_row(f"received from {partner}", str(report.received), str(totals.received))
    table.add_row(f"refused from {partner}", str(report.refused_total), str(totals.refused))
    for reason, count in sorted(report.refused.items()):
        table.add_row(f"  refused: {reason}", str(count), "")
    table.add_row("kept home: national only", "", str(totals.national_only))
    table.add_row(f"kept home: not releasable to {partner}", "", str(totals.not_releasable))
    table.add_row(
        f"kept home: names a record {partner} may not hold", "", str(totals.names_withheld)
    )
    console.print(table)
    audit = totals.audit
    assert audit is not None
    verdict = "[green]intact[/]" if audit.ok else "[bold red]TAMPERED[/]"
    console.print(f"audit verify {party}: {verdict} — {safe_text(audit.message)}")

"""The application object of the command line, built by a factory (nothing at import)."""

from __future__ import annotations

import typer

from enlace.cli import (
    audit_commands,
    demo_commands,
    exchange_commands,
    file_commands,
    match_commands,
    node_commands,
    operation_commands,
    report_commands,
    serve_commands,
    stats_commands,
    trace_commands,
    tracking_commands,
    user_commands,
    watchlist_commands,
    worker_commands,
)
from enlace.cli.options import command_group


def build_app() -> typer.Typer:
    """Assemble the `enlace` command with its subcommands."""
    app = command_group(
        "enlace",
        "Enlace: sovereign exchange, private matching and results tracking between parties.",
    )
    app.command("init")(node_commands.init)
    app.command("status")(node_commands.status)
    app.command("import")(file_commands.import_records)
    app.command("export")(file_commands.export_records)
    app.command("synth")(demo_commands.synth)
    app.command("demo")(demo_commands.demo)
    app.command("release")(exchange_commands.release)
    app.command("revoke")(exchange_commands.revoke)
    app.command("consent")(exchange_commands.consent)
    app.command("sync")(exchange_commands.sync)
    app.command("serve")(serve_commands.serve)
    app.command("worker")(worker_commands.worker)
    app.command("report")(report_commands.report)
    app.add_typer(audit_commands.build_audit_app(), name="audit")
    app.add_typer(user_commands.build_user_app(), name="user")
    app.add_typer(exchange_commands.build_partner_app(), name="partner")
    app.add_typer(match_commands.build_match_app(), name="match")
    app.add_typer(watchlist_commands.build_watchlist_app(), name="watchlist")
    app.add_typer(operation_commands.build_operation_app(), name="operation")
    app.add_typer(tracking_commands.build_tracking_app(), name="tracking")
    app.add_typer(trace_commands.build_trace_app(), name="trace")
    app.add_typer(stats_commands.build_stats_app(), name="stats")
    app.add_typer(stats_commands.build_indicators_app(), name="indicators")
    return app


def main() -> None:
    """Entry point of the `enlace` console script."""
    build_app()()

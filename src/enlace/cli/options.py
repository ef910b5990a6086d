"""Options several commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

NodeDir = Annotated[
    Path,
    typer.Option(
        "--node",
        envvar="ENLACE_NODE",
        help="The node's folder (made by 'enlace init').",
        file_okay=False,
    ),
]
DEFAULT_NODE = Path("node")


def command_group(name: str, help_text: str, **options: Any) -> typer.Typer:
    """A group of sub-commands (`enlace NAME ...`) set up like every other: its help when
    called alone, errors as one line (never a pretty traceback), no shell-completion options."""
    return typer.Typer(
        name=name,
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        **options,
    )

"""Options several commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

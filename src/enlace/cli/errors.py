"""Printing errors a user can meet as one clear message, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from enlace.cli.terminal import safe_text
from enlace.exchange.errors import ExchangeError
from enlace.files.problems import ImportRejected, UnreadableFile
from enlace.model.errors import RecordError
from enlace.node.errors import NodeError
from enlace.store.errors import StoreError

P = ParamSpec("P")
R = TypeVar("R")

# InvalidIdentifier and the database's OperationalError are recognised in `_heavy_error`:
# their modules are slow to import, and every command's start-up pays for what this imports.
USER_ERRORS = (
    ExchangeError,
    ImportRejected,
    UnreadableFile,
    RecordError,
    NodeError,
    StoreError,
)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can meet into one message on stderr and exit status 1."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as error:
            # A message quotes what the user or a partner wrote (a cell, a reason): inert.
            stderr.print(f"[bold red]error:[/] {safe_text(error, lines=True)}", markup=True)
            raise typer.Exit(1) from None
        except OSError as error:
            stderr.print(
                f"[bold red]error:[/] {safe_text(error.strerror)}: {safe_text(error.filename)}"
            )
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            stderr.print("interrupted; nothing of the unfinished step was written")
            raise typer.Exit(130) from None
        except Exception as error:
            message = _heavy_error(error)
            if message is None:
                raise
            stderr.print(message)
            raise typer.Exit(1) from None

    return run


def _heavy_error(error: Exception) -> str | None:
    """The message of a user error whose class lives in a slow module, else None.

    An error of such a class can only have been raised once its module was imported, so the
    classes are looked up among the loaded modules, never imported here.
    """
    identifiers = sys.modules.get("enlace.model.identifiers")
    if identifiers is not None and isinstance(error, identifiers.InvalidIdentifier):
        return f"[bold red]error:[/] {safe_text(error, lines=True)}"
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(error, database.OperationalError):
        orig = error.orig
        reason = str(orig).strip().splitlines()[0] if orig else str(error)
        return f"[bold red]error:[/] cannot use the database: {safe_text(reason)}"
    return None

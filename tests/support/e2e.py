"""Only tests marked e2e start servers and processes: a guard that makes the others fail.

The tests are in two tiers: the fast one (``pytest -m "not e2e"``) runs in this process
only, and the end-to-end one (``pytest -m e2e``) starts real servers and processes. A test
that starts any of these must be marked ``pytest.mark.e2e`` (``pytestmark = pytest.mark.e2e``
when the whole module does):

- a subprocess: `subprocess.Popen`, and so `subprocess.run` of the command line, `enlace
  serve`, Playwright's browser;
- a process of `multiprocessing`: `BaseProcess.start`, and so the worker pools of an
  import, of a sync checking pages and of matching (`ProcessPoolExecutor`), or `os.fork`;
- a uvicorn server, in a thread or not: `uvicorn.Server` (the web and TAXII servers of the
  tests, `enlace serve` run in process).

`install()` wraps these once for the session (the root conftest calls it). While a test that
is not marked runs — its setup, call and teardown — each of them raises `NotMarkedE2E` and
starts nothing; and as the code under test may catch that error (and, say, do the work
here instead), every attempt is also recorded, and the root conftest fails the test with
`take_attempts()` when it passed all the same.

Programs that libraries run once for themselves while loading are let through:
``ctypes.util.find_library`` (WeasyPrint finding Pango), matplotlib's font list, and croniter
(imported with Procrastinate) asking `file` whether Python is 32-bit.
"""

from __future__ import annotations

import functools
import multiprocessing.process
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

# Modules whose subprocesses are a library finding its way, not the test's work.
LIBRARY_LOOKUPS = frozenset({"ctypes.util", "matplotlib.font_manager", "croniter.croniter"})

HOW_TO_MARK = (
    "tests that start servers or processes are the end-to-end tier: mark this one "
    "@pytest.mark.e2e (or its module: pytestmark = pytest.mark.e2e), "
    "or keep its work in this process"
)


class NotMarkedE2E(RuntimeError):
    """A test not marked e2e tried to start a server or a process."""


class _Guard:
    """Which unmarked test is running (None: starting things is allowed), what it tried."""

    def __init__(self) -> None:
        self.test: str | None = None
        self.attempts: list[str] = []
        self.lock = threading.Lock()

    def check(self, what: str) -> None:
        test = self.test
        if test is None or _looking_up_a_library():
            return
        message = f"{test} {what}, but is not marked e2e: {HOW_TO_MARK}"
        with self.lock:
            self.attempts.append(message)
        raise NotMarkedE2E(message)


_guard = _Guard()
_installed = False


def _looking_up_a_library() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") in LIBRARY_LOOKUPS:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _command(args: Any) -> str:
    if isinstance(args, str | bytes | os.PathLike):
        return str(os.fsdecode(args))
    try:
        return " ".join(str(os.fsdecode(a)) for a in args)
    except TypeError:
        return repr(args)


def _wrap(owner: Any, name: str, what: Callable[..., str]) -> None:
    """Replace `owner.name` by a function that asks the guard, then does what it did."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _guard.check(what(*args, **kwargs))
        return original(*args, **kwargs)

    setattr(owner, name, guarded)


def install() -> None:
    """Wrap what starts processes and servers so that `guarding` can refuse it (once)."""
    global _installed
    if _installed:
        return
    _installed = True

    def popen_what(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> str:
        return f"started a subprocess ({_command(args)})"

    def process_what(self: multiprocessing.process.BaseProcess) -> str:
        return f"started a process of multiprocessing ({self.name})"

    def server_what(self: uvicorn.Server, *args: Any, **kwargs: Any) -> str:
        return "made a uvicorn server"

    def fork_what() -> str:
        return "forked (os.fork)"

    _wrap(subprocess.Popen, "__init__", popen_what)
    _wrap(multiprocessing.process.BaseProcess, "start", process_what)
    _wrap(uvicorn.Server, "__init__", server_what)
    _wrap(os, "fork", fork_what)


@contextmanager
def guarding(test: str, *, marked: bool) -> Iterator[None]:
    """While the block runs, refuse servers and processes unless the test is `marked` e2e."""
    _guard.test = None if marked else test
    try:
        yield
    finally:
        _guard.test = None


def take_attempts() -> list[str]:
    """What the running test tried to start since the last call (then forgotten)."""
    with _guard.lock:
        attempts, _guard.attempts = _guard.attempts, []
    return attempts

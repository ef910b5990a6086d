"""Worker processes that do not outlive the process that started them, and the collector.

An import and a long sync hand work to pools of worker processes (started with 'spawn').
If the process that started them is killed outright (SIGKILL, the OOM killer), nothing
tells its workers: each holds both ends of the pool's queues, so it never sees them close,
and it would sleep for ever. Each worker therefore watches its parent and leaves when the
parent is gone (it is then adopted by another process, and its parent id changes).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_WATCH_SECONDS = 0.5


def exit_with_parent(parent: int) -> None:
    """Start, in a worker process, a thread that ends the process when `parent` is gone.

    `parent` is the starting process's id, passed in rather than read here: a worker still
    starting when its parent was killed would read the id of the process that adopted it.
    """

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)  # no cleanup: the work it held is abandoned, as its parent's
            threading.Event().wait(_WATCH_SECONDS)

    threading.Thread(target=watch, name="enlace-parent-watch", daemon=True).start()


_COLLECT_EVERY = 100_000  # objects allocated between two collections of the young ones


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the cyclic garbage collector only now and then, by `collect_now_and_then`.

    An import allocates millions of short-lived objects that reference counting frees;
    the collector's automatic passes over them find nothing and cost a tenth of the import.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect_now_and_then() -> None:
    """Collect the young generations when enough has been allocated since the last time."""
    if gc.get_count()[0] >= _COLLECT_EVERY:
        gc.collect(1)

"""How long the tests wait: one scale for every timeout, and waits that poll.

Every timeout in the tests is written as what it is on an idle machine and passed through
`timeout(seconds)`, which multiplies it by one scale:

- ``ENLACE_TEST_TIMEOUT_SCALE`` when it is set: a positive number, e.g. ``3`` on a slow or
  shared machine (or ``1`` to turn the machine's own scale off);
- otherwise a scale derived from the machine when the session starts: 1 plus the one-minute
  load average per CPU (`os.getloadavg`), kept between 1 and 4. An idle machine gets 1; one
  whose every CPU already has a runnable process gets 2.

The root ``conftest.py`` works the scale out once, in the process that starts the session,
exports it in ``ENLACE_TEST_TIMEOUT_SCALE`` so that pytest-xdist's workers use the same value,
and shows it in pytest's header.

`wait_until(condition, what=...)` polls `condition` until it returns a true value and fails
the test, saying what it waited for, when the (scaled) timeout has passed. Tests wait with it
rather than sleeping for a fixed time; the sleeps left in the tests are part of what they test
(a kill at a random moment) and say so.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

SCALE_VARIABLE = "ENLACE_TEST_TIMEOUT_SCALE"
MAX_DERIVED_SCALE = 4.0
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_INTERVAL_SECONDS = 0.05

T = TypeVar("T")


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def derived_scale() -> tuple[float, str]:
    """The scale this machine's load calls for now, and how it was found."""
    cpus = _cpus()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here (Windows)
        return 1.0, f"no load average on this system; {SCALE_VARIABLE} overrides it"
    value = min(MAX_DERIVED_SCALE, max(1.0, 1.0 + load / cpus))
    source = f"from the load average {load:.2f} on {cpus} CPU(s); {SCALE_VARIABLE} overrides it"
    return round(value, 2), source


@functools.cache
def _scale_and_source() -> tuple[float, str]:
    raw = os.environ.get(SCALE_VARIABLE, "").strip()
    if not raw:
        return derived_scale()
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{SCALE_VARIABLE} must be a positive number, not {raw!r}")
    return value, f"from {SCALE_VARIABLE}"


def scale() -> float:
    """The factor every timeout of the tests is multiplied by (worked out once)."""
    return _scale_and_source()[0]


def describe() -> str:
    """The scale and where it comes from, for pytest's header."""
    value, source = _scale_and_source()
    return f"timeout scale {value:g} ({source})"


def timeout(seconds: float) -> float:
    """`seconds`, a timeout right for an idle machine, scaled for this one."""
    return seconds * scale()


def wait_until(
    condition: Callable[[], T | None],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    detail: Callable[[], str] | None = None,
) -> T:
    """Call `condition` every `interval` seconds until it returns a true value; return it.

    `timeout` is in seconds on an idle machine; the wait lasts `timeout(timeout)`. When it
    has passed the test fails: "timed out after N s waiting for <what>", followed by what
    `detail` returns (a server's log, say). `condition` may itself fail the test at once
    (a process that exited, a thread that died) by raising.
    """
    allowed = timeout * scale()
    deadline = time.monotonic() + allowed
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    message = f"timed out after {allowed:.1f} s waiting for {what}"
    if detail is not None:
        message += "\n" + detail()
    pytest.fail(message)

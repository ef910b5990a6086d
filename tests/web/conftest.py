"""The web tests' shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from support.browser import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A real browser for the module's tests (Playwright driving Debian's Chromium)."""
    with chromium() as launched:
        yield launched

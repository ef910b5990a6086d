"""A Mexican node to import into, on each database the store suite runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from enlace.node.config import NodeConfig
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store


@pytest.fixture
def mx_node(tmp_path: Path, store_url: str) -> Iterator[tuple[NodeConfig, Store]]:
    """An initialised MX node (default agencies) and its open store."""
    initialise_node(tmp_path / "mx", party="MX", database_url=store_url)
    config, store = open_node(tmp_path / "mx")
    yield config, store
    store.close()

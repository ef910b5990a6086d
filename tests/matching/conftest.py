"""Matching tests reuse the exchange tests' node helpers (tests/exchange/party_nodes.py)."""

from __future__ import annotations

import sys
from pathlib import Path

_EXCHANGE = str(Path(__file__).resolve().parent.parent / "exchange")
if _EXCHANGE not in sys.path:
    sys.path.insert(0, _EXCHANGE)

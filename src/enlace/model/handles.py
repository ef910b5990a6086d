"""Opaque handles: how a record is named to one partner in matching, never by its id."""

from __future__ import annotations

HANDLE_BYTES = 8  # a handle names one record for one partner: it need not be long

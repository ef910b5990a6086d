"""Errors a user can meet when creating or opening a node."""

from __future__ import annotations


class NodeError(Exception):
    """The node folder, its configuration or its keys are not usable; the message says why."""

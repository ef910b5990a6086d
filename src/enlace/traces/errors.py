"""Errors a user can meet asking for, answering or closing a trace."""

from __future__ import annotations

from enlace.node.errors import NodeError


class TraceError(NodeError):
    """A trace step Enlace cannot take; the message says what, on which trace, and what to do.

    A NodeError, so the command line and the web show it as one line.
    """

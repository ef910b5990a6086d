"""What matching's requester and responder agree on over HTTP, without the web framework.

The path prefix and the media types live here rather than in `enlace.matching.api` so that
the requester (``enlace match``, the command line) does not import FastAPI to know them:
every command's start-up pays for what it imports. The bodies themselves are encoded and
decoded by `enlace.matching.psi` (docs/matching.md gives their layout).
"""

from __future__ import annotations

PREFIX = "/matching/v1"
OCTETS = "application/octet-stream"
PROBLEM = "application/problem+json"

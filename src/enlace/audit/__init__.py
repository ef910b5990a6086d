"""The node's append-only, hash-chained audit log, written inside the caller's unit of work."""

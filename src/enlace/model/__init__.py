"""Pure domain types: records, markings, identifiers; no I/O."""

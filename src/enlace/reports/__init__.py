"""Meeting progress reports: read-only queries over a node's store, rendered as HTML and PDF."""

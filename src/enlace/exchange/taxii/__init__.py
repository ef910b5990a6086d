"""The TAXII 2.1 server of a node: what partners pull (built by `create_app`)."""

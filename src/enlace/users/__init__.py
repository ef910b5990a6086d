"""People of a node: users, their roles, password hashes, API tokens and web sessions."""

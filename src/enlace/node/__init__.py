"""A node: one party's deployment — its folder, its configuration, its keys and its store."""

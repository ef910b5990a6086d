"""The RFC 9162 Merkle tree of the witnessed audit (issue 13): pure functions, no I/O.

`merkle` hashes leaves, nodes and trees; `proofs` makes and checks inclusion and consistency
proofs; `frontier` appends leaves and gives the root without keeping them. The stored tree,
checkpoints and witnessing that will use them are not built yet.
"""

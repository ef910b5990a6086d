"""Private matching of person and organisation names, through the same PSI as identifiers.

`keys` derives each record's typo-tolerant match keys (with `phonetic`, a Spanish-aware
phonetic code, and `nicknames`, given names folded to one canonical form); `store` reads a
node's own names and keys from its store; `match` runs name matching between two sets of
records in one process and keeps the best one-to-one pairs. docs/matching.md, "Names", says
why this design and what each side learns.

Kept free of imports, like `enlace.matching`: importing a module of the package loads only
what that module needs.
"""

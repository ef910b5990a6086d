"""The names of the kinds private matching compares, as the command line and agreements spell them.

Here rather than in `enlace.matching.kinds`, which needs the store and the name keys, so that
the command line can list them in its help: every command's start-up pays for what it imports.
"""

from __future__ import annotations

# Exact identifiers (`enlace.model.identifiers.IdentifierKind`), in the order runs take them.
EXACT_KIND_NAMES: tuple[str, ...] = ("firearm", "vin", "plate", "phone", "curp", "org-name", "rfc")
# Typo-tolerant name keys (`enlace.matching.names.keys.NameKeyKind`).
NAME_KIND_NAMES: tuple[str, ...] = ("person", "organisation")
KIND_NAMES: tuple[str, ...] = (*EXACT_KIND_NAMES, *NAME_KIND_NAMES)

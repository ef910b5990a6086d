"""Which other records a record names by id: what the reference rule checks before a release.

DESIGN.md: "A reference is a disclosure too: an object that names another may go only where
the named one may." A record class declares the fields that name other records with
`domain_field(..., refers=True)`; today they are:

| kind | fields that name records |
|---|---|
| relationship | `source_ref`, `target_ref` |
| custody-transfer | `person_ref` (the person transferred) |
| seizure | `seizing_agency_ref` |
| commitment | `meeting_ref` |
| action | `commitment_ref`, and the record ids among `evidence` |
| trace-request | `firearm_ref` (the firearm record, when one is named) |
| trace-response | `request_ref` (the trace request answered) |

Not counted, on purpose (they name nothing a partner may be kept from):

- `created_by_ref`, the authoring agency: an import sets it only to an agency of the
  importing node (`enlace.files.rows`), its id is derived from the party and the acronym
  (`agency_id`), public names of government organisations, and a node makes its agencies
  releasable to every partner it registers (`enlace.partners.agencies`).
- `object_marking_refs`: the OASIS TLP 2.0 marking definitions, public constants.
- the extension-definition ids under `extensions`: Enlace's published schemas.
- an indicator observation in an action's evidence (`indicator:<id>@<period>`): it names an
  indicator the group defined, not a record.

`seizing_agency_ref` names an agency too, but it is whatever identity the row's author wrote
(a person's id would pass its parser), so it counts: the node's own agencies are releasable
to its registered partners and pass the rule like any releasable record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enlace.model.records.base import Record, domain_fields
from enlace.model.records.fields import BoundField
from enlace.model.records.registry import BY_KIND
from enlace.model.records.tracking import is_indicator_observation

# Properties every STIX object may carry that name no record (see the module's docstring).
NOT_RECORD_REFERENCES = frozenset({"created_by_ref", "object_marking_refs"})


def reference_fields(cls: type[Record]) -> tuple[BoundField, ...]:
    """The domain fields of a record class that hold ids of other records."""
    return tuple(bound for bound in domain_fields(cls) if bound.spec.refers)


_FIELDS_BY_KIND: dict[str, tuple[tuple[str, bool, str | None], ...]] = {
    kind: tuple(
        (
            bound.stix_name,
            bound.spec.place == "top",
            cls.TYPE_EXTENSION.id if cls.TYPE_EXTENSION is not None else None,
        )
        for bound in reference_fields(cls)
    )
    for kind, cls in BY_KIND.items()
}

# Kinds whose records can name other records.
REFERRING_KINDS = frozenset(kind for kind, fields in _FIELDS_BY_KIND.items() if fields)
_KEYS_BY_KIND = {
    kind: tuple(f'"{stix_name}"' for stix_name, _, _ in fields)
    for kind, fields in _FIELDS_BY_KIND.items()
}


def may_name_records(kind: str, stix_text: str) -> bool:
    """False only when the STIX JSON text of a record of `kind` cannot name another record.

    A look at the text that spares parsing most records a release reads: a seizure rarely
    names its seizing agency, a phone never names anything. It errs only towards True: an
    unknown kind, or a text with a \\u escape (a key could be spelt with them), is parsed.
    """
    keys = _KEYS_BY_KIND.get(kind)
    if keys is None:
        return True
    return bool(keys) and ("\\u" in stix_text or any(key in stix_text for key in keys))


def referenced_ids(kind: str, stix: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids of other records that a record of `kind` names, from its STIX JSON, once each."""
    fields = _FIELDS_BY_KIND.get(kind)
    if fields is None:
        # Not a kind of ours (a store only holds ours): every top-level *_ref and *_refs
        # counts, so an object nobody described is withheld rather than let through.
        values = [
            value
            for name, value in stix.items()
            if name.endswith(("_ref", "_refs")) and name not in NOT_RECORD_REFERENCES
        ]
    else:
        values = []
        for stix_name, top, extension_id in fields:
            body = stix if top else _extension_body(stix, extension_id)
            values.append(body.get(stix_name))
    found: dict[str, None] = {}
    for value in values:
        items = value if isinstance(value, list | tuple) else (value,)
        for item in items:
            if isinstance(item, str) and item and not is_indicator_observation(item):
                found[item] = None
    return tuple(found)


def _extension_body(stix: Mapping[str, Any], extension_id: str | None) -> Mapping[str, Any]:
    extensions = stix.get("extensions")
    body = extensions.get(extension_id) if isinstance(extensions, Mapping) else None
    return body if isinstance(body, Mapping) else {}

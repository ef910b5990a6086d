"""Enlace's STIX extension definitions (STIX 2.1 section 7.3).

Types the standard lacks are `new-sdo` extensions; fields Enlace adds to standard types and the
markings beyond TLP are `property-extension`s. The ids are fixed forever: partners and any
STIX consumer recognise the extensions by them.
"""

from __future__ import annotations

from dataclasses import dataclass

ENLACE_IDENTITY_ID = "identity--5d3b2f0e-6a51-4c57-9a8e-0c1f2b7e4a10"
EXTENSIONS_CREATED = "2025-09-01T00:00:00.000000Z"
SCHEMA_BASE = "https://enlace.example/schemas/"

# Properties of an Enlace STIX object that say nothing about its subject: the envelope and
# the markings extension (shown as badges). The record page leaves them out of the fields it
# lists, and search (enlace.store.search_index) does not index them.
TECHNICAL_PROPERTIES = frozenset(
    {
        "type",
        "spec_version",
        "id",
        "created",
        "modified",
        "created_by_ref",
        "object_marking_refs",
        "extensions",
        "revoked",
        "extension_type",
        "owner",
        "releasable_to",
        "handling_code",
        "handling_note",
        "evaluation",
    }
)


@dataclass(frozen=True, slots=True)
class ExtensionDefinition:
    """One extension: its id, name, kind and the description shown to STIX consumers."""

    id: str
    name: str
    extension_type: str  # "new-sdo" or "property-extension"
    description: str

    def to_stix(self) -> dict[str, object]:
        """The extension-definition object that declares this extension."""
        return {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": self.id,
            "created_by_ref": ENLACE_IDENTITY_ID,
            "created": EXTENSIONS_CREATED,
            "modified": EXTENSIONS_CREATED,
            "name": self.name,
            "description": self.description,
            "schema": SCHEMA_BASE + self.name + ".json",
            "version": "1.0.0",
            "extension_types": [self.extension_type],
        }


def _ext(uuid: str, name: str, kind: str, description: str) -> ExtensionDefinition:
    return ExtensionDefinition(f"extension-definition--{uuid}", name, kind, description)


MARKINGS = _ext(
    "3f1c9a52-8d0b-4a6e-b1f7-2c5e9d4a8b31",
    "enlace-markings",
    "property-extension",
    "Owner party, releasability, handling code (H0-H3) and 4x4 evaluation.",
)
AGENCY = _ext(
    "7a2e4c91-0b3d-4f58-9e6a-1d8c5b2f7e43",
    "enlace-agency",
    "property-extension",
    "A government agency of a party: acronym and party code.",
)
PERSON = _ext(
    "c4d8e2a7-5f19-4b3c-8a60-9e7d1f2b4c55",
    "enlace-person",
    "property-extension",
    "A person of interest: given names, both surnames, date of birth, CURP, aliases.",
)
COMPANY = _ext(
    "e9b1f3d5-2c47-4a8e-b6d0-3f5a7c9e1b66",
    "enlace-company",
    "property-extension",
    "A company: legal name, RFC, country.",
)
CRIMINAL_ORGANISATION = _ext(
    "1b5d7f9a-3e2c-4d6b-8f0a-5c7e9b1d3f77",
    "enlace-criminal-organisation",
    "property-extension",
    "Designations of a criminal organisation.",
)
PORT = _ext(
    "5e7a9c1b-4d3f-4e8a-a2c4-6e8f0a2c4e88",
    "enlace-port-of-entry",
    "property-extension",
    "A CBP port of entry code on a location.",
)
PHONE_NUMBER = _ext(
    "2c4e6a8b-1d3f-4a5c-9e7b-0d2f4a6c8e99",
    "enlace-phone-number",
    "new-sdo",
    "A telephone number in E.164 form.",
)
VEHICLE = _ext(
    "8d0f2b4c-6e1a-4c3e-b5d7-9f1b3d5f7aa0",
    "enlace-vehicle",
    "new-sdo",
    "A vehicle: VIN (NIV), plate, make, model, year.",
)
FIREARM = _ext(
    "4f6b8d0e-2a1c-4e5f-8b9d-1a3c5e7b9db1",
    "enlace-firearm",
    "new-sdo",
    "A firearm: make, importer, model, caliber, serial, recovery and trace.",
)
SEIZURE = _ext(
    "0a2c4e6f-8b1d-4f3a-9c5e-7b9d1f3a5ec2",
    "enlace-seizure",
    "new-sdo",
    "A seizure (aseguramiento): what, how much, when, where, by whom.",
)
LABORATORY = _ext(
    "6b8d0f2a-4c3e-4a5b-8d7f-3c5e7a9b1fd3",
    "enlace-clandestine-laboratory",
    "new-sdo",
    "A clandestine laboratory (narcolaboratorio).",
)
CUSTODY_TRANSFER = _ext(
    "9c1e3a5b-7d2f-4b6c-a8e0-4d6f8b0c2ae4",
    "enlace-custody-transfer",
    "new-sdo",
    "A transfer of custody: extradition or traslado, legal mechanism, date.",
)
MEETING = _ext(
    "3d5f7b9c-1e2a-4c4e-9a6b-8c0e2a4c6f15",
    "enlace-meeting",
    "new-sdo",
    "A meeting (reunión) of a bilateral mechanism: date or month, place, agencies.",
)
COMMITMENT = _ext(
    "7e9b1d3f-5a4c-4e6a-8c2d-0e4a6c8e1a26",
    "enlace-commitment",
    "new-sdo",
    "A commitment (compromiso): text, theme, responsible party, due date, status.",
)
ACTION = _ext(
    "b2d4f6a8-0c3e-4a5b-9d7f-1b3d5f7a9c37",
    "enlace-action",
    "new-sdo",
    "An action (acción) under a commitment: owner agency, due date, status, evidence.",
)
TRACE_REQUEST = _ext(
    "d1f3a5c7-9e2b-4d4f-8a6c-2e4a6c8e0b48",
    "enlace-trace-request",
    "new-sdo",
    "A firearm trace request (solicitud de rastreo) to one partner: the firearm, where and "
    "when it was recovered, the partner asked, status submitted or closed.",
)
TRACE_RESPONSE = _ext(
    "e2a4b6d8-0f3c-4e5a-9b7d-3f5b7d9f1c59",
    "enlace-trace-response",
    "new-sdo",
    "The answering party's response to a trace request: in progress, information requested, "
    "or answered (traced: state of first sale, dealer, purchase date, time to crime; or not "
    "traceable with a reason).",
)

ALL: tuple[ExtensionDefinition, ...] = (
    MARKINGS,
    AGENCY,
    PERSON,
    COMPANY,
    CRIMINAL_ORGANISATION,
    PORT,
    PHONE_NUMBER,
    VEHICLE,
    FIREARM,
    SEIZURE,
    LABORATORY,
    CUSTODY_TRANSFER,
    MEETING,
    COMMITMENT,
    ACTION,
    TRACE_REQUEST,
    TRACE_RESPONSE,
)


def enlace_identity() -> dict[str, object]:
    """The identity that authors Enlace's extension definitions."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": ENLACE_IDENTITY_ID,
        "created": EXTENSIONS_CREATED,
        "modified": EXTENSIONS_CREATED,
        "name": "Enlace project",
        "identity_class": "organization",
    }

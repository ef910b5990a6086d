"""What a TAXII client and server of Enlace agree on, without the web framework.

The media types, the API root, the page size, the collection ids and the paging cursor live
here rather than in `enlace.exchange.taxii.app` so that a client (``enlace sync``, the
command line) does not import FastAPI to know them: every command's start-up pays for what
it imports.
"""

from __future__ import annotations

import uuid

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
API_ROOT = "enlace"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 1000
_NAMESPACE = uuid.UUID("5b0e2f4e-8a57-4c1b-9a8e-2f3d6b1c7e90")


def collection_id(party: str, partner: str) -> str:
    """The id of the collection `party`'s node serves to `partner` (a UUIDv5: stable)."""
    return str(uuid.uuid5(_NAMESPACE, f"enlace-collection|{party}|{partner}"))


def encode_cursor(sequence: int) -> str:
    """The `next` cursor after the item numbered `sequence` of a partner's release sequence
    (exchange protocol 2: pages are served in that order)."""
    return str(sequence)


def decode_cursor(raw: str) -> int | None:
    """The sequence number a cursor made by `encode_cursor` names; None if it is not one."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)

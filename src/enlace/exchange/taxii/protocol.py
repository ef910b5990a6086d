"""What a TAXII client and server of Enlace agree on, without the web framework.

The media types, the API root, the page size, the collection ids and the paging cursor live
here rather than in `enlace.exchange.taxii.app` so that a client (``enlace sync``, the
command line) does not import FastAPI to know them: every command's start-up pays for what
it imports.
"""

from __future__ import annotations

import base64
import binascii
import uuid

import orjson

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
API_ROOT = "enlace"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 1000
_NAMESPACE = uuid.UUID("5b0e2f4e-8a57-4c1b-9a8e-2f3d6b1c7e90")


def collection_id(party: str, partner: str) -> str:
    """The id of the collection `party`'s node serves to `partner` (a UUIDv5: stable)."""
    return str(uuid.uuid5(_NAMESPACE, f"enlace-collection|{party}|{partner}"))


def encode_cursor(position: tuple[str, str, str]) -> str:
    """The `next` cursor after `position` = (date added, record id, modified)."""
    return base64.urlsafe_b64encode(orjson.dumps(list(position))).decode("ascii")


def resume_cursor(date_added: str, record_id: str, modified: str) -> str:
    """The `next` cursor that continues after the version (record_id, modified) added at
    `date_added`: what a sync client keeps after a last page, which carries no `next`."""
    return encode_cursor((date_added, record_id, modified))


def decode_cursor(raw: str) -> tuple[str, str, str] | None:
    """The position a cursor made by `encode_cursor` names; None if it is not one."""
    try:
        value = orjson.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        return None
    return (value[0], value[1], value[2])

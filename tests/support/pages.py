"""Builders of the page tests: an MX node's store with its own records, records received
from US (one whose stored content no longer matches its signature), and a refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from nacl.signing import SigningKey

from enlace.exchange.signing import sign_record
from enlace.model.markings import Markings
from enlace.model.records import Agency, PhoneNumber, Vehicle, derived_id
from enlace.store.repositories.partners import token_hash
from enlace.store.repositories.sync_state import ReceivedSignature
from enlace.store.store import Store
from enlace.store.versions import StoredVersion

CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
TO_US = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
TO_MX = Markings.build(tlp="green", releasable_to="MX US", handling="H1", evaluation="A1")
NATIONAL = Markings.build(tlp="red", handling="H0")
US_KEY = SigningKey(bytes(range(1, 33)))

OWN_PHONE = "+526641234567"
NATIONAL_PHONE = "+525512345678"
US_PHONE = "+12025550143"
US_VIN = "1M8GDM9AXKP042788"


FGR = Agency.from_values(
    id=derived_id("identity", "pages-test", "FGR"),
    owner="MX",
    markings=Markings.build(tlp="green", handling="H0"),
    created=CREATED,
    modified=CREATED,
    created_by_ref=None,
    values={"name": "Fiscalía General de la República", "acronym": "FGR", "party": "MX"},
)


def phone(
    number: str, *, owner: str, markings: Markings, days: int = 0, author: str | None = None
) -> PhoneNumber:
    """A phone number record made on CREATED + `days`, by the agency `author` (an id)."""
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "pages-test", number),
        owner=owner,
        markings=markings,
        created=CREATED,
        modified=CREATED + timedelta(days=days),
        created_by_ref=author,
        values={"number": number, "description": f"seen in a test, {owner}"},
    )


def vehicle(vin: str, *, owner: str, markings: Markings) -> Vehicle:
    """A vehicle record by its VIN."""
    return Vehicle.from_values(
        id=derived_id("enlace-vehicle", "pages-test", vin),
        owner=owner,
        markings=markings,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"vin": vin, "make": "Kenworth", "model": "T680"},
    )


def mx_node(store: Store) -> dict[str, str]:
    """Fill `store` as MX's node; return the ids of the records by role in the tests."""
    own = phone(OWN_PHONE, owner="MX", markings=TO_US)
    own_newer = phone(OWN_PHONE, owner="MX", markings=TO_US, days=3)
    national = phone(NATIONAL_PHONE, owner="MX", markings=NATIONAL, days=1, author=FGR.id)
    received = phone(US_PHONE, owner="US", markings=TO_MX, days=2)
    tampered = vehicle(US_VIN, owner="US", markings=TO_MX)
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", "MX")
        uow.partners.put(
            party="US",
            url="http://us.invalid",
            verify_key_hex=US_KEY.verify_key.encode().hex(),
            token_hash=token_hash("us-pulls-mx-0123456789abcdef"),
            added_at=uow.started_at,
        )
        versions = [StoredVersion.of(r) for r in (own, own_newer, national, FGR)]
        received_version = StoredVersion.of(received, received_from="US")
        tampered_version = StoredVersion.of(tampered, received_from="US")
        signatures = [
            _signature(received_version, sign_record(orjson.loads(received_version.stix), US_KEY)),
        ]
        # Signed as sent, then changed in the store: the page must say it no longer verifies.
        sent = orjson.loads(tampered_version.stix)
        signatures.append(_signature(tampered_version, sign_record(sent, US_KEY)))
        changed = dict(sent, extensions=sent["extensions"])
        changed_text = orjson.dumps(changed).decode().replace("Kenworth", "Freightliner")
        tampered_version = tampered_version._replace(stix=changed_text)
        uow.records.add([*versions, received_version, tampered_version], added_at=uow.started_at)
        uow.signatures.add(signatures)
        uow.audit.append(
            actor="sync",
            action="refusal",
            subject="enlace-phone-number--00000000-0000-4000-8000-000000000000",
            detail={"partner": "US", "reason": "bad-signature", "message": "changed content"},
        )
        uow.commit()
    return {
        "own": own.id,
        "national": national.id,
        "received": received.id,
        "tampered": tampered.id,
        "agency": FGR.id,
    }


def _signature(version: StoredVersion, signature: str) -> ReceivedSignature:
    return ReceivedSignature(
        record_id=version.id,
        modified=version.modified,
        signer_party="US",
        signature=signature,
        received_at="2025-09-10T00:00:00.000000Z",
    )

"""No store keeps a NUL character (U+0000): PostgreSQL refuses it in text, SQLite would keep it.

Refused on both alike, with a typed error that says what and where, never a DataError: a
record version when it is described for storage (whatever made it: an import, a form, a
partner's page), any other text when it is written.
"""

from __future__ import annotations

import pytest

from enlace.model.errors import RecordError
from enlace.model.markings import Markings
from enlace.model.records import Location, derived_id
from enlace.store.errors import TextRefused
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.exchange import CREATED

MARKINGS = Markings.build(tlp="amber", releasable_to="US", handling="H0")


def _place(name: str) -> Location:
    return Location.from_values(
        id=derived_id("location", "MX", "nul-test", name),
        owner="MX",
        markings=MARKINGS,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"name": name, "country": "MX"},
    )


def test_a_record_with_a_nul_is_refused_as_a_bad_field_before_it_is_stored(
    store: Store,
) -> None:
    with pytest.raises(RecordError) as refused:
        StoredVersion.of(_place("Agua\x00Prieta"))
    assert refused.value.field == "name"
    assert "NUL" in refused.value.expected


def test_a_received_text_with_a_nul_is_refused_wherever_it_is_in_the_object() -> None:
    record = _place("Agua Prieta")
    obj = {**record.to_stix(), "x_note": ["fine", {"deep": "a\x00b"}]}
    with pytest.raises(RecordError) as refused:
        StoredVersion.of(record, stix=obj, stix_text=None, received_from="US")
    assert refused.value.field == "x_note[1].deep"


def test_a_backslash_u0000_written_as_text_is_no_nul() -> None:
    version = StoredVersion.of(_place("literally \\u0000"))
    assert "\\\\u0000" in version.stix


def test_any_other_text_with_a_nul_is_refused_on_every_store_with_a_typed_error(
    store: Store,
) -> None:
    # Any table, written any way: the same guard, before the database is asked (on
    # PostgreSQL this was a DataError traceback, on SQLite a NUL kept).
    with store.unit_of_work() as uow:
        with pytest.raises(TextRefused, match="NUL character") as refused:
            uow.settings.set_if_absent("motto", "uno\x00dos")
        assert refused.value.table == "node_settings"
        assert uow.settings.get("motto") is None
        uow.settings.set_if_absent("motto", "uno dos")  # the store is usable after it
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.settings.get("motto") == "uno dos"

"""Record signatures: Ed25519 over RFC 8785 canonical JSON; a changed byte means refusal."""

from __future__ import annotations

import base64
import copy
import json
import struct
from types import MappingProxyType
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from enlace.exchange.errors import CanonicalFormError, SignatureInvalid
from enlace.exchange.signing import canonical_bytes, sign_record, verify_record

# Fixed keys: the tests do not depend on randomness they cannot replay.
KEY = SigningKey(bytes(range(32)))
OTHER_KEY = SigningKey(bytes(range(1, 33)))
KEY_HEX = KEY.verify_key.encode().hex()
OTHER_KEY_HEX = OTHER_KEY.verify_key.encode().hex()

SEIZURE: dict[str, Any] = {
    "type": "x-enlace-seizure",
    "spec_version": "2.1",
    "id": "x-enlace-seizure--6f1b0c5e-2a4c-4c8e-9d1b-2f9a7d3e5c10",
    "created": "2025-09-01T12:00:00.000000Z",
    "modified": "2025-09-01T12:00:00.000000Z",
    "created_by_ref": "identity--0f3c1a2b-6d4e-4f5a-8b9c-1d2e3f4a5b6c",
    "drug_type": "fentanyl",
    "quantity": 12.5,
    "unit": "kg",
    "place": {"name": "Nogales, Sonora", "country": "MX"},
    "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    "labels": ["frontera", "aduana"],
    "seized_whole": True,
    "notes": None,
}


# --- round trip and canonical form --------------------------------------------------------


def test_signature_made_with_the_key_verifies_with_its_public_key() -> None:
    signature = sign_record(SEIZURE, KEY)
    assert len(base64.b64decode(signature, validate=True)) == 64
    assert signature.endswith("=")  # standard, padded base64
    verify_record(SEIZURE, signature, KEY_HEX)
    verify_record(SEIZURE, signature, KEY_HEX.upper())  # hex case does not matter


def test_signing_is_deterministic() -> None:
    assert sign_record(SEIZURE, KEY) == sign_record(copy.deepcopy(SEIZURE), KEY)


def test_key_order_and_whitespace_of_the_json_text_do_not_matter() -> None:
    signature = sign_record(SEIZURE, KEY)
    for text in (
        json.dumps(SEIZURE, indent=4),
        json.dumps(SEIZURE, sort_keys=True, separators=(",", ":")),
        json.dumps(dict(reversed(list(SEIZURE.items()))), indent="\t", ensure_ascii=False),
        json.dumps(SEIZURE, ensure_ascii=True).replace("12.5", "12.50"),
    ):
        verify_record(json.loads(text), signature, KEY_HEX)


def test_any_mapping_and_sequence_are_canonicalised_as_objects_and_arrays() -> None:
    as_tuple = {**SEIZURE, "labels": ("frontera", "aduana")}
    assert canonical_bytes(MappingProxyType(as_tuple)) == canonical_bytes(SEIZURE)


def test_canonical_form_of_the_rfc_example() -> None:
    # RFC 8785 section 3.2.2 / reference test data "values.json".
    text = (
        '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n'
        '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
        '  "literals": [null, true, false]\n}'
    )
    expected = (
        '{"literals":[null,true,false],'
        '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_bytes(json.loads(text)) == expected.encode("utf-8")


def test_canonical_key_order_is_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: property sorting.
    text = (
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", '
        '"\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", '
        '"\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", '
        '"\\u00f6": "Latin Small Letter O With Diaeresis"}'
    )
    ordered = list(json.loads(canonical_bytes(json.loads(text))).values())
    assert ordered == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


# RFC 8785 appendix B: IEEE 754 doubles (hex) and their canonical JSON text.
RFC_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("ieee_hex", "expected"), RFC_NUMBERS)
def test_rfc_number_serialisation(ieee_hex: str, expected: str) -> None:
    number = struct.unpack(">d", bytes.fromhex(ieee_hex))[0]
    assert canonical_bytes({"n": number}) == b'{"n":' + expected.encode() + b"}"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 2**53, {1: "x"}])
def test_what_has_no_canonical_form_is_refused_naming_the_record(value: object) -> None:
    record = {**SEIZURE, "quantity": value}
    with pytest.raises(CanonicalFormError, match=SEIZURE["id"]):
        canonical_bytes(record)
    with pytest.raises(CanonicalFormError):
        sign_record(record, KEY)
    with pytest.raises(SignatureInvalid, match=f"record {SEIZURE['id']} refused") as raised:
        verify_record(record, sign_record(SEIZURE, KEY), KEY_HEX)
    assert raised.value.problem == "not-canonical"


# --- refusals -----------------------------------------------------------------------------


def test_wrong_key_is_refused_naming_the_record() -> None:
    signature = sign_record(SEIZURE, OTHER_KEY)
    with pytest.raises(SignatureInvalid) as raised:
        verify_record(SEIZURE, signature, KEY_HEX)
    error = raised.value
    assert error.record_id == SEIZURE["id"]
    assert error.problem == "mismatch"
    assert SEIZURE["id"] in str(error)
    assert "signed with another key" in str(error)
    assert "content changed" in str(error)


def test_changed_value_is_refused() -> None:
    signature = sign_record(SEIZURE, KEY)
    changed = {**SEIZURE, "quantity": 125}
    with pytest.raises(SignatureInvalid, match="content changed after it was signed"):
        verify_record(changed, signature, KEY_HEX)


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ("", "has no signature"),
        ("not base64 at all!", "not valid base64"),
        ("QUJD", "3 bytes long; an Ed25519 signature is 64 bytes"),
        ("QUJDRA", "not valid base64"),  # padding missing
        ("QUJD\nRA==", "not valid base64"),
        ("QUJDRA==é", "not valid base64"),
    ],
)
def test_malformed_signature_is_refused_with_a_clear_message(signature: str, reason: str) -> None:
    with pytest.raises(SignatureInvalid, match=reason) as raised:
        verify_record(SEIZURE, signature, KEY_HEX)
    assert raised.value.problem == "malformed-signature"
    assert str(raised.value).startswith(f"signature of record {SEIZURE['id']} refused: ")


def test_urlsafe_base64_is_not_accepted_for_the_standard_alphabet() -> None:
    urlsafe = base64.urlsafe_b64encode(b"\xfb\xff\xbf" * 21 + b"\x00").decode()
    assert set("-_") <= set(urlsafe)
    with pytest.raises(SignatureInvalid, match="not valid base64"):
        verify_record(SEIZURE, urlsafe, KEY_HEX)


@pytest.mark.parametrize("key", ["", "zz" * 32, KEY_HEX[:-2], KEY_HEX + "00"])
def test_malformed_registered_key_is_refused(key: str) -> None:
    with pytest.raises(SignatureInvalid, match="not an Ed25519 public key") as raised:
        verify_record(SEIZURE, sign_record(SEIZURE, KEY), key)
    assert raised.value.problem == "malformed-key"


def test_record_without_id_is_named_as_such() -> None:
    record = {k: v for k, v in SEIZURE.items() if k != "id"}
    with pytest.raises(SignatureInvalid, match="record <without id>"):
        verify_record(record, sign_record(SEIZURE, KEY), KEY_HEX)


# --- properties: any change anywhere is refused -------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
records = st.dictionaries(st.text(max_size=10), json_values, max_size=6).map(
    lambda extra: {**extra, "type": "x-enlace-phone-number", "id": "x-enlace-phone-number--1"}
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: dict keys and list indexes, down to the leaves."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(record=records, data=st.data())
def test_changing_any_value_or_inserting_a_key_anywhere_is_refused(
    record: dict[str, Any], data: st.DataObject
) -> None:
    signature = sign_record(record, KEY)
    verify_record(record, signature, KEY_HEX)
    tampered = copy.deepcopy(record)
    path = data.draw(st.sampled_from(_paths(tampered)), label="path")
    target = _get(tampered, path)
    if isinstance(target, dict) and data.draw(st.booleans(), label="insert a key"):
        key = data.draw(st.text(max_size=8), label="new key")
        assume(key not in target)
        target[key] = data.draw(json_values, label="new value")
    elif path:
        parent = _get(tampered, path[:-1])
        parent[path[-1]] = data.draw(json_values, label="new value")
    else:
        return  # the whole record replaced is covered by the changed-value cases
    # "Changed" means changed as JSON: 1 and 1.0, or 0.0 and -0.0, are the same JSON number.
    assume(canonical_bytes(tampered) != canonical_bytes(record))
    with pytest.raises(SignatureInvalid) as raised:
        verify_record(tampered, signature, KEY_HEX)
    assert raised.value.problem == "mismatch"


@settings(max_examples=300)
@given(record=records, data=st.data())
def test_a_flipped_byte_anywhere_in_the_canonical_text_is_refused(
    record: dict[str, Any], data: st.DataObject
) -> None:
    signature = sign_record(record, KEY)
    text = bytearray(canonical_bytes(record))
    position = data.draw(st.integers(0, len(text) - 1), label="position")
    bit = data.draw(st.integers(0, 7), label="bit")
    text[position] ^= 1 << bit
    try:
        tampered = json.loads(bytes(text))
    except ValueError:
        return  # no longer JSON (or not UTF-8): refused before any signature is checked
    assume(isinstance(tampered, dict))
    try:
        unchanged = canonical_bytes(tampered) == canonical_bytes(record)
    except CanonicalFormError:  # e.g. 1e+308 became 1e+309: refused as not canonical
        unchanged = False
    assume(not unchanged)
    with pytest.raises(SignatureInvalid):
        verify_record(tampered, signature, KEY_HEX)


@settings(max_examples=100)
@given(record=records)
def test_any_record_signed_verifies_after_a_json_round_trip(record: dict[str, Any]) -> None:
    signature = sign_record(record, KEY)
    verify_record(json.loads(json.dumps(record, indent=2)), signature, KEY_HEX)
    with pytest.raises(SignatureInvalid):
        verify_record(record, signature, OTHER_KEY_HEX)


# --- the fast canonical form equals the reference implementation -------------------------

# Values the orjson fast path takes, and around its edges: ASCII and other keys, control
# characters, quotes, backslashes, non-BMP characters and lone surrogates in texts, integers
# at and beyond the safe range, floats on both sides of the fast path's bounds (whole floats,
# fractions near 1e-5, magnitudes near 2**53 and 1e21), tuples.
edge_texts = st.text(
    alphabet=st.characters(codec=None, categories=None), max_size=12
) | st.sampled_from(
    ["", '"', "\\", "\n\t\x00\x1f\x7f", "\u2028\u2029", "é", "\U0001f600", "\ud800"]
)
edge_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-7, max_value=1e-4)
    | st.floats(min_value=1e15, max_value=1e23)
    | st.integers(min_value=-(2**54), max_value=2**54).map(float)
    | st.sampled_from([1e-5, 9.999999e-6, 1e-6, -1e-5, 12.0, -0.0, 0.1, 1234.5, 2.0**53, 1e21])
    | edge_texts
)
edge_values = st.recursive(
    edge_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(edge_texts | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)


def _reference(value: Any) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value if isinstance(value, dict) else dict(value))
    except Exception as error:
        return type(error)


def _fast(value: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return canonical_bytes(value)
    except CanonicalFormError:
        return CanonicalFormError
    except Exception as error:
        return type(error)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.dictionaries(edge_texts | st.text(max_size=8), edge_values, max_size=6))
def test_canonical_bytes_equal_the_reference_rfc8785_implementation(value: dict[str, Any]) -> None:
    expected = _reference(_plain_tuples(value))
    got = _fast(value)
    if isinstance(expected, bytes):
        assert got == expected
    else:  # no canonical form: refused as before, whatever path was taken
        assert got is CanonicalFormError


@settings(max_examples=300)
@given(value=records)
def test_canonical_bytes_of_plain_records_equal_rfc8785(value: dict[str, Any]) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def _plain_tuples(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_tuples(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_tuples(item) for item in value]
    return value

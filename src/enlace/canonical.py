r"""RFC 8785 canonical JSON (JSON Canonicalization Scheme), fast where it safely can be.

``canonical_json(value)`` gives exactly the bytes of ``rfc8785.dumps(value)`` (the
reference implementation, in pure Python) and raises what it raises. For the values records
and audit details are made of, it writes them with orjson (in C) instead: that is where a
sync, a release or an audit verification spent most of its time.

RFC 8785 is what ECMAScript's JSON.stringify writes, with the members of every object in
the order of their names' UTF-16 code units. orjson with OPT_SORT_KEYS writes exactly the
same bytes for the values the fast path admits: keys in ASCII (where code point, UTF-8 and
UTF-16 order agree); texts (orjson escapes exactly what RFC 8785 escapes, the same way:
``"``, ``\``, \b \t \n \f \r and the other control characters as lower-case \u00xx,
nothing else, and writes the rest as UTF-8); integers within ±(2**53 - 1); true, false,
null; lists and dicts of these. Floats too, where the two spellings agree: a float with a
fraction and a magnitude of at least 1e-5 (both write the shortest digits that read back as
the same number, without an exponent; below 1e-5 orjson writes an exponent where ECMAScript
does not), and a whole float within ±2**53, which ECMAScript writes as the integer (``12``
for ``12.0``) and so is handed to orjson as an int. Anything else (a smaller or larger
float, NaN, another type, a larger integer, a text orjson refuses, such as a lone surrogate)
goes through `rfc8785`. tests/exchange/test_signing.py checks the two against each other
with random values, floats included.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

_SAFE_INTEGER = 2**53 - 1


_SMALLEST_FRACTION = 1e-5
_LARGEST_FRACTION = 2.0**53  # beyond it every float is whole

# What _orjson_form finds of a value.
_SLOW = 0  # only rfc8785 writes it right
_AS_IS = 1  # orjson writes it right
_WHOLE_FLOATS = 2  # orjson writes it right once its whole floats are ints


def canonical_json(value: Any) -> bytes:
    """``rfc8785.dumps(value)``: the same bytes, the same exceptions; faster."""
    form = _orjson_form(value)
    if form != _SLOW:
        try:
            return orjson.dumps(
                value if form == _AS_IS else _whole_floats_as_ints(value),
                option=orjson.OPT_SORT_KEYS,
            )
        except orjson.JSONEncodeError:
            pass  # e.g. a lone surrogate in a text: the reference implementation decides
    return rfc8785.dumps(value)


def _orjson_form(value: Any) -> int:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return _AS_IS
    if kind is int:
        return _AS_IS if -_SAFE_INTEGER <= value <= _SAFE_INTEGER else _SLOW
    if kind is float:
        if value.is_integer():
            return _WHOLE_FLOATS if -_SAFE_INTEGER <= value <= _SAFE_INTEGER else _SLOW
        # NaN and infinities fail the comparison (and are not whole): rfc8785 refuses them.
        return _AS_IS if _SMALLEST_FRACTION <= abs(value) < _LARGEST_FRACTION else _SLOW
    form = _AS_IS
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return _SLOW
            kind = type(item)
            if kind is str:  # most values: no call
                continue
            found = _orjson_form(item)
            if found == _SLOW:
                return _SLOW
            if found > form:
                form = found
        return form
    if kind is list:
        for item in value:
            if type(item) is str:
                continue
            found = _orjson_form(item)
            if found == _SLOW:
                return _SLOW
            if found > form:
                form = found
        return form
    return _SLOW


def _whole_floats_as_ints(value: Any) -> Any:
    kind = type(value)
    if kind is float and value.is_integer():
        return int(value)
    if kind is dict:
        return {key: _whole_floats_as_ints(item) for key, item in value.items()}
    if kind is list:
        return [_whole_floats_as_ints(item) for item in value]
    return value

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
null; lists and dicts of these. Anything else (a float, whose ECMAScript spelling orjson
does not follow; another type; a larger integer; a text orjson refuses, such as a lone
surrogate) goes through `rfc8785`. tests/exchange/test_signing.py checks the two against
each other with random values.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

_SAFE_INTEGER = 2**53 - 1


def canonical_json(value: Any) -> bytes:
    """``rfc8785.dumps(value)``: the same bytes, the same exceptions; faster."""
    if _orjson_is_canonical(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # e.g. a lone surrogate in a text: the reference implementation decides
    return rfc8785.dumps(value)


def _orjson_is_canonical(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_SAFE_INTEGER <= value <= _SAFE_INTEGER)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii() or not _orjson_is_canonical(item):
                return False
        return True
    if kind is list:
        return all(_orjson_is_canonical(item) for item in value)
    return False

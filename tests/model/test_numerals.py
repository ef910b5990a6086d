"""Numbers people and partners write: the digits 0-9 only, within the range asked."""

from __future__ import annotations

import pytest

from enlace.model.numerals import LARGEST_ROW_ID, ascii_whole_number


@pytest.mark.parametrize(
    "text", ["", "٣", "３", "²", "1_000", " 1", "+1", "-1", "1e3", "9" * 5000, "0x10"]
)
def test_anything_but_ascii_digits_is_not_a_number(text: str) -> None:
    assert ascii_whole_number(text, high=10**18) is None


def test_a_number_outside_its_range_is_not_read() -> None:
    assert ascii_whole_number("2147483647", high=LARGEST_ROW_ID) == LARGEST_ROW_ID
    assert ascii_whole_number("2147483648", high=LARGEST_ROW_ID) is None
    assert ascii_whole_number("0", low=1, high=10) is None
    assert ascii_whole_number("0007", low=1, high=10) == 7

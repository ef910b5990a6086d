"""Fixtures of the users tests: a store in memory and quick password hashes.

``fake_store`` is an empty `support.users.FakeStore`, a store in memory for the service tests
of the users use cases. ``quick_passwords`` replaces argon2id (a tenth of a second a hash)
with `support.users.QuickPasswords`, a SHA-256 dressed in today's argon2id cost.
"""

from __future__ import annotations

import pytest

from enlace.users import accounts, authentication
from support.users import FakeStore, QuickPasswords


@pytest.fixture
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> QuickPasswords:
    """Password hashing that takes microseconds, in the users use cases of this test."""
    quick = QuickPasswords()
    monkeypatch.setattr(accounts, "hash_password", quick.hash)
    monkeypatch.setattr(authentication, "hash_password", quick.hash)
    monkeypatch.setattr(authentication, "verify_password", quick.verify)
    return quick


@pytest.fixture
def fake_store() -> FakeStore:
    """An empty store in memory."""
    return FakeStore()

"""The password rules (issue 14): length, the username, the list of common passwords.

Service tests on the store in memory (`fake_store`, `quick_passwords`): every place a password
is set goes through `add_user` or `set_password`, and signing in records whether a password
still meets the rules, since only then is the password itself at hand.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from enlace.model.roles import Role
from enlace.users import passwords
from enlace.users.accounts import add_user, set_password
from enlace.users.authentication import authenticate
from enlace.users.errors import PasswordRefused
from support.users import FakeStore, QuickPasswords

pytestmark = pytest.mark.usefixtures("quick_passwords", "frozen_now")

ROOT = Path(__file__).resolve().parents[2]
STRONG = "correct horse battery"


def _add(store: FakeStore, password: str, username: str = "ana.lopez") -> None:
    add_user(store, username=username, display_name="Ana", password=password, roles=[Role.ANALYST])


@pytest.mark.parametrize(
    ("username", "password", "rule", "message"),
    [
        ("ana.lopez", "k7#Rq!v2mPz", "length", "at least 12 characters (found 11)"),
        ("ana.lopez", "tr0ub4dor&3", "length", "at least 12 characters (found 11)"),
        ("ana.lopez.garcia", "Ana.Lopez.Garcia", "username", "may not be the username"),
        ("ana.lopez", "my name is ANA.LOPEZ!", "username", "may not contain the username"),
        ("ana", "bananas are yellow", "username", "may not contain the username"),
        ("ana.lopez", "password1234", "common", "common passwords"),
        ("ana.lopez", "PassWord1234", "common", "common passwords"),
        ("ana.lopez", "qwerty123456", "common", "common passwords"),
        ("ana.lopez", "1qaz2wsx3edc4rfv", "common", "common passwords"),
    ],
    ids=[
        "11-characters",
        "11-characters-mixed",
        "equals-username-other-case",
        "contains-username-other-case",
        "contains-3-character-username",
        "common",
        "common-other-case",
        "common-keyboard",
        "common-16-characters",
    ],
)
def test_a_password_breaking_a_rule_is_refused_naming_the_rule_and_nothing_is_written(
    fake_store: FakeStore, username: str, password: str, rule: str, message: str
) -> None:
    with pytest.raises(PasswordRefused, match=re.escape(message)) as refused:
        _add(fake_store, password, username)
    assert refused.value.rule == rule
    assert str(refused.value).startswith(f"password for {username!r} not accepted: ")
    assert fake_store.units_of_work == 0
    assert fake_store.state.users == {}


def test_a_two_character_username_may_appear_inside_a_password(fake_store: FakeStore) -> None:
    # "al" is in too many words to refuse them all; equal to it is refused by length anyway.
    _add(fake_store, "always vigilant", username="al")
    assert fake_store.state.users["al"].password_meets_policy is True


def test_a_strong_password_is_accepted_and_recorded_as_meeting_the_rules(
    fake_store: FakeStore,
) -> None:
    _add(fake_store, STRONG)
    _add(fake_store, "Xq7-vLm2-Rt9", username="bob")  # exactly 12 characters
    assert fake_store.state.users["ana.lopez"].password_meets_policy is True
    assert fake_store.state.users["bob"].password_meets_policy is True


def test_a_new_password_must_meet_the_same_rules_and_a_refusal_changes_nothing(
    fake_store: FakeStore, quick_passwords: QuickPasswords
) -> None:
    _add(fake_store, STRONG)
    before = fake_store.state.copy()
    for weak in ("password1234", "Ana.Lopez-2025", "short-pw-11"):
        with pytest.raises(PasswordRefused):
            set_password(fake_store, "Ana.Lopez", weak)
    assert fake_store.state == before
    set_password(fake_store, "ana.lopez", "a much better passphrase")
    assert fake_store.state.password_hashes["ana.lopez"] == quick_passwords.hash(
        "a much better passphrase"
    )
    assert fake_store.state.users["ana.lopez"].password_meets_policy is True


def test_an_existing_weak_password_still_signs_in_and_is_then_recorded_as_weak(
    fake_store: FakeStore, quick_passwords: QuickPasswords
) -> None:
    # An account made under the old rules (10 characters), before its password was ever
    # checked against the new ones: flag None, "not checked yet".
    _add(fake_store, STRONG)
    user = fake_store.state.users["ana.lopez"]
    fake_store.state.users["ana.lopez"] = dataclasses.replace(user, password_meets_policy=None)
    fake_store.state.password_hashes["ana.lopez"] = quick_passwords.hash("password12")
    outcome = authenticate(fake_store, "ana.lopez", "password12", client=None)
    assert outcome.user is not None
    assert fake_store.state.users["ana.lopez"].password_meets_policy is False
    assert outcome.user.password_meets_policy is False


def test_signing_in_with_a_strong_password_records_it_once(fake_store: FakeStore) -> None:
    _add(fake_store, STRONG)
    user = fake_store.state.users["ana.lopez"]
    fake_store.state.users["ana.lopez"] = dataclasses.replace(user, password_meets_policy=None)
    fake_store.commits = 0
    assert authenticate(fake_store, "ana.lopez", STRONG, client=None).user is not None
    assert fake_store.state.users["ana.lopez"].password_meets_policy is True
    assert authenticate(fake_store, "ana.lopez", STRONG, client=None).user is not None
    assert fake_store.commits == 2  # one per sign-in: the flag rides in the sign-in's commit


def test_a_wrong_password_records_nothing_about_the_password(fake_store: FakeStore) -> None:
    _add(fake_store, STRONG)
    user = fake_store.state.users["ana.lopez"]
    fake_store.state.users["ana.lopez"] = dataclasses.replace(user, password_meets_policy=None)
    assert authenticate(fake_store, "ana.lopez", "password1234", client=None).user is None
    assert fake_store.state.users["ana.lopez"].password_meets_policy is None


def test_a_random_password_for_an_account_always_meets_the_rules() -> None:
    for username in ("demo", "ana", "al", "a-b"):
        for _ in range(200):
            made = passwords.random_password(username)
            assert passwords.password_problem(made, username=username) is None


def test_the_common_list_ships_in_the_package_names_its_source_and_is_read_once() -> None:
    path = passwords.COMMON_PASSWORDS
    assert path.parent == ROOT / "src" / "enlace" / "users"
    header = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "SecLists" in header
    assert "MIT License" in header
    assert "Mark Burnett" in header
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = package_data["tool"]["setuptools"]["package-data"]["enlace"]
    assert any(fnmatch(f"users/{path.name}", pattern) for pattern in patterns)
    passwords.common_passwords.cache_clear()
    listed = passwords.common_passwords()
    assert passwords.common_passwords() is listed  # loaded once
    assert 40_000 <= len(listed) <= 50_000
    assert all(len(entry) >= passwords.MIN_LENGTH for entry in listed)
    assert all(entry == entry.casefold() for entry in listed)
    assert "password1234" in listed
    assert "###int_made###" in listed  # an entry that starts like a comment is still one


def test_no_command_or_function_offers_to_accept_a_weak_password() -> None:
    sources = [*(ROOT / "src").rglob("*.py")]
    assert not [path for path in sources if "allow-weak" in path.read_text(encoding="utf-8")]
    assert not [path for path in sources if "allow_weak" in path.read_text(encoding="utf-8")]

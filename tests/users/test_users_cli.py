"""`enlace user ...` as a person runs it: real processes on a real node folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enlace.cli import user_commands
from enlace.cli.app import build_app
from enlace.node.setup import initialise_node, open_node
from enlace.users.accounts import get_user
from enlace.users.authentication import authenticate
from enlace.users.passwords import hash_password, random_password
from support import timing


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _enlace(*args: str, cwd: Path, stdin: str = "") -> Ran:
    """Run `enlace ARGS` in this process (a subprocess takes seconds to import everything)."""
    # Rich fixes a console's width when it is made if COLUMNS is set then (80 under xdist):
    # give the tables the 200 columns that COLUMNS says, so that no cell wraps.
    width = user_commands.console.width
    user_commands.console.width = 200
    try:
        result = CliRunner().invoke(build_app(), list(args), input=stdin, env={"COLUMNS": "200"})
    finally:
        user_commands.console.width = width
    return Ran(result.exit_code, result.stdout, result.stderr)


def _enlace_process(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "enlace", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=timing.timeout(120),
    )


@pytest.fixture
def node(tmp_path: Path) -> Path:
    folder = tmp_path / "mx"
    initialise_node(folder, party="MX")
    return folder


def test_user_add_then_login_with_that_password_and_list_shows_roles(
    node: Path, tmp_path: Path
) -> None:
    password = random_password("ana.lopez")
    added = _enlace(
        "user", "add", "Ana.Lopez", "--role", "analyst", "--role", "liaison",
        "--name", "Ana López", "--agency", "FGR", "--password-stdin", "--node", str(node),
        cwd=tmp_path, stdin=password + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "user ana.lopez added with roles: analyst, liaison" in added.stdout
    assert password not in added.stdout + added.stderr
    listed = _enlace("user", "list", "--node", str(node), cwd=tmp_path)
    assert "ana.lopez" in listed.stdout
    assert "Ana López" in listed.stdout
    assert "analyst, liaison" in listed.stdout
    _config, store = open_node(node)
    try:
        assert authenticate(store, "ana.lopez", password, client=None).user is not None
    finally:
        store.close()


def test_user_roles_disable_and_password_change_what_they_say(node: Path, tmp_path: Path) -> None:
    first, second = random_password("bob"), random_password("bob")
    args = ("--node", str(node))
    add = ("user", "add", "bob", "--role", "analyst", "--password-stdin", *args)
    assert _enlace(*add, cwd=tmp_path, stdin=first + "\n").returncode == 0
    roles = _enlace("user", "roles", "bob", "--role", "coordinator,auditor", *args, cwd=tmp_path)
    assert "bob now holds: auditor, coordinator" in roles.stdout
    disabled = _enlace("user", "disable", "bob", *args, cwd=tmp_path)
    assert "user bob disabled" in disabled.stdout
    changed = _enlace(
        "user", "password", "bob", "--password-stdin", *args, cwd=tmp_path, stdin=second + "\n"
    )
    assert changed.returncode == 0, changed.stderr
    _config, store = open_node(node)
    try:
        user = get_user(store, "bob")
        assert user is not None
        assert user.disabled
        assert user.roles == {"coordinator", "auditor"}
        assert authenticate(store, "bob", second, client=None).user is None  # still disabled
        assert _enlace("user", "disable", "bob", "--enable", *args, cwd=tmp_path).returncode == 0
        assert authenticate(store, "bob", first, client=None).user is None
        assert authenticate(store, "bob", second, client=None).user is not None
    finally:
        store.close()


def test_user_token_is_printed_once_listed_without_secret_and_revoked(
    node: Path, tmp_path: Path
) -> None:
    args = ("--node", str(node))
    add = ("user", "add", "carla", "--role", "auditor", "--password-stdin", *args)
    assert _enlace(*add, cwd=tmp_path, stdin=random_password("carla") + "\n").returncode == 0
    made = _enlace("user", "token", "carla", "--label", "nightly export", *args, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    secret = next(line for line in made.stdout.splitlines() if line.startswith("enl_"))
    token_id = made.stdout.split()[1]
    listed = _enlace("user", "token", "--list", *args, cwd=tmp_path)
    assert token_id in listed.stdout
    assert "nightly export" in listed.stdout
    assert secret not in listed.stdout
    revoked = _enlace("user", "token", "--revoke", token_id, *args, cwd=tmp_path)
    assert f"token {token_id} of carla revoked" in revoked.stdout
    assert "revoked" in _enlace("user", "token", "--list", *args, cwd=tmp_path).stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("user", "add", "dora", "--role", "boss", "--password-stdin"),
            "x" * 12,
            "unknown role 'boss'",
        ),
        (
            ("user", "add", "dora", "--role", "analyst", "--password-stdin"),
            "short",
            "at least 12 characters",
        ),
        (
            ("user", "add", "dora", "--role", "analyst", "--password-stdin"),
            "Password1234",
            "password for 'dora' not accepted: it is in the list of common passwords",
        ),
        (
            ("user", "add", "dora", "--role", "analyst", "--password-stdin"),
            "dora-the-explorer",
            "password for 'dora' not accepted: a password may not contain the username",
        ),
        (
            ("user", "add", "no spaces", "--role", "analyst", "--password-stdin"),
            "x" * 12,
            "is not valid",
        ),
        (("user", "roles", "nobody", "--role", "analyst"), "", "there is no user 'nobody'"),
        (("user", "token", "--revoke", "000000000000"), "", "there is no token"),
        (("user", "token"), "", "name the user the token is for"),
    ],
)
def test_user_commands_print_one_clear_line_on_bad_input(
    node: Path, tmp_path: Path, args: tuple[str, ...], stdin: str, message: str
) -> None:
    result = _enlace(*args, "--node", str(node), cwd=tmp_path, stdin=stdin + "\n")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.e2e
def test_a_user_error_in_a_real_process_is_one_line_without_traceback(
    node: Path, tmp_path: Path
) -> None:
    result = _enlace_process(
        "user", "add", "eva", "--role", "analyst", "--password-stdin", "--node", str(node),
        cwd=tmp_path, stdin="short\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: password for 'eva' not accepted: a password needs at least 12 characters (found 5)"
    )


def test_user_password_refuses_a_weak_new_password_and_keeps_the_old(
    node: Path, tmp_path: Path
) -> None:
    args = ("--node", str(node))
    first = random_password("fabio")
    add = ("user", "add", "fabio", "--role", "analyst", "--password-stdin", *args)
    assert _enlace(*add, cwd=tmp_path, stdin=first + "\n").returncode == 0
    refused = _enlace(
        "user", "password", "fabio", "--password-stdin", *args, cwd=tmp_path, stdin="fabio\n"
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: password for 'fabio' not accepted: a password needs at least 12 characters "
        "(found 5)"
    )
    _config, store = open_node(node)
    try:
        assert authenticate(store, "fabio", first, client=None).user is not None
    finally:
        store.close()


def test_no_option_accepts_a_weak_password(node: Path, tmp_path: Path) -> None:
    result = _enlace(
        "user", "add", "gina", "--role", "analyst", "--password-stdin", "--allow-weak",
        "--node", str(node), cwd=tmp_path, stdin="password1234\n",
    )  # fmt: skip
    assert result.returncode == 2  # click: no such option
    assert "No such option" in result.stderr


def test_an_account_with_a_weak_old_password_still_signs_in_and_user_list_flags_it(
    node: Path, tmp_path: Path
) -> None:
    # Two accounts from before the password rules: their passwords were never checked
    # (the column is empty, as migration 0011 leaves it). Hashes made as the old code made
    # them, from passwords it accepted: 10 characters, one of them common.
    args = ("--node", str(node))
    strong = random_password("ana")
    for name in ("ana", "bob"):
        added = ("user", "add", name, "--role", "analyst", "--password-stdin", *args)
        assert _enlace(*added, cwd=tmp_path, stdin=random_password(name) + "\n").returncode == 0
    _config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            for name, secret in (("ana", strong), ("bob", "password12")):
                uow.users.update(
                    name, password_hash=hash_password(secret), password_meets_policy=None
                )
            uow.commit()
        before = _rows(_enlace("user", "list", *args, cwd=tmp_path).stdout)
        assert before["ana"].endswith("not checked yet")
        assert before["bob"].endswith("not checked yet")
        assert authenticate(store, "bob", "password12", client=None).user is not None
        assert authenticate(store, "ana", strong, client=None).user is not None
        listed = _enlace("user", "list", *args, cwd=tmp_path)
        after = _rows(listed.stdout)
        assert after["bob"].endswith("WEAK")
        assert after["ana"].endswith("ok")
        assert "1 weak password (bob)" in listed.stdout
        assert "enlace user password bob" in listed.stdout
    finally:
        store.close()


def _rows(table: str) -> dict[str, str]:
    """The rows of `enlace user list` by username, each without its borders and padding."""
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) > 1 and cells[0]:
            rows[cells[0]] = " | ".join(cells)
    return rows

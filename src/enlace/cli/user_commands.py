"""`enlace user ...`: the people who may use a node's web interface and API, and their roles."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text
from enlace.model.roles import Role, parse_role
from enlace.users.errors import UserError

if TYPE_CHECKING:
    from enlace.store.repositories.api_tokens import ApiToken
    from enlace.store.repositories.users import User

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")
_ROLE_NAMES = ", ".join(role.value for role in Role)

RolesOption = Annotated[
    list[str],
    typer.Option("--role", help=f"A role to hold (repeat for several): {_ROLE_NAMES}."),
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def _user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Also show UserError as one line (the shared handler covers the other errors)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except UserError as error:
            stderr.print(f"[bold red]error:[/] {safe_text(error, lines=True)}")
            raise typer.Exit(1) from None

    return user_errors(run)


def build_user_app() -> typer.Typer:
    """The `enlace user` sub-command group."""
    users = command_group(
        "user",
        "People of this node (users), their roles, passwords and API tokens.",
    )
    users.command("add")(add)
    users.command("list")(list_)
    users.command("roles")(roles)
    users.command("disable")(disable)
    users.command("password")(password)
    users.command("token")(token)
    return users


def _roles(names: list[str]) -> list[Role]:
    try:
        return [parse_role(name) for part in names for name in part.split(",") if name.strip()]
    except ValueError as error:
        raise UserError(str(error)) from None


def _read_password(from_stdin: bool, username: str) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = typer.prompt(f"password for {username}", hide_input=True, confirmation_prompt=True)
    return value


@_user_errors
def add(
    username: Annotated[str, typer.Argument(help="Login name, e.g. ana.lopez.")],
    role: RolesOption,
    name: Annotated[str, typer.Option(help="Name shown in the web pages.")] = "",
    agency: Annotated[str, typer.Option(help="The user's agency, e.g. FGR or CBP.")] = "",
    language: Annotated[str, typer.Option(help="Language of the web pages: es or en.")] = "es",
    password_stdin: PasswordStdin = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Create a user with one or more roles; asks for the password (twice).

    The password needs 12 characters or more, may not be or contain the username, and may
    not be a common one (see docs/users.md).
    """
    from enlace.node.setup import open_node
    from enlace.users.accounts import add_user

    chosen = _roles(role)
    _config, store = open_node(node)
    try:
        secret = _read_password(password_stdin, username)
        user = add_user(
            store,
            username=username,
            display_name=name or username,
            password=secret,
            roles=chosen,
            agency=agency or None,
            language=language,
        )
    finally:
        store.close()
    roles_shown = ", ".join(sorted(user.roles))
    console.print(f"user {user.username} added with roles: {roles_shown}")


@_user_errors
def list_(node: NodeDir = DEFAULT_NODE) -> None:
    """List the users of this node with their roles, and which passwords are weak."""
    from enlace.node.setup import open_node
    from enlace.users.accounts import list_users

    _config, store = open_node(node)
    try:
        found = list_users(store)
    finally:
        store.close()
    if not found:
        console.print("no users yet: add one with 'enlace user add NAME --role administrator'")
        return
    table = Table("username", "name", "agency", "roles", "language", "state", "password")
    for user in found:
        table.add_row(
            safe_text(user.username),
            safe_text(user.display_name),
            safe_text(user.agency or "—"),
            ", ".join(sorted(user.roles)),
            user.language,
            "disabled" if user.disabled else "active",
            _PASSWORD_STATES[user.password_meets_policy],
        )
    console.print(table)
    _print_password_notes(found)


# What the node knows of each password without having it: see User.password_meets_policy.
_PASSWORD_STATES = {True: "ok", False: "[bold red]WEAK[/]", None: "not checked yet"}


def _print_password_notes(found: list[User]) -> None:
    weak = [user.username for user in found if user.password_meets_policy is False]
    unchecked = sum(1 for user in found if user.password_meets_policy is None)
    if len(weak) == 1:
        console.print(
            f"1 weak password ({safe_text(weak[0])}): it still signs in, but breaks the password "
            f"rules; set a new one with 'enlace user password {safe_text(weak[0])}'"
        )
    elif weak:
        console.print(
            f"{len(weak)} weak passwords ({safe_text(', '.join(weak))}): they still sign in, but "
            "break the password rules; set new ones with 'enlace user password USERNAME'"
        )
    if unchecked:
        console.print(
            f"not checked yet: {unchecked} account{'s' if unchecked > 1 else ''} from before "
            "the password rules; each is checked at its next sign-in or password change"
        )


@_user_errors
def roles(
    username: Annotated[str, typer.Argument(help="The user whose roles to set.")],
    role: RolesOption,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Set exactly which roles a user holds (at least one)."""
    from enlace.node.setup import open_node
    from enlace.users.accounts import set_roles

    chosen = _roles(role)
    _config, store = open_node(node)
    try:
        user = set_roles(store, username, chosen)
    finally:
        store.close()
    console.print(f"user {user.username} now holds: {', '.join(sorted(user.roles))}")


@_user_errors
def disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again.")] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Disable a user (its sessions end at once; its tokens stop working), or --enable it."""
    from enlace.node.setup import open_node
    from enlace.users.accounts import set_disabled

    _config, store = open_node(node)
    try:
        user = set_disabled(store, username, not enable)
    finally:
        store.close()
    state = "disabled: its sessions were ended" if user.disabled else "enabled again"
    console.print(f"user {user.username} {state}")


@_user_errors
def password(
    username: Annotated[str, typer.Argument(help="The user whose password to change.")],
    password_stdin: PasswordStdin = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Set a new password for a user; its open sessions end."""
    from enlace.node.setup import open_node
    from enlace.users.accounts import set_password

    _config, store = open_node(node)
    try:
        secret = _read_password(password_stdin, username)
        set_password(store, username, secret)
    finally:
        store.close()
    console.print(f"password of {username.strip().lower()} changed; its sessions were ended")


@_user_errors
def token(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")] = "",
    label: Annotated[str, typer.Option(help="What the token is for, e.g. 'nightly import'.")] = (
        "script"
    ),
    list_only: Annotated[bool, typer.Option("--list", help="List tokens, no secrets.")] = False,
    revoke: Annotated[str, typer.Option(help="Revoke the token with this id.")] = "",
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Make an API token for a user (shown once), --list tokens, or --revoke one."""
    from enlace.node.setup import open_node
    from enlace.users.tokens import create_token, list_tokens, revoke_token

    _config, store = open_node(node)
    try:
        if revoke:
            revoked = revoke_token(store, revoke)
            console.print(f"token {revoked.id} of {revoked.username} revoked")
            return
        if list_only:
            _print_tokens(list_tokens(store, username or None))
            return
        if not username:
            raise UserError("name the user the token is for: 'enlace user token USERNAME'")
        made, secret = create_token(store, username, label)
    finally:
        store.close()
    console.print(f"token {made.id} for {made.username} ({safe_text(made.label)}):")
    console.print(secret)
    console.print(
        "it is shown this once only; send it as 'Authorization: Bearer <token>'. "
        f"Revoke it with 'enlace user token --revoke {made.id}'."
    )


def _print_tokens(tokens: list[ApiToken]) -> None:
    if not tokens:
        console.print("no API tokens")
        return
    table = Table("id", "user", "label", "created", "last used", "state")
    for item in tokens:
        table.add_row(
            item.id,
            safe_text(item.username),
            safe_text(item.label),
            item.created_at[:19],
            (item.last_used_at or "—")[:19],
            "revoked" if item.revoked_at else "active",
        )
    console.print(table)

"""The demo's login for each node's web interface: one user holding every role."""

from __future__ import annotations

from pathlib import Path

from enlace.model.roles import ALL_ROLES
from enlace.node.setup import open_node
from enlace.users.accounts import add_user, get_user, set_disabled, set_password, set_roles
from enlace.users.passwords import random_password

DEMO_USERNAME = "demo"


def ensure_demo_login(node: Path) -> tuple[str, str]:
    """Make (or reset) the demo user of `node` with every role; return (username, password).

    A fresh random password each run: the demo prints it, and no fixed password is ever
    valid on a node that outlives the demo. It meets the password rules like any other.
    """
    password = random_password(DEMO_USERNAME)
    config, store = open_node(node)
    try:
        existing = get_user(store, DEMO_USERNAME)
        if existing is None:
            add_user(
                store,
                username=DEMO_USERNAME,
                display_name=f"Demo {config.party}",
                password=password,
                roles=ALL_ROLES,
                language="es" if config.party == "MX" else "en",
                actor="demo",
            )
        else:
            set_password(store, DEMO_USERNAME, password, actor="demo")
            if existing.roles != ALL_ROLES:
                set_roles(store, DEMO_USERNAME, ALL_ROLES, actor="demo")
            if existing.disabled:
                set_disabled(store, DEMO_USERNAME, False, actor="demo")
    finally:
        store.close()
    return DEMO_USERNAME, password

"""A real node web server on loopback for the users/security tests, with a user per role."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from enlace.model.roles import Role
from enlace.node.config import NodeConfig
from enlace.node.keys import create_signing_key
from enlace.store.store import Store
from enlace.users.accounts import add_user
from enlace.users.authentication import ThrottlePolicy
from enlace.users.passwords import random_password
from enlace.users.sessions import SessionPolicy
from enlace.web.app import create_node_app
from support import timing

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def user_of(role: Role) -> str:
    """The username the fixture gives the holder of `role`."""
    return f"{role.value}-user"


@dataclass(slots=True)
class RunningWeb:
    """A node application served by uvicorn on 127.0.0.1, and the users made for it."""

    url: str
    store: Store
    app: FastAPI
    passwords: dict[str, str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A fresh browser-like client (own cookies), not following redirects; closed when
        the server stops."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=timing.timeout(30))
        self.clients.append(client)
        return client

    def login_form_token(self, client: httpx.Client, next_path: str = "/web/") -> str:
        """Open the login page; return the CSRF token its form carries."""
        page = client.get("/web/login", params={"next": next_path})
        assert page.status_code == 200, page.text
        found = _CSRF_FIELD.search(page.text)
        assert found is not None, "the login form has no csrf_token field"
        return found.group(1)

    def login(self, username: str, password: str | None = None) -> httpx.Client:
        """A client signed in as `username` (with the password the fixture gave it)."""
        client = self.client()
        token = self.login_form_token(client)
        answer = client.post(
            "/web/login",
            data={
                "username": username,
                "password": password or self.passwords[username],
                "csrf_token": token,
                "next": "/web/",
            },
        )
        assert answer.status_code == 303, answer.text
        return client

    def add(self, username: str, *roles: Role, agency: str | None = None) -> str:
        """Create a user with `roles` and a fresh random password; return the password."""
        password = random_password(username)
        add_user(
            self.store,
            username=username,
            display_name=username.title(),
            password=password,
            roles=roles,
            agency=agency,
            actor="test",
        )
        self.passwords[username] = password
        return password


def session_csrf(client: httpx.Client, path: str = "/web/login") -> str:
    """The CSRF token of a signed-in client's session, read from a page's forms."""
    page = client.get(path)
    found = _CSRF_FIELD.search(page.text)
    assert found is not None, f"no csrf_token field on {path}: {page.status_code}"
    return found.group(1)


def switch_language(client: httpx.Client, lang: str, next_path: str = "/web/") -> httpx.Response:
    """Press the language switch of a page (a POST with the page's CSRF token)."""
    signed_in = client.get("/web/login").status_code == 303  # the login page sends them home
    token = session_csrf(client, "/web/" if signed_in else "/web/login")
    return client.post("/web/language", data={"csrf_token": token, "lang": lang, "next": next_path})


@contextmanager
def serving(
    store: Store,
    directory: Path,
    *,
    party: str = "MX",
    sessions: SessionPolicy | None = None,
    throttle: ThrottlePolicy | None = None,
    users_per_role: bool = True,
) -> Iterator[RunningWeb]:
    """`create_node_app` for `store` served on a free loopback port until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    config = NodeConfig(directory=directory, party=party)
    create_signing_key(config.key_dir)  # the partners' TAXII pages are signed with it
    app = create_node_app(store, config, sessions=sessions, throttle=throttle)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def started() -> bool:
        if server.started:
            return True
        assert thread.is_alive(), "the web server stopped while starting"
        return False

    timing.wait_until(started, what="the web server to start", timeout=15, interval=0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    running = RunningWeb(url=f"http://127.0.0.1:{port}", store=store, app=app)
    if users_per_role:
        for role in Role:
            running.add(user_of(role), role, agency="FGR")
    try:
        yield running
    finally:
        for client in running.clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=timing.timeout(15))

"""`enlace serve` serves the web interface, and the demo's login opens it (real process)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from enlace.cli.demo_users import ensure_demo_login
from enlace.model.roles import ALL_ROLES
from enlace.node.setup import initialise_node, open_node
from enlace.users.accounts import get_user
from support import timing
from support.nodes import free_port

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _sign_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    form = client.get("/web/login")
    found = _CSRF_FIELD.search(form.text)
    assert found is not None, form.text
    return client.post(
        "/web/login",
        data={"username": username, "password": password, "csrf_token": found.group(1)},
    )


@pytest.mark.e2e
def test_serve_prints_the_web_address_and_the_demo_login_opens_it(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    username, old_password = ensure_demo_login(node)
    username, password = ensure_demo_login(node)  # a second demo run: a new password
    assert password != old_password
    _config, store = open_node(node)
    try:
        user = get_user(store, username)
        assert user is not None
        assert user.roles == ALL_ROLES
    finally:
        store.close()

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enlace", "serve", "--node", str(node), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def printed_address() -> bool:
            if f"web interface at {url}/web/" in log.read_text():
                return True
            assert process.poll() is None, log.read_text()
            return False

        timing.wait_until(
            printed_address,
            what="enlace serve to print the web address",
            timeout=60,
            interval=0.1,
            detail=log.read_text,
        )
        with httpx.Client(base_url=url, timeout=timing.timeout(30)) as client:

            def root_answer() -> httpx.Response | None:
                try:
                    return client.get("/")
                except httpx.ConnectError:
                    return None

            # The address is printed just before uvicorn binds.
            root = timing.wait_until(
                root_answer, what=f"enlace serve to answer at {url}", interval=0.1
            )
            assert root.status_code == 303
            assert root.headers["location"] == "/web/"
            assert _sign_in(client, username, old_password).status_code == 401
            signed_in = _sign_in(client, username, password)
            assert signed_in.status_code == 303
            home = client.get("/web/")
            assert home.status_code == 200
            assert "Demo MX" in home.text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timing.timeout(30))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

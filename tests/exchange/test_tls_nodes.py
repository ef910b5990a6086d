"""TLS between nodes: real `enlace serve` over HTTPS on loopback, with a CA made by trustme.

A partner registered with its CA (`partner add --tls-ca`) is synced and matched over https;
without it, or with a plain http:// URL to a TLS server, the command says in one line that it
is a certificate problem and stores nothing. Plain HTTP off loopback is refused.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme
import uvicorn

from enlace.exchange.taxii.app import create_app
from enlace.matching.api import create_matching_router
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key
from enlace.node.setup import initialise_node, open_node
from enlace.partners.transport import partner_client, trust_path, write_partner_trust
from support import timing
from support.exchange import TO_MX
from support.nodes import add_phones, cli, counts, enlace, free_port, served_in_thread, serving


@dataclass(frozen=True, slots=True)
class Tls:
    ca: Path  # what partners register with --tls-ca
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A private CA and a certificate it issued for 127.0.0.1, as PEM files."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    # A combined PEM, as partners sometimes send: only its certificate may be kept.
    (folder / "ca-and-key.pem").write_bytes(ca.private_key_pem.bytes() + ca.cert_pem.bytes())
    issued.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    issued.private_key_pem.write_to_path(str(folder / "key.pem"))
    return Tls(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")


def node_pair(tmp_path: Path, *mx_names: str) -> tuple[Path, str, dict[str, str], Path]:
    """A US node that knows MX, and MX node folders (`mx_names`) not yet registering US.
    Returns the US folder, its key, each MX folder's key and US's invite token for MX."""
    us = tmp_path / "us"
    us_key = initialise_node(us, party="US").public_key
    mx_keys = {name: initialise_node(tmp_path / name, party="MX").public_key for name in mx_names}
    first = next(iter(mx_keys.values()))
    cli("partner", "add", "--party", "MX", "--url", "http://127.0.0.1:1", "--key", first,
        "--node", str(us))  # fmt: skip
    token = tmp_path / "for-mx.token"
    cli("partner", "invite", "--party", "MX", "--token-out", str(token), "--node", str(us))
    return us, us_key, mx_keys, token


def register_us(mx: Path, url: str, us_key: str, token: Path, *extra: str) -> str:
    return cli("partner", "add", "--party", "US", "--url", url, "--key", us_key,
               "--outbound-token-file", str(token), "--node", str(mx), *extra)  # fmt: skip


@pytest.mark.e2e
def test_sync_over_tls_with_the_partners_ca_and_a_clear_refusal_without(
    tmp_path: Path, tls: Tls
) -> None:
    us, us_key, _, token = node_pair(tmp_path, "mx", "mx-untrusting", "mx-plain")
    add_phones(us, [f"+1 915 555 {i:04d}" for i in range(12)], owner="US", markings=TO_MX)
    cli("release", "--partner", "MX", "--all", "--node", str(us))
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    combined = tls.ca.with_name("ca-and-key.pem")
    out = register_us(tmp_path / "mx", url, us_key, token, "--tls-ca", str(combined))
    assert "verified with" in out
    register_us(tmp_path / "mx-untrusting", url, us_key, token)
    register_us(tmp_path / "mx-plain", f"http://127.0.0.1:{port}", us_key, token)
    trust = trust_path(tmp_path / "mx" / "keys", "US")
    assert trust.stat().st_mode & 0o777 == 0o600
    assert trust.parent.stat().st_mode & 0o777 == 0o700
    assert b"PRIVATE KEY" not in trust.read_bytes()

    tls_options = ("--tls-cert", str(tls.cert), "--tls-key", str(tls.key))
    with serving(us, port, *tls_options, scheme="https", verify=tls.context()):
        pulled = enlace("sync", "US", "--node", str(tmp_path / "mx"))
        untrusting = enlace("sync", "US", "--node", str(tmp_path / "mx-untrusting"))
        plain = enlace("sync", "US", "--node", str(tmp_path / "mx-plain"))
    assert pulled.returncode == 0, pulled.stderr
    assert counts(tmp_path / "mx", "US")[0] == counts(us, "MX")[2] >= 12
    assert "https://127.0.0.1" in (tmp_path / "us-serve.log").read_text()

    for refused, folder in ((untrusting, "mx-untrusting"), (plain, "mx-plain")):
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "--tls-ca" in refused.stderr
        assert counts(tmp_path / folder, "US")[0] == 0
    assert "TLS certificate problem with US" in untrusting.stderr
    assert "unable to get local issuer certificate" in untrusting.stderr
    assert "register its URL as https://" in plain.stderr


@pytest.mark.e2e
def test_plain_http_off_loopback_and_bad_tls_files_are_refused_in_one_line(
    tmp_path: Path, tls: Tls
) -> None:
    us = tmp_path / "us"
    initialise_node(us, party="US")
    mx_key = initialise_node(tmp_path / "mx", party="MX").public_key
    started = time.monotonic()
    refused = enlace("serve", "--node", str(us), "--host", "0.0.0.0", "--port", str(free_port()))
    assert refused.returncode == 1
    assert time.monotonic() - started < timing.timeout(30)  # it never got to serve
    assert refused.stderr.strip() == (
        "error: refusing to serve plain HTTP on 0.0.0.0, reachable from other machines: "
        "partners' tokens would cross the network unencrypted; give --tls-cert and "
        "--tls-key (or --plain-http to accept that)"
    )
    assert "serving" not in refused.stdout
    mismatched = tmp_path / "other-key.pem"
    trustme.CA().issue_cert("127.0.0.1").private_key_pem.write_to_path(str(mismatched))
    for options, expected in (
        (["--tls-cert", str(tls.cert)], "give both --tls-cert and --tls-key"),
        (["--tls-cert", str(tls.key), "--tls-key", str(tls.key)], "holds no certificate"),
        (["--tls-cert", str(tls.cert), "--tls-key", str(tmp_path / "nope.pem")], "cannot read"),
        (["--tls-cert", str(tls.cert), "--tls-key", str(mismatched)], "does not fit --tls-cert"),
    ):
        result = enlace("serve", "--node", str(us), "--port", str(free_port()), *options)
        assert result.returncode == 1, options
        assert result.stderr.count("\n") == 1, result.stderr
        assert expected in result.stderr

    add = ("partner", "add", "--party", "MX", "--key", mx_key, "--node", str(us))
    result = enlace(*add, "--url", "http://10.20.30.40:8000")
    assert result.returncode == 1
    assert "plain http to another machine" in result.stderr
    assert "--plain-http" in result.stderr
    result = enlace(*add, "--url", "https://mx.example", "--tls-ca", str(tls.key))
    assert result.returncode == 1
    assert "holds no certificate" in result.stderr
    listed = enlace("partner", "list", "--node", str(us))
    assert "MX" not in listed.stdout  # nothing was registered
    allowed = enlace(*add, "--url", "http://10.20.30.40:8000", "--plain-http")
    assert allowed.returncode == 0, allowed.stderr
    invited = enlace("partner", "invite", "--party", "MX", "--token-out",
                     str(tmp_path / "t"), "--node", str(us))  # fmt: skip
    assert "--tls-ca" in invited.stdout


@pytest.fixture
def us_matching_over_tls(tls: Tls, tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """The US node's TAXII and matching API served over TLS in process on loopback:
    its folder, URL and public key."""
    us = tmp_path / "us"
    us_key = initialise_node(us, party="US").public_key
    node, store = open_node(us)
    port = free_port()
    app = create_app(
        store,
        "US",
        signing_key=load_signing_key(node.key_dir),
        extra_routers=[create_matching_router(store, "US", workers=0)],
    )
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(tls.cert),
        ssl_keyfile=str(tls.key),
    )
    try:
        with served_in_thread(config):
            yield us, f"https://127.0.0.1:{port}", us_key
    finally:
        store.close()


@pytest.mark.e2e
def test_matching_over_tls_with_the_partners_ca(
    tmp_path: Path, tls: Tls, us_matching_over_tls: tuple[Path, str, str]
) -> None:
    us, url, us_public = us_matching_over_tls
    mx_key = initialise_node(tmp_path / "mx", party="MX").public_key
    untrusting = tmp_path / "mx-untrusting"
    initialise_node(untrusting, party="MX")
    cli("partner", "add", "--party", "MX", "--url", "http://127.0.0.1:1", "--key", mx_key,
        "--node", str(us))  # fmt: skip
    token = tmp_path / "for-mx.token"
    cli("partner", "invite", "--party", "MX", "--token-out", str(token), "--node", str(us))
    register_us(tmp_path / "mx", url, us_public, token, "--tls-ca", str(tls.ca))
    register_us(untrusting, url, us_public, token)
    shared = ["+1 202 555 0123", "+1 305 555 0199"]
    add_phones(us, [*shared, "+1 915 555 0001"], owner="US", markings=TO_MX)
    add_phones(tmp_path / "mx", [*shared, "+52 55 1234 5678"], owner="MX", markings=TO_MX)
    add_phones(untrusting, shared, owner="MX", markings=TO_MX)
    cli("match", "agreement", "set", "MX", "--kind", "phone", "--max-set-size", "10",
        "--node", str(us))  # fmt: skip

    matched = cli("match", "run", "US", "--kind", "phone", "--node", str(tmp_path / "mx"))
    assert "phone: 2 shared identifier(s) out of our 3 and US's 3" in matched
    handle = re.findall(r"US handle ([0-9a-f]{16})", matched)[0]
    asked = cli("match", "disclose", "US", handle, "--node", str(tmp_path / "mx"))
    assert "their request 1" in asked
    cli("match", "refuse", "1", "--reason", "no", "--node", str(us))
    refreshed = cli("match", "requests", "--refresh", "--node", str(tmp_path / "mx"))
    assert f"US refused request 1 (handle {handle})" in refreshed
    refused = enlace("match", "run", "US", "--kind", "phone", "--node", str(untrusting))
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "TLS certificate problem with US" in refused.stderr
    assert "--tls-ca" in refused.stderr


def test_a_trust_file_changed_after_registration_is_a_clear_error(tmp_path: Path, tls: Tls) -> None:
    keys = tmp_path / "keys"
    write_partner_trust(keys, "US", tls.ca)
    with partner_client(keys, "US", 5.0) as client:
        assert isinstance(client, httpx.Client)
    trust_path(keys, "US").write_text("not a certificate\n")
    with pytest.raises(NodeError, match=r"register them again .* --tls-ca FILE"):
        partner_client(keys, "US", 5.0)

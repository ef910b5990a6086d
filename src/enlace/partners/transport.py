"""How a node talks to its partners over the network: TLS trust, the one HTTP client, and
what a transport failure means for a person.

Each partner may have a trust file, ``<node>/keys/partners/<PARTY>.ca.pem``: the PEM
certificate(s) to trust for that partner's https URL (its private CA, or its self-signed
certificate). With one, the partner's certificate is verified against it alone, so a public
CA cannot vouch for a partner that uses a private one; without, against the system's CAs.
Every client a node opens to a partner (sync, matching, disclosures) comes from
`partner_client`, so no call can skip verification.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import ssl
from pathlib import Path

import httpx

from enlace.node.errors import NodeError
from enlace.partners.credentials import PARTNER_TOKEN_DIR, write_secret

PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_CERTIFICATE_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost): the one place
    plain HTTP cannot be read or changed by others on the network."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def trust_path(key_dir: Path, party: str) -> Path:
    """Where the certificate(s) trusted for `party`'s https URL are kept."""
    return key_dir / PARTNER_TOKEN_DIR / f"{party}.ca.pem"


def check_certificates(path: Path, option: str) -> bytes:
    """The bytes of a PEM file of one or more certificates; NodeError saying what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NodeError(f"cannot read {option} {path}: {error.strerror}") from None
    expected = "expected PEM certificate(s) ('-----BEGIN CERTIFICATE-----')"
    if PEM_CERTIFICATE not in data:
        raise NodeError(f"{option} {path} holds no certificate: {expected}")
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as error:
        raise NodeError(
            f"{option} {path} is not usable: {error.reason or error}; {expected}"
        ) from None
    return data


def write_partner_trust(key_dir: Path, party: str, source: Path) -> str:
    """Copy `source` (checked PEM certificates) as `party`'s trust file, mode 600 in a folder
    of mode 700 like the tokens; return the SHA-256 of the certificates (for the audit log).

    Only the certificate blocks are kept: a file that also holds a private key (a combined
    PEM handed over by mistake) must not leave that key in this node's folder."""
    data = b"\n".join(_CERTIFICATE_BLOCK.findall(check_certificates(source, "--tls-ca")))
    folder = key_dir / PARTNER_TOKEN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)
    os.chmod(folder, 0o700)
    write_secret(trust_path(key_dir, party), data.decode("ascii", errors="replace"))
    return hashlib.sha256(data).hexdigest()


def partner_client(
    key_dir: Path | None, party: str, timeout: httpx.Timeout | float
) -> httpx.Client:
    """The HTTP client for calls to `party`: TLS verified with its trust file when this node
    keeps one (`key_dir` given), else with the system's CAs. The caller closes it."""
    trust = trust_path(key_dir, party) if key_dir is not None else None
    if trust is None or not trust.exists():
        return httpx.Client(timeout=timeout)
    try:
        context = ssl.create_default_context(cafile=str(trust))
    except OSError as error:  # ssl.SSLError too: the file was changed since it was checked
        raise NodeError(
            f"the certificate(s) trusted for {party} ({trust}) cannot be used "
            f"({getattr(error, 'reason', None) or error.strerror or error}): register them "
            f"again with 'enlace partner add --party {party} ... --tls-ca FILE'"
        ) from None
    return httpx.Client(verify=context, timeout=timeout)


def transport_problem(party: str, url: str, error: httpx.HTTPError) -> str:
    """What a failed call to `party` means, for a person: a certificate problem says so and
    what to do; anything else says the partner cannot be reached and why."""
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"TLS certificate problem with {party}: {cause.verify_message}; if {party} "
                "uses a private CA or a self-signed certificate, register it with 'enlace "
                f"partner add --party {party} ... --tls-ca FILE'"
            )
        if isinstance(cause, ssl.SSLError):
            return (
                f"TLS problem with {party}: {cause.reason or cause}; check that {party} serves "
                "HTTPS at this URL and that its certificate is registered with 'enlace partner "
                "add --tls-ca'"
            )
        cause = cause.__cause__ or cause.__context__
    if url.startswith("http://") and isinstance(error, httpx.RemoteProtocolError):
        # A TLS server drops a plain HTTP request without an answer.
        return (
            f"cannot reach {party}: {error}; if {party} serves HTTPS (TLS), register its URL as "
            f"https:// and its certificate with 'enlace partner add --party {party} ... --tls-ca "
            "FILE'"
        )
    return f"cannot reach {party}: {error}"

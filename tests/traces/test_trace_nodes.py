"""Real nodes: a firearm trace asked on MX, answered on US and closed on MX, each step
travelling over `enlace sync` between `enlace serve` processes on loopback, both audit logs
holding every step; CA, a partner of both, never receives any of it (its pulls from MX pass
through a recording proxy: the wire shows no trace)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from enlace.node.keys import public_key_hex
from enlace.node.setup import open_node
from support.nodes import cli, enlace, free_port, serving
from support.proxy import TamperingProxy

pytestmark = pytest.mark.e2e

PARTIES = ("MX", "US", "CA")
SERIAL = "KQ77310"


def audit_steps(node: Path) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The node's audit entries about traces: (action, subject, detail)."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            return [
                (e.action, e.subject, orjson.loads(e.detail_json or "{}"))
                for e in uow.audit.entries()
                if e.action.startswith("trace-") or e.action in ("release", "refusal")
            ]
    finally:
        store.close()


def traces(node: Path) -> list[dict[str, Any]]:
    found = json.loads(cli("trace", "list", "--json", "--node", str(node)))
    assert isinstance(found, list)
    return found


def test_a_trace_asked_answered_and_closed_between_real_nodes(tmp_path: Path) -> None:
    dirs = {p: tmp_path / p.lower() for p in PARTIES}
    ports = {p: free_port() for p in PARTIES}
    urls = {p: f"http://127.0.0.1:{ports[p]}" for p in PARTIES}
    proxy_port = free_port()
    keys = {}
    for party in PARTIES:
        cli("init", "--party", party, "--node", str(dirs[party]))
        keys[party] = public_key_hex(dirs[party] / "keys")
    # CA reaches MX only through the recording proxy: what MX sends CA is on its record.
    seen_url = {(here, there): urls[there] for here, there in itertools.permutations(PARTIES, 2)}
    seen_url[("CA", "MX")] = f"http://127.0.0.1:{proxy_port}"
    for here, there in itertools.permutations(PARTIES, 2):
        cli("partner", "add", "--party", there, "--url", seen_url[(here, there)],
            "--key", keys[there], "--node", str(dirs[here]))  # fmt: skip
    for server, puller in itertools.permutations(PARTIES, 2):
        invite = tmp_path / f"{puller}-pulls-{server}.token"
        cli("partner", "invite", "--party", puller, "--token-out", str(invite),
            "--node", str(dirs[server]))  # fmt: skip
        cli("partner", "add", "--party", server, "--url", seen_url[(puller, server)],
            "--key", keys[server], "--outbound-token-file", str(invite),
            "--node", str(dirs[puller]))  # fmt: skip

    asked = cli("trace", "request", "--partner", "US", "--make", "Colt", "--serial", SERIAL,
                "--caliber", ".38 Super", "--recovery-state", "MX-SIN",
                "--recovery-date", "2025-08-30", "--case", "FGR/SIN/0042/2025",
                "--node", str(dirs["MX"]))  # fmt: skip
    request_id = asked.split()[1].rstrip(":")
    assert request_id.startswith("enlace-trace-request--")

    with (
        serving(dirs["MX"], ports["MX"]),
        serving(dirs["US"], ports["US"]),
        serving(dirs["CA"], ports["CA"]),
        TamperingProxy(urls["MX"], port=proxy_port) as proxy,
    ):
        # The real command line once, as a person runs it; the other syncs in process.
        pulled = enlace("sync", "MX", "--node", str(dirs["US"]))
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        cli("sync", "MX", "--node", str(dirs["CA"]))
        [queued] = traces(dirs["US"])
        assert (queued["request"], queued["status"]) == (request_id, "submitted")
        assert (queued["direction"], queued["requester"]) == ("incoming", "MX")

        cli("trace", "answer", request_id, "--status", "in-progress", "--node", str(dirs["US"]))
        cli("trace", "answer", request_id, "--status", "answered", "--outcome", "traced",
            "--state", "US-TX", "--dealer", "Lone Star Guns", "--purchase-date", "2024-02-01",
            "--node", str(dirs["US"]))  # fmt: skip
        out = cli("sync", "US", "--node", str(dirs["MX"]))
        assert "refused:      0" in out
        [answered] = traces(dirs["MX"])
        assert answered["status"] == "answered"
        assert answered["response"]["first_sale_state"] == "US-TX"
        assert answered["response"]["time_to_crime_days"] == 576

        cli("trace", "close", request_id, "--node", str(dirs["MX"]))
        cli("sync", "MX", "--node", str(dirs["US"]))
        cli("sync", "MX", "--node", str(dirs["CA"]))
        cli("sync", "US", "--node", str(dirs["CA"]))
        [closed] = traces(dirs["US"])
        assert closed["status"] == "closed"
        assert "median 0.0 days" in cli("trace", "indicators", "--node", str(dirs["MX"]))
        wire = b"".join(e.served.body for e in proxy.exchanges)

    # CA holds nothing of the trace, and nothing of it crossed the wire to CA.
    assert traces(dirs["CA"]) == []
    assert len(proxy.exchanges) >= 2
    assert request_id.encode() not in wire
    assert SERIAL.encode() not in wire
    assert b"enlace-trace" not in wire

    mx_steps = [(a, d.get("status")) for a, s, d in audit_steps(dirs["MX"])
                if a.startswith("trace-") and s is not None]  # fmt: skip
    us_steps = [(a, d.get("status")) for a, s, d in audit_steps(dirs["US"])
                if a.startswith("trace-")]  # fmt: skip
    assert mx_steps == [
        ("trace-request", "submitted"),
        ("trace-received", "in-progress"),
        ("trace-received", "answered"),
        ("trace-close", "closed"),
    ]
    assert us_steps == [
        ("trace-received", "submitted"),
        ("trace-response", "in-progress"),
        ("trace-response", "answered"),
        ("trace-received", "closed"),
    ]
    mx_released = [d["partner"] for a, s, d in audit_steps(dirs["MX"])
                   if a == "release" and s == request_id]  # fmt: skip
    assert mx_released == ["US", "US"]  # the request and its closing, to US only
    for party in PARTIES:
        assert "audit log intact" in cli("audit", "verify", "--node", str(dirs[party]))

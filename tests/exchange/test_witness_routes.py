"""The witnessing routes of a node (/witness/v1) against a hostile or mistaken partner, in
process: MX's app, US (and CA) as the callers, their logs as in-memory trees signed with
their keys. What a partner sends is checked against what MX stored, never against what the
partner states; what cannot be read is a 400 that changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from nacl.signing import SigningKey

from enlace.exchange.statements import PROTOCOL
from enlace.exchange.taxii.app import create_app
from enlace.exchange.witness import encode_proof
from enlace.store.store import Store
from enlace.transparency.merkle import InMemoryTree
from enlace.transparency.notes import (
    Checkpoint,
    SignedNote,
    cosign,
    log_name,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
    witness_name,
)
from enlace.transparency.proofs import consistency_proof
from support.exchange import CA_KEY, MX_KEY, US_KEY, US_TOKEN, AsgiSyncTransport, mx_node

US_LOG = log_name("US", bytes(US_KEY.verify_key))
CA_LOG = log_name("CA", bytes(CA_KEY.verify_key))


class Log:
    """A partner's audit log as an in-memory tree, and its signed checkpoints."""

    def __init__(self, origin: str, key: SigningKey, entries: int, tag: str = "") -> None:
        self.origin, self.key, self.tree = origin, key, InMemoryTree()
        self.grow(entries, tag)

    def grow(self, entries: int, tag: str = "") -> None:
        start = self.tree.size
        for n in range(start, start + entries):
            self.tree.append_entry(f"{tag}{n}".encode())

    def note(self, size: int | None = None) -> SignedNote:
        size = self.tree.size if size is None else size
        return sign_checkpoint(Checkpoint(self.origin, size, self.tree.root(size)), self.key)

    def proof(self, first: int, second: int | None = None) -> list[str]:
        second = self.tree.size if second is None else second
        return encode_proof(consistency_proof(self.tree.subtree_hash, first, second))


@pytest.fixture
def mx(store: Store) -> httpx.Client:
    mx_node(store)
    app = create_app(store, "MX", signing_key=MX_KEY)
    return httpx.Client(transport=AsgiSyncTransport(app), base_url="http://mx.test")


AUTH = {"Authorization": f"Bearer {US_TOKEN}"}


def cosign_request(mx: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return mx.post(
        "/witness/v1/cosign",
        content=orjson.dumps({"protocol": PROTOCOL, **body}),
        headers={**AUTH, "Content-Type": "application/json"},
    )


def alerts(store: Store) -> list[tuple[str, str, str]]:
    with store.unit_of_work() as uow:
        return [(a.party, a.reporter, a.kind) for a in uow.witness.alerts(limit=50)]


def test_a_first_checkpoint_is_countersigned_with_mx_s_key(mx: httpx.Client, store: Store) -> None:
    us = Log(US_LOG, US_KEY, 5)
    answer = cosign_request(mx, {"checkpoint": us.note().text(), "proof": []})
    assert answer.status_code == 200, answer.text
    signed = parse_note(answer.json()["cosigned"])
    assert signed.checkpoint == us.note().checkpoint
    found = verify_cosignature(signed, bytes(MX_KEY.verify_key))
    assert found.name == witness_name("MX", bytes(MX_KEY.verify_key))
    with store.unit_of_work() as uow:
        held = uow.witness.latest_witnessed("US")
    assert held is not None
    assert (held.size, held.root) == (5, us.tree.root().hex())


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ("grown with a good proof", None),
        ("grown, history changed", "inconsistent"),
        ("grown, proof from the wrong size", "inconsistent"),
        ("same size, another root", "rewritten"),
        ("smaller", "truncated"),
        ("signed by another key", "bad-checkpoint"),
        ("another party's origin", "bad-checkpoint"),
        ("not a note", "bad-checkpoint"),
    ],
)
def test_a_second_checkpoint_is_checked_against_the_root_mx_stored(
    mx: httpx.Client, store: Store, change: str, kind: str | None
) -> None:
    us = Log(US_LOG, US_KEY, 9)
    assert cosign_request(mx, {"checkpoint": us.note().text(), "proof": []}).status_code == 200
    note, proof = us.note(), us.proof(9)
    if change == "grown with a good proof":
        us.grow(7)
        note, proof = us.note(), us.proof(9)
    elif change == "grown, history changed":
        us = Log(US_LOG, US_KEY, 16, tag="forged")
        note, proof = us.note(), us.proof(9)
    elif change == "grown, proof from the wrong size":
        us.grow(7)
        note, proof = us.note(), us.proof(8)
    elif change == "same size, another root":
        note = Log(US_LOG, US_KEY, 9, tag="other").note()
    elif change == "smaller":
        note = us.note(6)
    elif change == "signed by another key":
        note = Log(US_LOG, CA_KEY, 12).note()
    elif change == "another party's origin":
        note = Log(CA_LOG, US_KEY, 12).note()
    text: Any = note.text() if change != "not a note" else {"size": 12}
    answer = cosign_request(mx, {"checkpoint": text, "proof": proof})
    if kind is None:
        assert answer.status_code == 200, answer.text
        assert alerts(store) == []
        return
    assert answer.status_code == 409, answer.text
    assert answer.json()["refused"] == kind
    assert "US" in answer.json()["description"]
    assert alerts(store) == [("US", "MX", kind)]
    with store.unit_of_work() as uow:
        held = uow.witness.latest_witnessed("US")
        (entry,) = [e for e in uow.audit.latest(5) if e.action == "witness-refused"]
    assert held is not None
    assert held.size == 9  # nothing of the refused checkpoint was kept as countersigned
    assert entry.detail["kind"] == kind


def test_a_countersignature_of_a_history_mx_never_had_is_not_kept(
    mx: httpx.Client, store: Store
) -> None:
    us = Log(US_LOG, US_KEY, 3)
    with store.unit_of_work() as uow:
        size = uow.audit_tree.size()
    fake = sign_checkpoint(
        Checkpoint(log_name("MX", bytes(MX_KEY.verify_key)), size, b"\x07" * 32), MX_KEY
    )  # as if MX's key had signed another root (a stolen note, say)
    forged = fake.with_signature(cosign(fake.checkpoint, "enlace-witness/US/x", US_KEY, at=1))
    answer = cosign_request(
        mx, {"checkpoint": us.note().text(), "proof": [], "witnessed": forged.text()}
    )
    assert answer.status_code == 200
    with store.unit_of_work() as uow:
        assert uow.witness.latest_cosigned("US") is None


def test_a_partner_s_refusal_is_kept_as_evidence_on_the_node_refused(
    mx: httpx.Client, store: Store
) -> None:
    us = Log(US_LOG, US_KEY, 3)
    said = "MX's log of 40 entries does not extend the 35 \x1b[31mentries\x1b[0m"
    answer = cosign_request(
        mx,
        {"checkpoint": us.note().text(), "proof": [],
         "refusal": {"kind": "inconsistent", "message": said}},
    )  # fmt: skip
    assert answer.status_code == 200
    with store.unit_of_work() as uow:
        (alert,) = uow.witness.alerts()
    assert (alert.party, alert.reporter, alert.kind) == ("MX", "US", "refused-by-partner")
    assert "\x1b" not in alert.message
    assert "does not extend" in alert.message


def test_checkpoints_passed_on_that_clash_with_one_held_prove_a_split_view(
    mx: httpx.Client, store: Store
) -> None:
    # MX countersigned CA's log at 4 entries; US passes on CA's checkpoint of 4 entries
    # with another root, signed by CA's key: CA signed two histories.
    ca = Log(CA_LOG, CA_KEY, 4)
    ca_token_request = {
        "Authorization": "Bearer ca-token-0123456789abcdef",
        "Content-Type": "application/json",
    }
    first = mx.post(
        "/witness/v1/cosign",
        content=orjson.dumps({"protocol": PROTOCOL, "checkpoint": ca.note().text(), "proof": []}),
        headers=ca_token_request,
    )
    assert first.status_code == 200
    other = Log(CA_LOG, CA_KEY, 4, tag="shown-to-us")
    us = Log(US_LOG, US_KEY, 2)
    answer = cosign_request(
        mx,
        {"checkpoint": us.note().text(), "proof": [],
         "heard": [{"party": "CA", "checkpoint": other.note().text()}]},
    )  # fmt: skip
    assert answer.status_code == 200
    assert alerts(store) == [("CA", "MX", "split-view")]


def test_the_log_route_gives_a_checkpoint_and_proofs_mx_s_tree_backs(
    mx: httpx.Client, store: Store
) -> None:
    from enlace.transparency.notes import verify_log_signature
    from enlace.transparency.proofs import verify_consistency

    with store.unit_of_work() as uow:
        for n in range(20):
            uow.audit.append(actor="cli", action="import", subject=f"f{n}")
        old_root = uow.audit_tree.root(7)
        uow.commit()
    answer = mx.get("/witness/v1/log", params={"since": 7, "also": "3,999999"}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    note = parse_note(body["checkpoint"])
    verify_log_signature(note, bytes(MX_KEY.verify_key))
    verify_consistency(
        first_size=7, first_root=old_root, second_size=note.checkpoint.size,
        second_root=note.checkpoint.root, proof=[__import__("base64").b64decode(h)
                                                 for h in body["proof"]],
    )  # fmt: skip
    assert body["also"][1] == {"size": 999999, "proof": [], "beyond": True}
    assert body["yours"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"since": "abc"},
        {"since": "-1"},
        {"since": "9" * 40},
        {"also": ",".join(str(n) for n in range(9))},
        {"also": "1,x"},
        {"about": "us"},
        {"about": "USA"},
    ],
)
def test_a_log_request_that_cannot_be_read_is_400_and_changes_nothing(
    mx: httpx.Client, store: Store, params: dict[str, str]
) -> None:
    with store.unit_of_work() as uow:
        before = uow.audit.count()
    answer = mx.get("/witness/v1/log", params=params, headers=AUTH)
    assert answer.status_code == 400
    assert "whole number" in answer.json()["description"]
    with store.unit_of_work() as uow:
        assert uow.audit.count() == before


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (orjson.dumps({"protocol": 2, "checkpoint": ""}), 400),
        (b'{"protocol": 4, "pad": "' + b"x" * 60_000 + b'"}', 413),
    ],
)
def test_a_cosign_request_that_cannot_be_read_is_refused_and_changes_nothing(
    mx: httpx.Client, store: Store, content: bytes, status: int
) -> None:
    answer = mx.post(
        "/witness/v1/cosign", content=content, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert answer.status_code == status
    assert alerts(store) == []


def test_witnessing_needs_a_partner_s_token(mx: httpx.Client) -> None:
    assert mx.get("/witness/v1/log").status_code == 401
    answer = mx.post("/witness/v1/cosign", content=b"{}", headers={"Authorization": "Bearer x"})
    assert answer.status_code == 401
    assert "WWW-Authenticate" in answer.headers


def test_every_kind_of_refusal_has_words_for_the_officer() -> None:
    from enlace.exchange.witness import REFUSAL_KINDS
    from enlace.exchange.witness_status import ALERT_KINDS

    assert set(ALERT_KINDS) == set(REFUSAL_KINDS)

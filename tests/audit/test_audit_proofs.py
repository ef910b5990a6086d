"""Proofs of audit entries (`prove_entry`, `check_proof`) and the node's own audit check
(`verify_audit`), on a node made by `enlace init`, on SQLite and PostgreSQL.

Countersignatures are made here as witnessing makes them (notes.sign_checkpoint and
notes.cosign with a partner's key registered on the node), so the checks meet real notes.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey
from sqlalchemy import text

from enlace.exchange.audit_proofs import (
    MAX_PROOF_BYTES,
    MAX_PROOF_HASHES,
    AuditProofError,
    EntryNotFound,
    ProofFileInvalid,
    check_proof,
    prove_entry,
    verify_audit,
)
from enlace.node.keys import load_signing_key
from enlace.store.repositories.audit import GENESIS_HASH, entry_hash
from enlace.transparency.notes import Checkpoint, parse_note, sign_checkpoint
from support.audit_nodes import Node, make_node


@pytest.fixture
def node(tmp_path: Path, store_url: str) -> Iterator[Node]:
    made = make_node(tmp_path / "mx", store_url)
    try:
        yield made
    finally:
        made.store.close()


def proven(node: Node, seq: int) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(prove_entry(node.store, node.key_dir, seq).file_bytes())
    return document


# --- prove, then check -------------------------------------------------------------------


def test_a_proof_with_every_partners_countersignature_checks_with_their_keys(node: Node) -> None:
    node.append(10)
    node.add_partner("US")
    node.add_partner("CA")
    node.countersign("US")
    node.countersign("CA")
    proof = prove_entry(node.store, node.key_dir, 5)
    assert proof.countersigned_by == ("CA", "US")
    assert proof.tree_size == 12
    assert len(parse_note(proof.note.text()).signatures) == 3  # this node's, CA's, US's
    result = check_proof(
        proof.file_bytes(),
        node.log_key_hex,
        [node.witness_key_hex("US"), node.witness_key_hex("CA")],
    )
    assert result.ok, [o.line() for o in result.outcomes]
    assert [o.name for o in result.outcomes][:5] == [
        "entry", "leaf index", "checkpoint size", "inclusion", "log signature",
    ]  # fmt: skip
    assert sorted(result.witnesses) == sorted(
        n.split(" ")[1] for n in proof.note.text().splitlines() if "enlace-witness/" in n
    )
    assert result.unchecked == ()


def test_the_proof_uses_the_largest_countersigned_size_containing_the_entry(node: Node) -> None:
    node.append(3)  # 5 entries
    node.add_partner("US")
    node.countersign("US")
    node.append(3)  # 8
    node.countersign("US")
    node.append(3)  # 11, not countersigned
    assert prove_entry(node.store, node.key_dir, 4).tree_size == 8
    assert prove_entry(node.store, node.key_dir, 8).tree_size == 8


def test_an_entry_no_countersignature_covers_gets_a_fresh_checkpoint_said_plainly(
    node: Node,
) -> None:
    node.append(3)
    node.add_partner("US")
    node.countersign("US")  # size 5
    node.append(2)  # 7
    proof = prove_entry(node.store, node.key_dir, 6)
    assert not proof.countersigned
    assert proof.tree_size == 7
    assert "NOT countersigned yet" in proof.summary
    assert "the next sync" in proof.summary
    assert check_proof(proof.file_bytes(), node.log_key_hex).ok
    # The partner's key asks for a countersignature the checkpoint does not carry.
    result = check_proof(proof.file_bytes(), node.log_key_hex, [node.witness_key_hex("US")])
    assert [o.name for o in result.outcomes if not o.ok] == [
        f"witness {node.witness_key_hex('US')}"
    ]


def test_a_forged_stored_countersignature_is_left_out_of_the_proof_and_said(node: Node) -> None:
    node.append(2)
    node.add_partner("US")
    node.countersign("US", with_key=SigningKey.generate())
    proof = prove_entry(node.store, node.key_dir, 3)
    assert not proof.countersigned
    assert "left out: the countersignature of US at size 4" in proof.summary


@pytest.mark.parametrize("seq", [0, -1, 3])
def test_proving_an_entry_the_log_does_not_hold_names_what_it_holds(node: Node, seq: int) -> None:
    with pytest.raises(EntryNotFound, match=f"no audit entry {seq}: .* holds entries 1 to 2$"):
        prove_entry(node.store, node.key_dir, seq)


def test_proving_from_a_log_rewritten_after_it_was_countersigned_is_refused(node: Node) -> None:
    node.append(4)
    node.add_partner("US")
    node.countersign("US")
    rewrite_from(node, 3)
    with pytest.raises(AuditProofError, match="rewritten after it was countersigned"):
        prove_entry(node.store, node.key_dir, 2)


# --- what check_proof refuses --------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A countersigned proof of entry 7 of 22, and the keys to check it with."""

    document: dict[str, Any]
    log_key_hex: str
    witness_key_hex: str
    root_21: bytes  # the root of the log's first 21 entries
    signing_key: SigningKey  # the log's


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    # check_proof reads no store: one SQLite node serves every test of this part.
    node = make_node(tmp_path_factory.mktemp("proof") / "mx")
    try:
        node.append(20)
        node.add_partner("US")
        node.countersign("US")
        with node.store.unit_of_work() as uow:
            root_21 = uow.audit_tree.root(21)
        return Sample(
            proven(node, 7),
            node.log_key_hex,
            node.witness_key_hex("US"),
            root_21,
            load_signing_key(node.key_dir),
        )
    finally:
        node.store.close()


@pytest.fixture
def countersigned(sample: Sample) -> dict[str, Any]:
    """A copy of the sample's proof, to change."""
    return copy.deepcopy(sample.document)


def failed_checks(document: dict[str, Any], sample: Sample, *, witnessed: bool = True) -> list[str]:
    """The names of the checks of `document` that failed."""
    witnesses = [sample.witness_key_hex] if witnessed else []
    result = check_proof(json.dumps(document), sample.log_key_hex, witnesses)
    return [o.name for o in result.outcomes if not o.ok]


def test_the_sample_proof_holds(countersigned: dict[str, Any], sample: Sample) -> None:
    assert failed_checks(countersigned, sample) == []


def test_an_edited_entry_field_fails_the_entry_and_its_inclusion(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    countersigned["entry"]["actor"] = "someone-else"
    assert failed_checks(countersigned, sample) == ["entry", "inclusion"]


def test_an_entry_edited_and_rehashed_fails_its_inclusion(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    entry = countersigned["entry"]
    entry["detail"] = {"to": "CA"}
    entry["entry_hash"] = entry_hash(**{k: v for k, v in entry.items() if k != "entry_hash"})
    assert failed_checks(countersigned, sample) == ["inclusion"]


def test_a_changed_proof_hash_fails_the_inclusion(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    first = base64.b64decode(countersigned["inclusion_proof"][0])
    countersigned["inclusion_proof"][0] = base64.b64encode(
        bytes([first[0] ^ 1]) + first[1:]
    ).decode()
    assert failed_checks(countersigned, sample) == ["inclusion"]


def test_another_nodes_key_fails_the_log_signature(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    other = bytes(SigningKey.generate().verify_key).hex()
    result = check_proof(json.dumps(countersigned), other, [sample.witness_key_hex])
    assert [o.name for o in result.outcomes if not o.ok] == ["log signature"]
    assert "not the log of the key" in result.outcomes[4].message


def test_a_witness_key_without_a_valid_cosignature_fails(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    stranger = bytes(SigningKey.generate().verify_key).hex()
    result = check_proof(json.dumps(countersigned), sample.log_key_hex, [stranger])
    assert [o.name for o in result.outcomes if not o.ok] == [f"witness {stranger}"]
    assert "carries no cosignature by the key" in result.outcomes[-1].message
    assert result.witnesses == ()


def test_a_proof_for_a_tree_size_other_than_the_checkpoints_fails(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    # The hashes of a proof at 22 entries, under a checkpoint the node signed at 21.
    origin = parse_note(countersigned["checkpoint"]).checkpoint.origin
    smaller = sign_checkpoint(Checkpoint(origin, 21, sample.root_21), sample.signing_key)
    countersigned["checkpoint"] = smaller.text()
    assert failed_checks(countersigned, sample, witnessed=False) == ["checkpoint size", "inclusion"]


def test_a_leaf_index_other_than_the_entrys_fails(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    countersigned["leaf_index"] = 7
    assert "leaf index" in failed_checks(countersigned, sample)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: b"{not json", "the proof file is not JSON: line 1 column 2"),
        (lambda d: b"[]", "the proof file is a list; a JSON object expected"),
        (lambda d: b"\xff" + d, "not UTF-8 text"),
        (lambda d: b" " * MAX_PROOF_BYTES + d, f"larger than {MAX_PROOF_BYTES} bytes"),
        (lambda d: b"[" * 100_000, "nested too deeply"),
        (lambda d: d.replace(b'"tree_size":', b'"tree_size":NaN,"x":'), "NaN, which is not"),
        (lambda d: d.replace(b'"leaf_index":6', b'"leaf_index":6,"leaf_index":5'), "twice"),
    ],
)
def test_a_malformed_file_is_one_clear_error(
    countersigned: dict[str, Any],
    sample: Sample,
    change: Callable[[bytes], bytes],
    message: str,
) -> None:
    raw = change(json.dumps(countersigned, separators=(",", ":")).encode())
    with pytest.raises(ProofFileInvalid, match=message.replace("(", r"\(")):
        check_proof(raw, sample.log_key_hex)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("format",), "enlace-audit-proof/v2", "'format' is 'enlace-audit-proof/v2'"),
        (
            ("inclusion_proof",),
            ["AAAA"] * (MAX_PROOF_HASHES + 1),
            "65 hashes; a proof has at most 64",
        ),
        (("inclusion_proof",), ["not base64!"], "hash 0 .* is 'not base64!', which is not base64"),
        (("inclusion_proof",), ["AAAA"], "hash 0 .* is 3 bytes; a SHA-256 hash is 32"),
        (("inclusion_proof",), "AAAA", "'inclusion_proof' is text; a list"),
        (("tree_size",), True, "'tree_size' is true or false; a whole number expected"),
        (("tree_size",), 2**63, "'tree_size' is 9223372036854775808; a whole number from 1"),
        (("leaf_index",), 1.5, "'leaf_index' is a number; a whole number expected"),
        (("entry", "seq"), "7", "entry 'seq' is text; a whole number expected"),
        (("entry", "detail"), [1], "entry 'detail' is a list; a JSON object or null"),
        (("entry", "prev_hash"), "AB" * 32, "entry 'prev_hash' is 'ABAB"),
        (("entry", "actor"), None, "entry 'actor' is null; text expected"),
        (("checkpoint",), "x", "'checkpoint' cannot be read: .* no blank line"),
        (("checkpoint",), 7, "'checkpoint' is a whole number; the note text expected"),
        (("entry", "extra"), 1, "'entry' has 'extra', which enlace-audit-proof/v1 does not have"),
    ],
)
def test_a_malformed_field_is_one_clear_error_naming_it(
    countersigned: dict[str, Any], sample: Sample, path: tuple[str, ...], value: Any, message: str
) -> None:
    target = countersigned
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    with pytest.raises(ProofFileInvalid, match=message):
        check_proof(json.dumps(countersigned), sample.log_key_hex)


def test_a_missing_field_is_named(countersigned: dict[str, Any], sample: Sample) -> None:
    del countersigned["entry"]["prev_hash"]
    with pytest.raises(ProofFileInvalid, match="the proof's 'entry' lacks 'prev_hash'"):
        check_proof(json.dumps(countersigned), sample.log_key_hex)


def test_a_key_that_is_not_64_hex_digits_is_one_clear_error(
    countersigned: dict[str, Any], sample: Sample
) -> None:
    with pytest.raises(ProofFileInvalid, match="the --witness-key 'abc' is not an Ed25519"):
        check_proof(json.dumps(countersigned), sample.log_key_hex, ["abc"])


# --- verify_audit ---------------------------------------------------------------------------


def rewrite_from(node: Node, seq: int) -> None:
    """Change entry `seq`, recompute the chain after it, and rebuild the tree: what someone
    with write access to the database can do, leaving a chain that verifies."""
    with node.store.unit_of_work() as uow:
        entries = list(uow.audit.entries())
        prev = GENESIS_HASH if seq == 1 else entries[seq - 2].entry_hash
        for entry in entries[seq - 1 :]:
            actor = "someone-else" if entry.seq == seq else entry.actor
            new_hash = entry_hash(
                seq=entry.seq,
                at=entry.at,
                actor=actor,
                action=entry.action,
                subject=entry.subject,
                detail=entry.detail,
                prev_hash=prev,
            )
            uow.connection.execute(
                text(
                    "UPDATE audit_log SET actor = :actor, prev_hash = :prev, "
                    "entry_hash = :hash WHERE seq = :seq"
                ),
                {"actor": actor, "prev": prev, "hash": new_hash, "seq": entry.seq},
            )
            prev = new_hash
        uow.audit_tree.rebuild()
        uow.commit()


def test_verify_audit_passes_a_witnessed_log(node: Node) -> None:
    node.append(5)
    node.add_partner("US")
    node.countersign("US")
    node.append(1)
    report = verify_audit(node.store, node.key_dir)
    assert report.ok
    assert report.problems == ()
    assert report.lines()[-1] == ("countersignatures hold: 1 from US; the newest is for 7 entries")


def test_verify_audit_finds_a_log_rewritten_and_rehashed_after_it_was_countersigned(
    node: Node,
) -> None:
    node.append(4)  # 6
    node.add_partner("US")
    node.add_partner("CA")
    node.countersign("US", 3)
    node.countersign("CA", 6)
    node.append(2)
    node.countersign("US")  # 8
    rewrite_from(node, 5)
    report = verify_audit(node.store, node.key_dir)
    # The chain and the tree alone cannot tell: only the countersigned roots can.
    assert report.chain.ok
    assert report.tree.ok
    assert not report.ok
    assert report.problems == (
        "countersignature: the log was REWRITTEN after CA countersigned it: the entries no "
        "longer give the root CA countersigned at size 6; the change lies in entries 4 to 6 "
        "(the entries still give the countersigned root at size 3)",
        "countersignature: the log was REWRITTEN after US countersigned it: the entries no "
        "longer give the root US countersigned at size 8; the change lies in entries 4 to 8 "
        "(the entries still give the countersigned root at size 3)",
    )


def test_verify_audit_finds_the_newest_entries_deleted_after_they_were_countersigned(
    node: Node,
) -> None:
    node.append(4)
    node.add_partner("US")
    node.countersign("US")  # 6
    with node.store.unit_of_work() as uow:
        uow.connection.execute(text("DELETE FROM audit_log WHERE seq > 4"))
        uow.audit_tree.rebuild()
        uow.commit()
    report = verify_audit(node.store, node.key_dir)
    assert report.chain.ok
    assert report.problems == (
        "countersignature: the log holds 4 entries but US countersigned it at size 6: "
        "entries 5 onwards were deleted after US countersigned them",
    )


def test_verify_audit_finds_a_forged_countersignature(node: Node) -> None:
    node.append(2)
    node.add_partner("US")
    node.countersign("US", with_key=SigningKey.generate())
    report = verify_audit(node.store, node.key_dir)
    assert report.problems == (
        "countersignature: the countersignature of US at size 4 does not verify with the key "
        "registered for US: it is forged or altered, or US's key was replaced since",
    )


def test_verify_audit_finds_this_nodes_signature_altered_in_a_stored_note(node: Node) -> None:
    node.append(2)
    node.add_partner("US")
    cosigned = node.countersign("US")
    own_line = cosigned.note.splitlines()[4]
    blob = base64.b64decode(own_line.split(" ")[2])
    forged = own_line.replace(
        own_line.split(" ")[2], base64.b64encode(blob[:-1] + bytes([blob[-1] ^ 1])).decode()
    )
    with node.store.unit_of_work() as uow:
        uow.connection.execute(
            text("UPDATE audit_cosignatures SET note = :note"),
            {"note": cosigned.note.replace(own_line, forged)},
        )
        uow.commit()
    (problem,) = verify_audit(node.store, node.key_dir).problems
    assert "this node's signature on the checkpoint US countersigned at size 4 does not" in problem


def test_verify_audit_finds_a_tampered_stored_tree_node(node: Node) -> None:
    node.append(300)  # one stored subtree of 256 entries
    with node.store.unit_of_work() as uow:
        uow.connection.execute(
            text("UPDATE audit_tree_nodes SET hash = :hash WHERE level = 8 AND idx = 0"),
            {"hash": "ab" * 32},
        )
        uow.commit()
    report = verify_audit(node.store, node.key_dir)
    assert report.chain.ok
    assert not report.ok
    assert report.problems == (
        "audit tree: 1 stored node(s) differ from the hashes of the entries under them and 0 "
        "are missing: the stored tree was altered, and proofs made from it will not verify",
    )

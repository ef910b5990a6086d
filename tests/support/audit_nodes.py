"""A node with audit entries and partners' countersignatures, made as the node makes them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from enlace.node.keys import load_signing_key
from enlace.node.setup import initialise_node, open_node
from enlace.store.repositories.audit import AuditItem
from enlace.store.repositories.partners import token_hash
from enlace.store.repositories.witness import Cosigned
from enlace.store.store import Store
from enlace.transparency.notes import Checkpoint, cosign, log_name, sign_checkpoint, witness_name

COSIGNED_AT = 1_767_225_600  # 2026-01-01, seconds since 1970


@dataclass
class Node:
    """A node of party MX opened in the test, and the keys of its partners."""

    folder: Path
    store: Store
    partners: dict[str, SigningKey]

    @property
    def key_dir(self) -> Path:
        return self.folder / "keys"

    @property
    def log_key_hex(self) -> str:
        return bytes(load_signing_key(self.key_dir).verify_key).hex()

    def witness_key_hex(self, party: str) -> str:
        return bytes(self.partners[party].verify_key).hex()

    def append(self, count: int) -> None:
        with self.store.unit_of_work() as uow:
            uow.audit.append_many(
                [
                    AuditItem("analyst@sspc", "release", f"vehicle--{i}", {"to": "US", "n": i})
                    for i in range(count)
                ]
            )
            uow.commit()

    def add_partner(self, party: str) -> SigningKey:
        key = SigningKey.generate()
        with self.store.unit_of_work() as uow:
            uow.partners.put(
                party=party,
                url=f"https://{party.lower()}.example",
                verify_key_hex=bytes(key.verify_key).hex(),
                token_hash=token_hash(f"token-{party}"),
                added_at=uow.started_at,
            )
            uow.commit()
        self.partners[party] = key
        return key

    def countersign(
        self, party: str, size: int | None = None, *, with_key: SigningKey | None = None
    ) -> Cosigned:
        """`party` countersigns this node's checkpoint at `size` (the whole log by default),
        as witnessing stores it; `with_key` signs in the partner's name with another key."""
        own = load_signing_key(self.key_dir)
        partner_key = self.partners[party]
        with self.store.unit_of_work() as uow:
            size = uow.audit_tree.size() if size is None else size
            checkpoint = Checkpoint(
                log_name("MX", bytes(own.verify_key)), size, uow.audit_tree.root(size)
            )
            name = witness_name(party, bytes(partner_key.verify_key))
            line = cosign(checkpoint, name, with_key or partner_key, at=COSIGNED_AT)
            note = sign_checkpoint(checkpoint, own).with_signature(line)
            cosigned = Cosigned(
                partner=party,
                size=size,
                root=checkpoint.root_hex,
                note=note.text(),
                cosigned_at=uow.started_at,
            )
            uow.witness.add_cosigned(cosigned)
            uow.commit()
        return cosigned


def make_node(folder: Path, database_url: str | None = None) -> Node:
    """`enlace init` of party MX in `folder` (2 entries: init, agencies-added), opened."""
    initialise_node(folder, party="MX", database_url=database_url)
    _config, store = open_node(folder)
    return Node(folder=folder, store=store, partners={})

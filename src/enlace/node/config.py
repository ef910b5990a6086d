"""The node's configuration file: which party it is and where its database lives (no secrets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from enlace.node.errors import NodeError
from enlace.store.engine import sqlite_url

CONFIG_NAME = "node.json"
DATABASE_NAME = "enlace.sqlite"
KEY_DIR_NAME = "keys"


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """Where a node is and what it is."""

    directory: Path
    party: str
    database_url: str | None = None  # None: the SQLite file inside the node folder

    @property
    def store_url(self) -> str:
        """The database URL to open."""
        return self.database_url or sqlite_url(str(self.directory / DATABASE_NAME))

    @property
    def key_dir(self) -> Path:
        """The folder holding the signing key."""
        return self.directory / KEY_DIR_NAME

    def save(self) -> None:
        """Write node.json (the database URL is written only when it is not the default)."""
        body: dict[str, str] = {"party": self.party}
        if self.database_url:
            body["database_url"] = self.database_url
        (self.directory / CONFIG_NAME).write_text(json.dumps(body, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> NodeConfig:
        """Read node.json from `directory`; raise NodeError with what to do when absent."""
        path = directory / CONFIG_NAME
        try:
            body = json.loads(path.read_text())
        except FileNotFoundError:
            raise NodeError(
                f"{directory} is not an Enlace node (no {CONFIG_NAME}): "
                "run 'enlace init --party MX --node DIR' first, or pass --node"
            ) from None
        except json.JSONDecodeError as error:
            raise NodeError(f"{path} line {error.lineno}: not valid JSON ({error.msg})") from None
        party = body.get("party")
        if not isinstance(party, str) or len(party) != 2:
            raise NodeError(f"{path}: 'party' must be a two-letter party code, found {party!r}")
        return cls(directory=directory, party=party, database_url=body.get("database_url"))

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
    # Where watchlist alerts are POSTed (docs/watchlists.md), and the prefixes it may start
    # with: both are the administrator's, in the node's folder, never set from a page.
    webhook_url: str | None = None
    webhook_allow: tuple[str, ...] = ()

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
        body: dict[str, object] = {"party": self.party}
        if self.database_url:
            body["database_url"] = self.database_url
        if self.webhook_url:
            body["webhook_url"] = self.webhook_url
        if self.webhook_allow:
            body["webhook_allow"] = list(self.webhook_allow)
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
        webhook, allow = _webhook(path, body.get("webhook_url"), body.get("webhook_allow"))
        return cls(
            directory=directory,
            party=party,
            database_url=body.get("database_url"),
            webhook_url=webhook,
            webhook_allow=allow,
        )


def _webhook(path: Path, url: object, allow: object) -> tuple[str | None, tuple[str, ...]]:
    # The allow-list is what stops a mistyped or planted URL from receiving alerts: a URL
    # not under one of its prefixes is refused when the node opens, not when an alert fires.
    if allow is None:
        allow = []
    if not isinstance(allow, list) or not all(
        isinstance(a, str) and a.startswith(("http://", "https://")) for a in allow
    ):
        raise NodeError(
            f"{path}: 'webhook_allow' must be a list of URL prefixes (http:// or https://)"
        )
    if url is None:
        return None, tuple(allow)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise NodeError(f"{path}: 'webhook_url' must be an http:// or https:// URL")
    if not any(url.startswith(prefix) for prefix in allow):
        raise NodeError(
            f"{path}: 'webhook_url' {url!r} is not under any prefix of 'webhook_allow' "
            "(add its address there, or correct the URL)"
        )
    return url, tuple(allow)

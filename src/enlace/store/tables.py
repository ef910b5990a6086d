"""The tables of a node's store (SQLAlchemy Core). Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per record version. `stix` holds the JSON exactly as written or received, so a
# signature over it still verifies later; the other columns are what queries filter on.
records = Table(
    "records",
    metadata,
    Column("id", String(128), nullable=False),
    Column("modified", String(32), nullable=False),  # STIX timestamp text, microseconds: sorts
    Column("stix_type", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("owner", String(2), nullable=False),
    Column("created_by_ref", String(128)),
    Column("tlp", String(16), nullable=False),
    Column("releasable_to", String(255), nullable=False),  # sorted codes, space-separated
    Column("handling", String(2), nullable=False),
    Column("evaluation", String(2), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("content_digest", String(64), nullable=False),
    Column("received_from", String(2)),  # party whose node sent it; NULL when made here
    Column("added_at", String(32), nullable=False),
    Column("stix", Text, nullable=False),
    PrimaryKeyConstraint("id", "modified", name="pk_records"),
)
Index("ix_records_kind_owner", records.c.kind, records.c.owner)

# Normalised identifiers of each version: what private matching and search compare.
record_identifiers = Table(
    "record_identifiers",
    metadata,
    Column("record_id", String(128), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key", String(255), nullable=False),
    PrimaryKeyConstraint("record_id", "modified", "kind", "key", name="pk_record_identifiers"),
)
Index("ix_record_identifiers_kind_key", record_identifiers.c.kind, record_identifiers.c.key)

# Facts about the node itself: its party, when it was created.
node_settings = Table(
    "node_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# The append-only, hash-chained audit log (enlace.audit writes and verifies it). `seq` is
# assigned by the writer as the previous entry's seq + 1 while it holds the log's lock, not by
# a database sequence: a PostgreSQL sequence leaves holes when a transaction rolls back, and a
# hole must mean that an entry was deleted. `entry_hash` is SHA-256 over the RFC 8785 JSON of
# {seq, at, actor, action, subject, detail, prev_hash}; `prev_hash` is the previous entry's
# entry_hash (64 zeros for the first), so editing, deleting or reordering an entry shows.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, autoincrement=False, nullable=False),
    Column("at", String(32), nullable=False),  # STIX timestamp text, microseconds
    Column("actor", String(64), nullable=False),  # a user, a partner's party code, node, cli
    Column("action", String(32), nullable=False),  # release, receipt, refusal, init, ...
    Column("subject", Text),  # a record id, a partner, a file name
    Column("detail", Text),  # canonical JSON (RFC 8785) of an object
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    PrimaryKeyConstraint("seq", name="pk_audit_log"),
)

# Other parties' nodes this node exchanges with. `token_hash` is the SHA-256 (hex) of the
# bearer token the partner presents when it calls this node: the token itself is never stored.
partners = Table(
    "partners",
    metadata,
    Column("party", String(2), nullable=False),
    Column("url", Text, nullable=False),
    Column("verify_key_hex", String(64), nullable=False),  # the partner's Ed25519 public key
    Column("token_hash", String(64), nullable=False),
    Column("added_at", String(32), nullable=False),
    PrimaryKeyConstraint("party", name="pk_partners"),
)

# The owner's decision that a record version may go to a partner, with the owner node's
# signature (base64 Ed25519 over the RFC 8785 JSON of the stored STIX object).
releases = Table(
    "releases",
    metadata,
    Column("record_id", String(128), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("partner", String(2), nullable=False),
    Column("released_at", String(32), nullable=False),  # STIX timestamp text: TAXII date_added
    Column("signature", String(128), nullable=False),
    PrimaryKeyConstraint("record_id", "modified", "partner", name="pk_releases"),
)
# The order a partner's collection is paged in (enlace.exchange.releases): a page reads
# only its own rows, never sorts what follows the cursor.
Index(
    "ix_releases_partner_order",
    releases.c.partner,
    releases.c.released_at,
    releases.c.record_id,
    releases.c.modified,
)

# Where this node's pull from each partner stands: the partner's opaque `next` cursor to
# resume from, and the date_added of the last version received. Written in the same
# transaction as the page it follows, so a sync killed at any point resumes exactly there.
sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("next_cursor", Text),
    Column("last_added", String(32)),
    Column("updated_at", String(32), nullable=False),
    PrimaryKeyConstraint("partner", name="pk_sync_cursors"),
)

# The owner node's signature of each received record version (base64 Ed25519 over the RFC
# 8785 JSON of the object), kept so provenance can be shown and re-checked later.
record_signatures = Table(
    "record_signatures",
    metadata,
    Column("record_id", String(128), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("signer_party", String(2), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("received_at", String(32), nullable=False),
    PrimaryKeyConstraint("record_id", "modified", name="pk_record_signatures"),
)

# CBP "Nationwide Drug Seizures" statistics (enlace.tracking.statistics imports them): one
# row per fiscal year x month x component x region x land filter x area x drug type, as
# published. `edition` is the latest fiscal year the imported file covers: where two
# editions overlap, a fiscal year's rows all come from the newer one.
cbp_drug_seizures = Table(
    "cbp_drug_seizures",
    metadata,
    Column("fiscal_year", Integer, nullable=False),  # US fiscal year: starts 1 October
    Column("month", Integer, nullable=False),  # calendar month, 1-12
    Column("component", String(64), nullable=False),
    Column("region", String(64), nullable=False),
    Column("land_filter", String(32), nullable=False),
    Column("area", String(128), nullable=False),  # area of responsibility
    Column("drug_type", String(64), nullable=False),  # as CBP writes it
    Column("event_count", BigInteger, nullable=False),
    Column("quantity_lbs", Double, nullable=False),
    Column("edition", Integer, nullable=False),
    Column("source_file", String(255), nullable=False),
    PrimaryKeyConstraint(
        "fiscal_year",
        "month",
        "component",
        "region",
        "land_filter",
        "area",
        "drug_type",
        name="pk_cbp_drug_seizures",
    ),
)

"""The tables of a node's store (SQLAlchemy Core). Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
    true,
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
    # True on the newest version of each id, false on every older one: the lists read the
    # newest versions through it (and the partial indexes below) instead of asking, row by
    # row, whether a newer version exists. RecordRepository.add keeps it in the same
    # transaction as the versions it writes.
    Column("latest", Boolean, nullable=False, server_default=false()),
    PrimaryKeyConstraint("id", "modified", name="pk_records"),
)
Index("ix_records_kind_owner", records.c.kind, records.c.owner)
# The orders of the records list, over newest versions only (partial: older versions are not
# in them). Each is scanned forwards or backwards, so every key of one order goes the same
# way: (modified, id) newest first or oldest first; by kind or by owner, then (modified, id).
# A kind or owner filter uses the index that starts with it, in modified order.
_NEWEST = records.c.latest == true()
Index(
    "ix_records_latest_modified",
    records.c.modified,
    records.c.id,
    sqlite_where=_NEWEST,
    postgresql_where=_NEWEST,
)
Index(
    "ix_records_latest_kind",
    records.c.kind,
    records.c.modified,
    records.c.id,
    sqlite_where=_NEWEST,
    postgresql_where=_NEWEST,
)
Index(
    "ix_records_latest_owner",
    records.c.owner,
    records.c.modified,
    records.c.id,
    sqlite_where=_NEWEST,
    postgresql_where=_NEWEST,
)
# The list filtered by authoring agency (migration 0030): counted and paged from it, where a
# small agency's records were found by reading every record's row.
Index(
    "ix_records_latest_agency",
    records.c.created_by_ref,
    sqlite_where=_NEWEST,
    postgresql_where=_NEWEST,
)

# How many records (newest versions) this node holds of each kind and owner: what the
# dashboard, the search form and an unfiltered list total read, instead of counting millions
# of rows per request. RecordRepository.add updates it in the same transaction as the
# versions; migration 0015 filled it for the records held before.
record_counts = Table(
    "record_counts",
    metadata,
    Column("kind", String(32), nullable=False),
    Column("owner", String(2), nullable=False),
    Column("records", BigInteger, nullable=False),
    PrimaryKeyConstraint("kind", "owner", name="pk_record_counts"),
)

# The seizure map's counts (enlace.store.map_counts): newest, unrevoked seizures and firearm
# recoveries per place, what and when, at two grains (month rows "YYYY-MM", day rows
# "YYYY-MM-DD"), so the map sums month rows for whole months and day rows only at a period's
# ends. The period leads the key: a period is one range of it. Kept by RecordRepository.add
# and RevocationRepository.mark_revoked in the writer's transaction; migration 0024 filled it.
map_counts = Table(
    "map_counts",
    metadata,
    Column("grain", String(5), nullable=False),  # "month" | "day"
    Column("period", String, nullable=False),  # "YYYY-MM" | "YYYY-MM-DD" | "" (no date)
    Column("kind", String(8), nullable=False),  # "seizure" | "recovery"
    Column("owner", String(2), nullable=False),
    Column("state", String, nullable=False),  # ISO 3166-2, "" for none
    Column("port", String, nullable=False),  # CBP port code, "" for none
    Column("category", String, nullable=False),  # seizures' category, "" for recoveries
    Column("drug", String, nullable=False),  # drug seizures' drug type, else ""
    Column("records", BigInteger, nullable=False),
    PrimaryKeyConstraint(
        "grain",
        "period",
        "kind",
        "owner",
        "state",
        "port",
        "category",
        "drug",
        name="pk_map_counts",
    ),
)

# The full-text index of the newest versions, `record_search`, is not declared here: it is
# an FTS5 virtual table on SQLite and a table with a tsvector column on PostgreSQL, created
# by migration 0015 and read and written only by enlace.store.search_index.

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
# The exchange page's "received" list, newest first, over received versions only (partial:
# a node's own records are not in it), so its page and capped count read the index alone.
_RECEIVED = records.c.received_from.is_not(None)
Index(
    "ix_records_received",
    records.c.added_at,
    records.c.id,
    records.c.modified,
    sqlite_where=_RECEIVED,
    postgresql_where=_RECEIVED,
)
# Versions received from each partner, counted for the dashboard and the exchange page from
# this small index (migration 0030) instead of every version's row.
Index(
    "ix_records_received_from",
    records.c.received_from,
    sqlite_where=_RECEIVED,
    postgresql_where=_RECEIVED,
)

Index("ix_record_identifiers_kind_key", record_identifiers.c.kind, record_identifiers.c.key)

# The two ends of each stored version of a STIX relationship, so a record's page finds the
# relationships naming it by index instead of reading every relationship's JSON. Kept by
# enlace.store.repositories.record_links wherever record versions are added.
record_links = Table(
    "record_links",
    metadata,
    Column("relationship_id", String(128), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("source_id", String(128), nullable=False),
    Column("target_id", String(128), nullable=False),
    Column("relationship_type", Text, nullable=False),
    PrimaryKeyConstraint("relationship_id", "modified", name="pk_record_links"),
)
# By end, then id: a page reads the first relationships of one end in id order.
Index("ix_record_links_source", record_links.c.source_id, record_links.c.relationship_id)
Index("ix_record_links_target", record_links.c.target_id, record_links.c.relationship_id)

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
# The audit page's filters (issue 20): by actor, subject or action, newest first, and by day.
# Each answers a filtered page and its count from the index, not a walk of the whole log.
Index("ix_audit_log_actor_seq", audit_log.c.actor, audit_log.c.seq)
Index("ix_audit_log_subject_seq", audit_log.c.subject, audit_log.c.seq)
Index("ix_audit_log_action_seq", audit_log.c.action, audit_log.c.seq)
Index("ix_audit_log_at", audit_log.c.at)

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
    # The partner's release sequence number (exchange protocol 2): 1, 2, 3, ... per partner,
    # in commit order, shared with outbound_statements; the order the partner is served in.
    Column("sequence", BigInteger, nullable=False),
    PrimaryKeyConstraint("record_id", "modified", "partner", name="pk_releases"),
)
Index("ix_releases_partner_sequence", releases.c.partner, releases.c.sequence, unique=True)
# The exchange page's "released" list, newest first, and its capped count.
Index("ix_releases_released_at", releases.c.released_at, releases.c.record_id, releases.c.partner)

# The last release sequence number given to each partner, and the last date_added. A release
# updates this row first: the row lock (PostgreSQL) or the write lock (SQLite) it takes lasts
# until commit, so numbers are handed out in commit order and a reader never sees a number
# missing that a transaction still in flight will fill (which it would take for a loss).
release_counters = Table(
    "release_counters",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("last_sequence", BigInteger, nullable=False),
    Column("last_released_at", String(32), nullable=False),
    PrimaryKeyConstraint("partner", name="pk_release_counters"),
)

# Signed statements in a partner's release sequence that are not record versions: tombstones
# (a revocation: id, owner, time, reason; no content) and consents to an onward release.
# `statement` is the canonical JSON that `signature` signs (after its context string).
outbound_statements = Table(
    "outbound_statements",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # tombstone | consent
    Column("record_id", String(128), nullable=False),
    Column("statement", Text, nullable=False),
    Column("digest", String(64), nullable=False),  # SHA-256 of `statement`
    Column("signature", String(128), nullable=False),
    Column("released_at", String(32), nullable=False),
    PrimaryKeyConstraint("partner", "sequence", name="pk_outbound_statements"),
)
Index(
    "ix_outbound_statements_record",
    outbound_statements.c.record_id,
    outbound_statements.c.kind,
    outbound_statements.c.partner,
)

# Where this node's pull from each partner stands: the partner's opaque `next` cursor to
# resume from, and the date_added of the last version received. Written in the same
# transaction as the page it follows, so a sync killed at any point resumes exactly there.
sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("next_cursor", Text),  # protocol 1 only: the partner's opaque `next`
    Column("last_added", String(32)),
    Column("updated_at", String(32), nullable=False),
    # Protocol 2: the partner's release sequence is verified up to here (every number up to it
    # is held, refused with a reason, or listed in sequence_gaps), and the highest number the
    # partner declared in a signed manifest.
    Column("sequence", BigInteger),
    Column("highest", BigInteger),
    PrimaryKeyConstraint("partner", name="pk_sync_cursors"),
)

# Numbers of a partner's release sequence this node does not hold: announced in a signed
# manifest but dropped on the way ("missing"), or refused (the refusal reason). Each sync asks
# for them again; a number leaves the table when what it names is received.
sequence_gaps = Table(
    "sequence_gaps",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("subject", String(128)),
    Column("first_seen", String(32), nullable=False),
    PrimaryKeyConstraint("partner", "sequence", name="pk_sequence_gaps"),
)

# Revocations: the owner's signed tombstone of a record, issued here or received. A record
# with a tombstone is held as revoked (records.revoked) whatever version arrives.
revocations = Table(
    "revocations",
    metadata,
    Column("record_id", String(128), nullable=False),
    Column("owner", String(2), nullable=False),
    Column("revoked_at", String(32), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("statement", Text, nullable=False),
    Column("signature", String(128), nullable=False),
    Column("received_from", String(2)),  # NULL: issued here
    Column("received_at", String(32), nullable=False),
    PrimaryKeyConstraint("record_id", name="pk_revocations"),
)

# Consents to an onward release (handling H2): the owner's signed statement that `holder`
# may pass version `modified` of the record on to `recipient`. Kept by the owner (issued),
# by the holder (received, to pass on) and by the recipient (received with the record).
consents = Table(
    "consents",
    metadata,
    Column("record_id", String(128), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("owner", String(2), nullable=False),
    Column("holder", String(2), nullable=False),
    Column("recipient", String(2), nullable=False),
    Column("statement", Text, nullable=False),
    Column("signature", String(128), nullable=False),
    Column("received_from", String(2)),  # NULL: issued here
    Column("recorded_at", String(32), nullable=False),
    PrimaryKeyConstraint("record_id", "modified", "holder", "recipient", name="pk_consents"),
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

# --- private matching (enlace.matching) --------------------------------------------------

# What this node agreed to answer for each partner and kind of identifier: the largest set
# the partner may send in one run and how many runs it may ask for per UTC day.
match_agreements = Table(
    "match_agreements",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("max_set_size", BigInteger, nullable=False),
    Column("runs_per_day", Integer, nullable=False),
    Column("updated_at", String(32), nullable=False),
    # What the requester may learn (enlace.matching.modes): links, count or threshold,
    # with the least shared identifiers for links in threshold mode.
    Column("mode", String(9), nullable=False, server_default="links"),
    Column("threshold", BigInteger),
    PrimaryKeyConstraint("partner", "kind", name="pk_match_agreements"),
)

# Every run, on both sides (`role` requester or responder). On the responder, `order_seed`
# keys the shuffle of its own set and `set_digest` pins that set, so the second round can
# map the positions the requester reports back to records without keeping state in memory.
match_runs = Table(
    "match_runs",
    metadata,
    Column("id", String(32), nullable=False),  # 16 random bytes, hex
    Column("role", String(9), nullable=False),
    Column("partner", String(2), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # answered, completed, failed
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("requester_size", BigInteger, nullable=False),
    Column("responder_size", BigInteger),
    Column("overlap", BigInteger),
    Column("order_seed", String(32)),
    Column("set_digest", String(64)),
    # SHA-256 (hex) of the run's messages so far (enlace.matching.transcript): of round 1
    # while the responder waits for round 2, of the whole run once it is completed.
    Column("transcript_sha256", String(64)),
    # The agreement the run ran under (enlace.matching.modes); NULL before migration 19.
    Column("mode", String(9)),
    Column("threshold", BigInteger),
    Column("agreement_sha256", String(64)),
    # The responder's secret scalar of a threshold run, kept between its offer and its count
    # step only (then erased): it blinds nothing this node's own store does not hold in clear.
    Column("blinding_scalar", String(64)),
    PrimaryKeyConstraint("id", "role", name="pk_match_runs"),
)
Index("ix_match_runs_partner_started", match_runs.c.partner, match_runs.c.started_at)

# The opaque handle under which this node's record is known to a partner that matched it:
# random, stable per (partner, record), mapped back here only.
match_handles = Table(
    "match_handles",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("handle", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    PrimaryKeyConstraint("partner", "record_id", name="pk_match_handles"),
)
Index("ix_match_handles_handle", match_handles.c.handle, unique=True)

# On the requester: a local record linked to a partner's record handle (coincidencia).
matches = Table(
    "matches",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("partner_handle", String(32), nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("found_at", String(32), nullable=False),
    PrimaryKeyConstraint("partner", "kind", "record_id", "partner_handle", name="pk_matches"),
)
Index("ix_matches_record_id", matches.c.record_id)  # a record's page lists its matches
# The matching page's list, newest first; a run's matches and their count (the dashboard's
# latest runs walk found_at down, then count each run): migration 0030, issue 19.
Index("ix_matches_found_at", matches.c.found_at)
Index("ix_matches_run", matches.c.run_id, matches.c.found_at, matches.c.partner, matches.c.kind)

# On the responder: a hit notice (aviso de coincidencia) for the owner of a matched record.
hit_notices = Table(
    "hit_notices",
    metadata,
    Column("run_id", String(32), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("partner", String(2), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("owner_agency", String(128)),  # created_by_ref of the matched record
    Column("at", String(32), nullable=False),
    PrimaryKeyConstraint("run_id", "record_id", name="pk_hit_notices"),
)
Index("ix_hit_notices_record_id", hit_notices.c.record_id)
Index("ix_hit_notices_at", hit_notices.c.at)  # newest first (migration 0030)

# Disclosure requests (solicitudes de divulgación): `incoming` on the owner's node, where
# they wait for a decision; `outgoing` on the requester's, as a note of what was asked.
disclosure_requests = Table(
    "disclosure_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("direction", String(8), nullable=False),
    Column("partner", String(2), nullable=False),
    Column("handle", String(32), nullable=False),
    Column("record_id", String(128)),  # known on the owner's side only
    Column("reason", Text),
    Column("status", String(10), nullable=False),  # pending, approved, refused
    Column("requested_at", String(32), nullable=False),
    Column("decided_at", String(32)),
    Column("decided_by", String(64)),
    Column("decision_reason", Text),
    Column("remote_id", Integer),  # on the requester: the id the owner gave the request
)

# --- people (enlace.users) ---------------------------------------------------------------

# The people who use this node. `password_hash` is an argon2id string (libsodium's format,
# carrying its own salt and cost); no password is ever stored.
users = Table(
    "users",
    metadata,
    Column("username", String(64), nullable=False),
    Column("display_name", String(128), nullable=False),
    Column("agency", String(128)),
    Column("language", String(2), nullable=False),  # es, en
    Column("password_hash", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", String(32), nullable=False),
    Column("password_changed_at", String(32), nullable=False),
    # Whether the password met the password rules when last seen in clear: set at each change
    # and each sign-in, the only times the password is at hand. NULL: not seen since the rules
    # came in (migration 0011), shown as "not checked yet" by `enlace user list`.
    Column("password_meets_policy", Boolean),
    PrimaryKeyConstraint("username", name="pk_users"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    PrimaryKeyConstraint("username", "role", name="pk_user_roles"),
)

# API tokens for scripts: only the SHA-256 of the token is kept; the token is shown once.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(16), nullable=False),  # public, short: names the token in lists
    Column("username", String(64), nullable=False),
    Column("label", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_used_at", String(32)),
    Column("revoked_at", String(32)),
    PrimaryKeyConstraint("id", name="pk_api_tokens"),
)
Index("ix_api_tokens_token_hash", api_tokens.c.token_hash, unique=True)

# Web sessions, server-side: the browser holds a random id, this table only its SHA-256.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), nullable=False),
    Column("username", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32), nullable=False),
    PrimaryKeyConstraint("id_hash", name="pk_web_sessions"),
)
Index("ix_web_sessions_username", web_sessions.c.username)

# Failed logins per key ("user:<name>" or "client:<address>"), to slow down guessing.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(160), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", String(32), nullable=False),
    Column("blocked_until", String(32)),
    PrimaryKeyConstraint("key", name="pk_login_failures"),
)

# The RFC 9162 Merkle tree over the audit log (issue 13), kept beside the hash chain. Leaf i is
# H(0x00 ‖ the 32 bytes of entry_hash of entry seq i+1). Only complete subtrees of 256 leaves
# or more are stored (level = log2 of the width, idx = start / width): a proof reads a few of
# them and at most two runs of 255 entry hashes; the stored rows are under 1 % of the entries.
audit_tree_nodes = Table(
    "audit_tree_nodes",
    metadata,
    Column("level", Integer, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),  # hex
    PrimaryKeyConstraint("level", "idx", name="pk_audit_tree_nodes"),
)

# The frontier of that tree (one row): its size and the hashes of the complete subtrees that
# cover it, leftmost first, hex, concatenated. An append reads and rewrites this one row.
audit_tree_state = Table(
    "audit_tree_state",
    metadata,
    Column("name", String(16), nullable=False),  # always "tree"
    Column("size", BigInteger, nullable=False),
    Column("frontier", Text, nullable=False),
    PrimaryKeyConstraint("name", name="pk_audit_tree_state"),
)

# This node's checkpoints as a partner countersigned them: the signed note (this node's
# signature and the partner's cosignature line), kept as the proof that the partner saw the
# log at that size with that root.
audit_cosignatures = Table(
    "audit_cosignatures",
    metadata,
    Column("partner", String(2), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),  # hex
    Column("note", Text, nullable=False),
    Column("cosigned_at", String(32), nullable=False),
    PrimaryKeyConstraint("partner", "size", name="pk_audit_cosignatures"),
)

# Other parties' checkpoints this node holds: those it countersigned itself (source = the
# party) and those a partner passed on as its own cosigned view (source = that partner), which
# the next witnessing of the party checks against what it shows this node (split views).
witnessed_checkpoints = Table(
    "witnessed_checkpoints",
    metadata,
    Column("party", String(2), nullable=False),
    Column("source", String(2), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),  # hex
    Column("note", Text, nullable=False),  # the party's signed note
    Column("seen_at", String(32), nullable=False),
    Column("checked_at", String(32)),  # passed on by a partner: when found consistent
    PrimaryKeyConstraint("party", "source", "size", name="pk_witnessed_checkpoints"),
)

# What witnessing refused, on either side, kept as evidence: a checkpoint or proof that does
# not hold, a rewrite, a truncation, a split view, a partner refusing this node's log.
audit_alerts = Table(
    "audit_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("raised_at", String(32), nullable=False),
    Column("party", String(2), nullable=False),  # whose log is in question
    Column("reporter", String(2), nullable=False),  # who found it (this node or a partner)
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # canonical JSON: the notes, the proof
)

# Refused requests by strangers (no partner token, no valid API token, an unknown username),
# counted per minute, source (client address), reason and target (path or username typed)
# instead of one audit entry each; each closed minute becomes one audit entry per source
# ("refused-requests", enlace.users.refused_requests) and its rows are deleted.
refused_requests = Table(
    "refused_requests",
    metadata,
    Column("minute", String(17), nullable=False),  # UTC, "2025-09-01T12:00Z"
    Column("source", String(64), nullable=False),  # "other" past the cap of sources a minute
    Column("reason", String(80), nullable=False),
    Column("target", String(128), nullable=False),  # "" for targets past the sample
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("minute", "source", "reason", "target", name="pk_refused_requests"),
)

# Communiqués read by `tracking ingest`, by the SHA-256 of their text: the same text under
# another file name is the same document. `proposal` is the proposal as JSON; `decisions`
# maps each proposal key to what the coordinator decided ({"decision": "accepted" or
# "rejected", "record_id", "edits"}); keys not in it are still pending review.
tracking_documents = Table(
    "tracking_documents",
    metadata,
    Column("content_sha256", String(64), nullable=False),
    Column("source_document", String(255), nullable=False),
    Column("proposal", Text, nullable=False),
    Column("decisions", Text, nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    PrimaryKeyConstraint("content_sha256", name="pk_tracking_documents"),
)

# --- watchlists (enlace.matching.watchlists) ----------------------------------------------

# An identifier an analyst watches (lista de vigilancia): `key` is its match key, normalised
# as records' identifiers are (record_identifiers), `label` as the analyst typed it. Each
# analyst (`owner`, a username) keeps one list; an identifier is on it once.
watchlist_entries = Table(
    "watchlist_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("added_at", String(32), nullable=False),
    # Set when its analyst took it off the list: no longer checked nor listed, its alerts
    # kept as raised (they name it). Added again, the same row is watched again.
    Column("removed_at", String(32)),
)
Index(
    "ix_watchlist_entries_owner_kind_key",
    watchlist_entries.c.owner,
    watchlist_entries.c.kind,
    watchlist_entries.c.key,
    unique=True,
)

# An alert (alerta): a partner holds a watched identifier. One per entry and partner, ever:
# the next check finding the same hit adds nothing. `handles`: the partner's opaque handles
# of its records holding it, space-separated. `webhook_sent_at` stays NULL until the node's
# webhook took it (tried again at every check until then).
watchlist_alerts = Table(
    "watchlist_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", Integer, nullable=False),
    Column("owner", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("partner", String(2), nullable=False),
    Column("handles", Text, nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("raised_at", String(32), nullable=False),
    Column("webhook_sent_at", String(32)),
    Column("webhook_attempts", Integer, nullable=False, server_default="0"),
)
Index(
    "ix_watchlist_alerts_entry_partner",
    watchlist_alerts.c.entry_id,
    watchlist_alerts.c.partner,
    unique=True,
)
Index("ix_watchlist_alerts_owner", watchlist_alerts.c.owner, watchlist_alerts.c.raised_at)
# Planned operations (operativos) for deconfliction: this node's own, never a record and never
# synced. `contact` (the liaison's name and phone or e-mail) is the only thing of one a
# partner may learn, and only when the partner has an operation sharing a key with it.
operations = Table(
    "operations",
    metadata,
    Column("id", String(40), nullable=False),  # "operation--" + 16 random hex digits
    Column("reference", String(128), nullable=False),
    Column("agency", String(128), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("latitude", Double, nullable=False),
    Column("longitude", Double, nullable=False),
    Column("starts", String(10), nullable=False),  # ISO dates, UTC days
    Column("ends", String(10), nullable=False),
    Column("status", String(9), nullable=False),  # active, cancelled
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    PrimaryKeyConstraint("id", name="pk_operations"),
)

# The keys deconfliction compares (enlace.model.operations): targets and (cell, day) keys.
operation_keys = Table(
    "operation_keys",
    metadata,
    Column("operation_id", String(40), nullable=False),
    Column("key", String(160), nullable=False),
    PrimaryKeyConstraint("operation_id", "key", name="pk_operation_keys"),
)
Index("ix_operation_keys_key", operation_keys.c.key)

# A deconfliction notice (aviso de desconflicto) for the liaison of one of this node's
# operations: a partner's operation shares a key with it. `role` is this node's in the run;
# `counterpart` tells the partner's operations apart (its handle on the requester; the
# requester's contact on the responder); `partner_contact` is NULL until the contacts are
# exchanged.
deconfliction_notices = Table(
    "deconfliction_notices",
    metadata,
    Column("operation_id", String(40), nullable=False),
    Column("partner", String(2), nullable=False),
    Column("role", String(9), nullable=False),
    Column("counterpart", String(200), nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("matched_on", String(12), nullable=False),  # target, area, or "target area"
    Column("partner_contact", String(200)),
    Column("at", String(32), nullable=False),
    PrimaryKeyConstraint(
        "operation_id", "partner", "role", "counterpart", name="pk_deconfliction_notices"
    ),
)
Index("ix_deconfliction_notices_run", deconfliction_notices.c.run_id)


# Blinding handed to `enlace worker` processes on a PostgreSQL node served with --workers
# (enlace.jobs.blinding, issue 19): one row per batch (one blinding step of one run) with the
# run's secret scalar, one per chunk with its input and, once a worker has done it, its
# output. The rows live only while the run waits for them: the run deletes its batch as soon
# as it has the output (or gives up). SQLite nodes create the tables and never use them.
blinding_batches = Table(
    "blinding_batches",
    metadata,
    Column("batch_id", String(32), nullable=False),
    Column("operation", String(16), nullable=False),  # "blind" or "hash_and_blind"
    Column("scalar", LargeBinary, nullable=False),
    Column("domain", LargeBinary),  # hash_and_blind only
    Column("width", Integer, nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    PrimaryKeyConstraint("batch_id", name="pk_blinding_batches"),
)

blinding_chunks = Table(
    "blinding_chunks",
    metadata,
    Column("batch_id", String(32), nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("input", LargeBinary, nullable=False),
    Column("output", LargeBinary),  # NULL until a worker stored it (once: see jobs.blinding)
    Column("error", Text),  # why the chunk cannot be blinded (a value not a point)
    PrimaryKeyConstraint("batch_id", "chunk", name="pk_blinding_chunks"),
)

# A PSI run's name keys as jobs (enlace.jobs.name_keys, issue 19): one row per batch (the
# own records of one name kind, for one run), one per chunk, a range of record ids as the
# database orders them, with its keys once a worker has derived them. The rows live only
# while the run waits for them. SQLite nodes create the tables and never use them.
name_key_batches = Table(
    "name_key_batches",
    metadata,
    Column("batch_id", String(32), nullable=False),
    Column("party", String(2), nullable=False),  # whose own records
    Column("kind", String(16), nullable=False),  # "person" or "organisation"
    Column("chunks", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    PrimaryKeyConstraint("batch_id", name="pk_name_key_batches"),
)

name_key_chunks = Table(
    "name_key_chunks",
    metadata,
    Column("batch_id", String(32), nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("after_id", String(128)),  # the records whose id is in (after_id, upto_id];
    Column("upto_id", String(128)),  # NULL: unbounded on that side
    Column("output", LargeBinary),  # NULL until a worker stored it (once: see jobs.name_keys)
    Column("error", Text),  # why the chunk's records give no keys (a record not readable)
    PrimaryKeyConstraint("batch_id", "chunk", name="pk_name_key_chunks"),
)

# Reports rendered by a worker (`enlace report --queue`, issue 19): the files wait here, in
# the node's database, until the command that asked for them writes them out and deletes
# them — a worker may run on another machine, and the database is what both share.
rendered_reports = Table(
    "rendered_reports",
    metadata,
    Column("request_id", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("html", Text, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("rendered_at", String(32), nullable=False),
    PrimaryKeyConstraint("request_id", "language"),
)

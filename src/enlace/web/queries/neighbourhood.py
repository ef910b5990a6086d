"""Read model of a record's link graph (grafo de vínculos): the records its relationships
reach at depth 1 and 2, and its matches and hit notices with partners, bounded to what one
picture can show.

The same rules as the record page (`enlace.web.queries.record_links`): only the newest
version of each relationship counts, and a revoked one not at all; a linked record is drawn
only when this node holds it (every record held here may be read by whoever opens records
pages; a record not held is not drawn, only counted among the links not drawn). A partner's
record is known here only by the opaque handle a match gave: its node carries the partner,
the kind of identifier and the handle, never content.

Bounded whatever the record: at most `DRAWN` nodes (the record, then partner nodes, then
depth 1, then depth 2), each list read by index (`record_links` by either end, `matches` and
`hit_notices` by record, `records` by id) with a LIMIT, and every count stopped at a cap, so
a record with ten thousand neighbours costs a few dozen small index reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select

from enlace.store.store import Store
from enlace.store.tables import hit_notices, match_handles, matches, record_links
from enlace.web.queries.record_links import LinkedRecord, current_links, held_records

DRAWN = 40  # nodes in one picture, the record itself included
PARTNER_NODES = 8  # of those, at most this many partners' records (matches, hit notices)
CENTRE_COUNTED = 1000  # the record's own links are counted up to this many each way
COUNTED = 200  # another drawn record's links are counted up to this many each way
_PARTNER_ROWS = 20  # matches (and hit notices) read to find the partner nodes


@dataclass(frozen=True, slots=True)
class Bounded:
    """A count stopped at a cap: `more` says there are more than `count`."""

    count: int
    more: bool = False

    def __add__(self, other: Bounded) -> Bounded:
        return Bounded(self.count + other.count, self.more or other.more)


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node of the picture: a record this node holds, or a partner's record (a handle)."""

    key: str  # the record id; for a partner's record "partner:<match|notice>:<party>:<handle>"
    depth: int  # 0 the record itself, 1, 2
    record: LinkedRecord | None = None  # a record held here
    partner: str | None = None  # a partner's record: whose
    direction: str = ""  # a partner's record: "match" (we found it) or "notice" (it found ours)
    handle: str = ""  # a match: the partner's handle; a hit notice: ours, given to the partner
    identifier_kinds: tuple[str, ...] = ()  # a partner's record: the identifiers matched
    parent: str | None = None  # depth 2: the depth-1 node it was reached from
    links: Bounded = Bounded(0)  # a record: its current relationships, each way capped
    drawn_links: int = 0  # of those, how many the picture draws

    @property
    def kind(self) -> str:
        """The record's kind, or "partner-record"."""
        return self.record.kind if self.record is not None else "partner-record"

    @property
    def hidden_links(self) -> Bounded:
        """Its relationships the picture does not draw (at least, when capped)."""
        return Bounded(max(0, self.links.count - self.drawn_links), self.links.more)


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A line of the picture: a relationship (source -> target), or a match or hit notice."""

    source: str  # node keys
    target: str
    relationship_type: str  # "match" and "hit-notice" for a partner's record
    relationship_id: str | None = None  # the relationship record, for its page


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """What the link graph page draws, and counts of what it leaves out."""

    centre: GraphNode
    nodes: tuple[GraphNode, ...] = ()  # the centre first, then depth 1, then depth 2
    edges: tuple[GraphEdge, ...] = ()
    partner_rows: Bounded = Bounded(0)  # matches and hit notices of the record
    partner_rows_drawn: int = 0
    not_drawn_depth1: Bounded = Bounded(0)  # the record's relationships not drawn
    not_drawn_depth2: Bounded = Bounded(0)  # the depth-1 records' relationships not drawn

    @property
    def not_drawn_partners(self) -> int:
        """Matches and hit notices not drawn."""
        return max(0, self.partner_rows.count - self.partner_rows_drawn)

    @property
    def truncated(self) -> bool:
        """Whether anything was left out of the picture."""
        return bool(
            self.not_drawn_partners
            or self.partner_rows.more
            or self.not_drawn_depth1.count
            or self.not_drawn_depth1.more
            or self.not_drawn_depth2.count
            or self.not_drawn_depth2.more
        )

    def at_depth(self, depth: int) -> tuple[GraphNode, ...]:
        """The nodes drawn at `depth`."""
        return tuple(node for node in self.nodes if node.depth == depth)


@dataclass(slots=True)
class _Link:
    relationship_id: str
    relationship_type: str
    source: str
    target: str


def neighbourhood(store: Store, record_id: str) -> Neighbourhood | None:
    """The link graph of `record_id`, or None when this node does not hold it."""
    with store.unit_of_work() as uow:  # only reads
        return neighbourhood_of(uow.connection, record_id)


def neighbourhood_of(connection: Connection, record_id: str) -> Neighbourhood | None:
    """As `neighbourhood`, on an open connection."""
    centre_record = held_records(connection, {record_id}).get(record_id)
    if centre_record is None:
        return None
    drawn: dict[str, GraphNode] = {record_id: GraphNode(record_id, 0, record=centre_record)}
    edges: list[GraphEdge] = []
    seen_links: set[str] = set()

    partners, partner_rows, partner_rows_drawn = _partner_nodes(connection, record_id)
    for node in partners:
        drawn[node.key] = node
        edges.append(
            GraphEdge(
                record_id,
                node.key,
                "match" if node.direction == "match" else "hit-notice",
            )
        )

    # Depth 1: the record's relationships, each way in id order, read a few more than there
    # is room for (an end may not be held here, or be drawn already).
    room = DRAWN - len(drawn)
    first = _links_of(connection, record_id, room + PARTNER_NODES)
    centre_links = _count_links(connection, record_id, CENTRE_COUNTED)
    depth1 = _place(connection, first, record_id, drawn, edges, seen_links, depth=1, room=room)

    # Depth 2: from each depth-1 record in the order drawn, until the picture is full.
    for parent in depth1:
        room = DRAWN - len(drawn)
        if room <= 0:
            break
        found = _links_of(connection, parent, room + PARTNER_NODES)
        _place(connection, found, parent, drawn, edges, seen_links, depth=2, room=room)

    # Links among the drawn records that were not met on the way (two depth-2 records
    # linked to each other, say) are left out: the picture is of paths from the record.
    counted: dict[str, GraphNode] = {}
    not_drawn_depth2 = Bounded(0)
    for key, node in drawn.items():
        if node.record is None:
            counted[key] = node
            continue
        links = centre_links if key == record_id else _count_links(connection, key, COUNTED)
        mine = sum(
            1 for edge in edges if edge.relationship_id and key in (edge.source, edge.target)
        )
        placed = GraphNode(
            node.key,
            node.depth,
            record=node.record,
            parent=node.parent,
            links=links,
            drawn_links=mine,
        )
        counted[key] = placed
        if node.depth == 1:
            not_drawn_depth2 = not_drawn_depth2 + placed.hidden_links
    # Partners' records first at depth 1 (they are what crosses the border), then the
    # records, each group in the order it was read (sorted is stable).
    ordered = sorted(counted.values(), key=lambda n: (n.depth, n.record is not None))
    centre = counted[record_id]
    return Neighbourhood(
        centre=centre,
        nodes=tuple(ordered),
        edges=tuple(edges),
        partner_rows=partner_rows,
        partner_rows_drawn=partner_rows_drawn,
        not_drawn_depth1=centre.hidden_links,
        not_drawn_depth2=not_drawn_depth2,
    )


def _place(
    connection: Connection,
    links: list[_Link],
    here: str,
    drawn: dict[str, GraphNode],
    edges: list[GraphEdge],
    seen_links: set[str],
    *,
    depth: int,
    room: int,
) -> list[str]:
    """Draw the other ends of `links` (of the record `here`) that this node holds, up to
    `room` new nodes; draw each link whose two ends are drawn; return the new nodes' ids."""
    others = {link.target if link.source == here else link.source for link in links}
    held = held_records(connection, others - set(drawn))
    added: list[str] = []
    for link in links:
        if link.relationship_id in seen_links:
            continue
        other = link.target if link.source == here else link.source
        if other == here:
            continue  # a relationship of a record with itself: nothing to draw
        if other not in drawn:
            if other not in held or len(added) >= room:
                continue
            drawn[other] = GraphNode(
                other, depth, record=held[other], parent=here if depth > 1 else None
            )
            added.append(other)
        seen_links.add(link.relationship_id)
        edges.append(
            GraphEdge(link.source, link.target, link.relationship_type, link.relationship_id)
        )
    return added


def _links_of(connection: Connection, record_id: str, limit: int) -> list[_Link]:
    """The first `limit` current relationships of `record_id` each way, in id order."""
    found: list[_Link] = []
    for end in (record_links.c.source_id, record_links.c.target_id):
        rows = connection.execute(
            current_links(end == record_id).order_by(record_links.c.relationship_id).limit(limit)
        )
        found.extend(
            _Link(row.relationship_id, row.relationship_type, row.source_id, row.target_id)
            for row in rows
        )
    return found


def _count_links(connection: Connection, record_id: str, cap: int) -> Bounded:
    """How many current relationships name `record_id`, each way counted up to `cap`."""
    total = Bounded(0)
    for end in (record_links.c.source_id, record_links.c.target_id):
        total = total + _capped(connection, current_links(end == record_id), cap)
    return total


def _capped(connection: Connection, query: Select[Any], cap: int) -> Bounded:
    limited = query.limit(cap + 1).subquery()
    counted = int(connection.execute(select(func.count()).select_from(limited)).scalar_one())
    return Bounded(min(counted, cap), counted > cap)


def _partner_nodes(connection: Connection, record_id: str) -> tuple[list[GraphNode], Bounded, int]:
    """(the partners' records to draw, how many matches and hit notices the record has,
    how many of those the drawn nodes stand for)."""
    found: dict[str, GraphNode] = {}
    rows_of: dict[str, int] = {}
    match_rows = connection.execute(
        select(matches.c.partner, matches.c.kind, matches.c.partner_handle)
        .where(matches.c.record_id == record_id)
        .order_by(matches.c.found_at.desc(), matches.c.partner, matches.c.partner_handle)
        .limit(_PARTNER_ROWS)
    ).all()
    for partner, kind, handle in match_rows:
        _gather(found, rows_of, "match", str(partner), str(handle), str(kind))
    notice_rows = connection.execute(
        select(hit_notices.c.partner, hit_notices.c.kind)
        .where(hit_notices.c.record_id == record_id)
        .order_by(hit_notices.c.at.desc(), hit_notices.c.run_id)
        .limit(_PARTNER_ROWS)
    ).all()
    if notice_rows:
        # The handle each partner knows our record by (one per partner and record).
        ours = {
            str(partner): str(handle)
            for partner, handle in connection.execute(
                select(match_handles.c.partner, match_handles.c.handle).where(
                    match_handles.c.record_id == record_id,
                    match_handles.c.partner.in_({row.partner for row in notice_rows}),
                )
            )
        }
        for partner, kind in notice_rows:
            _gather(found, rows_of, "notice", str(partner), ours.get(str(partner), ""), str(kind))
    chosen = list(found.values())[:PARTNER_NODES]
    total = _capped(
        connection, select(matches.c.record_id).where(matches.c.record_id == record_id), COUNTED
    ) + _capped(
        connection,
        select(hit_notices.c.record_id).where(hit_notices.c.record_id == record_id),
        COUNTED,
    )
    return chosen, total, sum(rows_of[node.key] for node in chosen)


def _gather(
    found: dict[str, GraphNode],
    rows_of: dict[str, int],
    direction: str,
    partner: str,
    handle: str,
    kind: str,
) -> None:
    # One node per partner's record: a record matched on two identifiers is one node.
    key = f"partner:{direction}:{partner}:{handle}"
    node = found.get(key)
    kinds = (*node.identifier_kinds, kind) if node is not None else (kind,)
    found[key] = GraphNode(
        key,
        1,
        partner=partner,
        direction=direction,
        handle=handle,
        identifier_kinds=tuple(dict.fromkeys(kinds)),
    )
    rows_of[key] = rows_of.get(key, 0) + 1

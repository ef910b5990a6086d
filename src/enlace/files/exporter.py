"""`enlace export`: write a STIX 2.1 bundle, streamed object by object."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from enlace.model import extensions as ext
from enlace.model.markings import Tlp, tlp_marking_definition
from enlace.store.store import Store

RECEIVED_FROM = "x_enlace_received_from"  # the mark a received record carries in a bundle


@dataclass(slots=True)
class ExportReport:
    """What an export wrote."""

    path: Path
    records: int = 0  # every record written, this node's own and any received ones
    received: int = 0  # records received from partners written (only with include_received)
    received_left_out: int = 0  # records received from partners not written


def export_bundle(
    store: Store,
    *,
    path: Path,
    kind: str | None = None,
    include_received: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Use case: write the newest version of every record this node owns (optionally of one
    kind) as a STIX bundle.

    Records received from partners stay out unless `include_received`: a bundle is a way out of
    the node that the release rule does not see, and a partner's record goes only where its
    owner sends it. Included, each carries `x_enlace_received_from` (the party it came from),
    so whoever reads the bundle sees it is not this node's to pass on.

    The bundle also carries the definitions its objects refer to (Enlace's extension
    definitions and their author, the TLP 2.0 marking definitions), so that any STIX 2.1
    consumer can read it on its own. This node's records are written as stored, byte for byte.
    """
    report = ExportReport(path=path)
    tmp = path.with_name(path.name + ".partial")
    with tmp.open("wb") as out:
        out.write(
            b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":['
        )
        out.write(orjson.dumps(ext.enlace_identity()))
        for definition in ext.ALL:
            out.write(b",\n" + orjson.dumps(definition.to_stix()))
        for tlp in Tlp:
            out.write(b",\n" + orjson.dumps(tlp_marking_definition(tlp)))
        with store.unit_of_work() as uow:
            for row in uow.records.iter_latest(kind=kind):
                if row.received_from is None:
                    out.write(b",\n" + row.stix.encode())
                elif include_received:
                    marked = {**orjson.loads(row.stix), RECEIVED_FROM: row.received_from}
                    out.write(b",\n" + orjson.dumps(marked))
                    report.received += 1
                else:
                    report.received_left_out += 1
                    continue
                report.records += 1
                if on_progress is not None and report.records % 1000 == 0:
                    on_progress(1000)
        out.write(b"\n]}\n")
    tmp.replace(path)  # a reader never sees half a bundle
    return report

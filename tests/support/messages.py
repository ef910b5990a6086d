"""Every message the web pages show, found in their templates and message tables."""

from __future__ import annotations

import re
from pathlib import Path

from enlace.exchange import witness_status
from enlace.web import codes, errors, fields, i18n, markings, navigation
from enlace.web.pages import (
    audit,
    common,
    deconfliction,
    exchange,
    link_graph,
    matching,
    records,
    traces,
    tracking,
)

WEB = Path(i18n.__file__).parent
# t("...") or t('...') in templates and Python, up to the first unescaped quote.
_CALL = re.compile(
    r"""\b(?:t|self|UploadRefused|refusal_page)\(\s*(?:request,\s*user,\s*)?(?:\d+,\s*)?(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
)


def used_messages() -> set[str]:
    """The msgids of every t("...") call and of the tables the pages translate from."""
    found: set[str] = set()
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            found.add(text.replace("\\'", "'").replace('\\"', '"'))
    for table in (
        markings.TLP_MEANING,
        markings.HANDLING_MEANING,
        markings.SOURCE_MEANING,
        markings.ACCURACY_MEANING,
        i18n.IDENTIFIER_KINDS,
        fields.FIELD_LABELS,
        exchange.REFUSAL_NAMES,
        exchange.REFUSAL_REASONS,
        records.REVOCATION_REASONS,
        matching.DISCLOSURE_STATUS,
        matching.RUN_STATUS,
        matching.RUN_MODES,
        errors._TITLES,
        witness_status.ALERT_KINDS,
        tracking.REVIEW_LABELS,
        audit.ACTION_NAMES,
        link_graph.PARTNER_EDGES,
        traces.STATE_TEXTS,
        traces.STEP_TEXTS,
        traces.OUTCOME_TEXTS,
        traces.DONE_TEXTS,
        deconfliction.IN_COMMON,
    ):
        found.update(table.values())
    for vocabulary in codes.CODE_VOCABULARIES.values():
        found.update(vocabulary.values())
    found.update(item.label for item in navigation.NAV_ITEMS)
    found.update(navigation.ROLE_NAMES.values())
    found.update(common.REFUSAL_TITLES.values())
    found.add(link_graph.PARTNER_RECORD)
    for header in (
        matching.EXPORT_HEADER,
        audit.EXPORT_HEADER,
        records.EXPORT_HEADER,
        exchange.MOVEMENT_HEADER,
        exchange.REFUSAL_HEADER,
    ):
        found.update(header)
    return found

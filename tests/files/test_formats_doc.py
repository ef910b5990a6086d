"""docs/import-formats.md is generated from the model; it must match the code."""

from __future__ import annotations

from pathlib import Path

from enlace.files.formats import render
from enlace.model.records import RECORD_CLASSES, domain_fields

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-formats.md"


def test_import_formats_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/import-formats.md is stale: run 'python -m enlace.files.formats'"
    )


def test_every_column_of_every_kind_is_documented() -> None:
    text = render()
    for cls in RECORD_CLASSES:
        assert f"## `{cls.KIND}`" in text
        for bound in domain_fields(cls):
            assert f"| `{bound.name}` |" in text

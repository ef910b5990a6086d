"""Deterministic synthetic records for a party, with ground truth for matching.

`generate(SynthConfig(...))` gives each party's records and the truth links between them;
`iter_party_records` streams one party's records in flat memory (benchmarks);
`row_of` writes a record in the importer's CSV format; `write_truth` writes the truth.
See docs/synthetic-data.md.
"""

from enlace.synth.config import SUPPORTED_PARTIES, SynthConfig
from enlace.synth.generator import SynthDataset, generate, iter_party_records, truth_links
from enlace.synth.rows import CSV_COLUMNS, ENVELOPE_COLUMNS, row_of
from enlace.synth.truth import TRUTH_COLUMNS, TruthLink, truth_rows, write_truth

__all__ = [
    "CSV_COLUMNS",
    "ENVELOPE_COLUMNS",
    "SUPPORTED_PARTIES",
    "TRUTH_COLUMNS",
    "SynthConfig",
    "SynthDataset",
    "TruthLink",
    "generate",
    "iter_party_records",
    "row_of",
    "truth_links",
    "truth_rows",
    "write_truth",
]

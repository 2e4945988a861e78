"""Convert artifacts end to end: discover -> read -> classify -> plan -> steps -> validate -> publish.

The stages live in their own modules; this one names the flow and gathers its entry points:

- `tree.convert_path`: discovery and reading exactly as `audit` does them (isolated reader pool),
  then one `Outcome` per artifact in a `ConvertReport`;
- `classify.classify`: an audited artifact's conversion kinds, or why it is refused;
- `converter.Converter`: plan, run each step in a worker, validate, publish into OUT;
- `validation_runs`: how the source and the output are run for validation.
"""

from __future__ import annotations

from migrator.convert.classify import classify, find_architecture
from migrator.convert.converter import Converter, Outcome, model_dir
from migrator.convert.tree import ConvertReport, convert_path, read_artifacts
from migrator.convert.validation_runs import output_run, source_runs

__all__ = [
    "ConvertReport",
    "Converter",
    "Outcome",
    "classify",
    "convert_path",
    "find_architecture",
    "model_dir",
    "output_run",
    "read_artifacts",
    "source_runs",
]

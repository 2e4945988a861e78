"""The JSON report (schema_version 1): the stable contract other tools build on.

Two ways to the same bytes: `render(report)` for a `Report` held in memory, and `write_stream`
for an audit as it runs (`audit_stream`), which writes each artifact as soon as it is judged and
keeps only the summary counters, so writing the report of a hundred thousand artifacts takes
no more memory than writing one of ten. A test checks the two agree byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from migrator import __version__
from migrator.model import SCHEMA_VERSION, Artifact, Report, SourceFile, Summary
from migrator.report import register
from migrator.report.common import safe_text

_INDENT = "    "  # an artifact sits two levels deep: {"artifacts": [ {...} ]}


@register("json")
def render(report: Report) -> str:
    """Lone surrogates (a `\\ud800` escape in an artifact, a file name that is not UTF-8) come
    out as the JSON escapes they were read from, so the text is always valid UTF-8."""
    text = json.dumps(report.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    return safe_text(text)


def write_stream(
    write: Callable[[str], object],
    *,
    root: str,
    artifacts: Iterable[Artifact],
    errors: tuple[str, ...],
    sources: Sequence[SourceFile],
    skipped: Sequence[str],
    seen: Callable[[Artifact], None] | None = None,
) -> Summary:
    """Write the JSON report of `artifacts` (already in path order) through `write`, one
    artifact at a time, and return the summary it counted.

    The text is what `render` gives for the same report: `json.dumps(..., indent=2)` indents by
    nesting depth only and escapes every newline inside strings, so an artifact dumped on its own
    and shifted by two levels is the same text as inside the whole document. `seen` is called
    with each artifact once it is written (the command line keeps its exit code and error lines).
    `sources` and `skipped` are read after the last artifact: an audit's lists grow while its
    artifacts are judged (archives add the code files and left-out entries inside them).
    """
    summary = Summary()
    head = _dumps({"schema_version": SCHEMA_VERSION, "root": root})
    write(safe_text(head[: -len("\n}")] + ',\n  "artifacts": ['))
    first = True
    for artifact in artifacts:
        text = _dumps(artifact.to_json()).replace("\n", "\n" + _INDENT)
        write(safe_text(("\n" if first else ",\n") + _INDENT + text))
        first = False
        summary.add_artifact(artifact)
        if seen is not None:
            seen(artifact)
    write("]" if first else "\n  ]")
    tail: dict[str, Any] = {"errors": list(errors)}
    if sources:
        tail["sources"] = [s.to_json() for s in sorted(sources, key=lambda s: s.path)]
    if skipped:
        tail["skipped"] = list(skipped)
    for source in sources:
        summary.add_source(source)
    summary.add_errors(len(errors))
    tail["summary"] = summary.to_json()
    tail["version"] = __version__
    write(safe_text(",\n" + _dumps(tail)[len("{\n") :] + "\n"))
    return summary


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)

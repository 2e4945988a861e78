"""The JSON report (schema_version 1): the stable contract other tools build on."""

from __future__ import annotations

import json

from migrator.model import Report
from migrator.report import register
from migrator.report.common import safe_text


@register("json")
def render(report: Report) -> str:
    """Lone surrogates (a `\\ud800` escape in an artifact, a file name that is not UTF-8) come
    out as the JSON escapes they were read from, so the text is always valid UTF-8."""
    text = json.dumps(report.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    return safe_text(text)

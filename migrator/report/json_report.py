"""The JSON report (schema_version 1): the stable contract other tools build on."""

from __future__ import annotations

import json

from migrator.model import Report
from migrator.report import register


@register("json")
def render(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"

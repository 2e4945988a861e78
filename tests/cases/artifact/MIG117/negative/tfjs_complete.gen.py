"""MIG117 (missing-variables) negative case: the rule must stay silent here.

Close to, but not: Variables, weight shards or data files missing.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tfjs_layers


def build(folder: Path) -> Path:
    target = folder / "tfjs_complete"
    return tfjs_layers(target)

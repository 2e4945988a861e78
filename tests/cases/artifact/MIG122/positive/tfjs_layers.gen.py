"""MIG122 (deployment-format) positive case: the rule must fire here.

An artifact with the pattern: Deployment format (TFLite, TF.js): not a source model.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tfjs_layers


def build(folder: Path) -> Path:
    target = folder / "tfjs_layers"
    return tfjs_layers(target)

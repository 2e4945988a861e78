"""MIG117 (missing-variables) positive case: the rule must fire here.

An artifact with the pattern: Variables, weight shards or data files missing.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tfjs_layers


def build(folder: Path) -> Path:
    target = folder / "tfjs_missing_shard"
    return tfjs_layers(target, missing_shard=True)

"""MIG124 (keras2-architecture-file) positive case: the rule must fire here.

An artifact with the pattern: Keras 1/2 architecture file (`to_json`/`to_yaml`).
"""

from __future__ import annotations

from pathlib import Path


def build(folder: Path) -> Path:
    target = folder / "keras2_model.yaml"
    target.write_text(
        "backend: tensorflow\nclass_name: Sequential\nconfig:\n  layers:\n"
        "  - class_name: Dense\n    config: {name: dense_1, units: 2}\n  name: sequential\n"
        "keras_version: 2.1.5\n",
        encoding="utf-8",
    )
    return target

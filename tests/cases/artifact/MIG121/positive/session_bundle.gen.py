"""MIG121 (session-bundle) positive case: the rule must fire here.

An artifact with the pattern: SessionBundle export (pre-SavedModel).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import DT_FLOAT
from tests.test_checkpoint import meta_graph_bytes, write_v1


def session_bundle(folder: Path) -> Path:
    """A TF 0.11 SessionBundle export: a V1 checkpoint `export` beside `export.meta`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_v1(folder / "export", {"w": (DT_FLOAT, (1,))})
    (folder / "export.meta").write_bytes(meta_graph_bytes("0.11.0"))
    return folder


def build(folder: Path) -> Path:
    target = folder / "session_bundle"
    return session_bundle(target)

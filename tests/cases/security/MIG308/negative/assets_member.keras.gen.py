"""MIG308 (zip-path-escape) negative case: the rule must stay silent here.

Close to, but not: Zip member that escapes the archive (absolute path, `..`, symlink).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "assets_member.keras"
    return keras_zip(target, KERAS3_SEQ, extra={"assets/vocab.txt": b"a\nb\n"})

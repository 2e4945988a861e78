"""MIG308 (zip-path-escape) positive case: the rule must fire here.

An artifact with the pattern: Zip member that escapes the archive (absolute path, `..`,
symlink).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "absolute_member.keras"
    return keras_zip(target, KERAS3_SEQ, extra={"/etc/cron.d/inert": b"# inert\n"})

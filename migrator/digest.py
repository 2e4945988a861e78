"""Content hashes: one definition of a file's sha256 and of a folder's, wherever they are read.

A folder has no bytes of its own, so its hash is defined over its files: the sha256 of the lines
`relpath\\0sha256\\n`, one per file, relative to the folder and ordered by path component (the
order `pathlib` sorts paths in). `migrator convert` records it as the source's `sha256` in
`metadata.json` (and finds published versions by it), and the CycloneDX report gives it to a
folder artifact, on disk or inside an archive, so the same SavedModel has the same hash in both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(files: Iterable[tuple[str, str]]) -> str:
    """The folder hash of (POSIX path relative to the folder, sha256 of the file) pairs."""
    digest = hashlib.sha256()
    for rel, sha in sorted(files, key=lambda pair: pair[0].split("/")):
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()


def sha256_tree(path: Path) -> str:
    """A file's sha256, or for a folder the `tree_sha256` of every file under it."""
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    files = (p for p in path.rglob("*") if p.is_file())
    return tree_sha256((f.relative_to(path).as_posix(), sha256_file(f)) for f in files)

"""Archives that hold models (format id ``archive``): ``.tar``, ``.tar.gz``/``.tgz``,
``.tar.bz2``, ``.tar.xz`` and plain ``.zip`` files, audited entry by entry, never extracted.

This is how platforms ship models: SageMaker's TensorFlow Serving container wants a
``model.tar.gz`` holding numbered version folders (``1/saved_model.pb``, ``1/variables/...``,
optionally ``code/inference.py`` and ``code/requirements.txt``), batch pipelines pack an ``.h5``
or a SavedModel in a tarball, and zips carry the same. An archive is reported as its own row
(format ``archive``: the container, its entries, what is unsafe in it) followed by one artifact
per model inside, named ``model.tar.gz!/1`` (a SavedModel folder), ``model.tar.gz!/model.h5``,
``model.tar.gz!/`` (a SavedModel at the archive's root).

How it is read (see the modules): `members` walks the container once (tar streams have no
index), refusing bombs from the declared sizes before inflating anything; `stage` lays the safe
entries, with content only for what readers read, in a private memory-backed folder; `expand`
runs the usual discovery, readers and judges on that folder and names the results. The audit
calls `expand` (a reader with ``expand`` yields several artifacts for one file); `read` gives the
archive's own row alone, for ``inspect`` and the conversion planner.

Claimed: any file named like an archive (so a truncated ``model.tar.gz`` or an HTML error page
saved under that name gets a one-line error), and files whose bytes are a tar (``ustar`` at byte
257, or a gzip/bzip2/xz stream whose first block is one). Zips only by the ``.zip`` name: ``.npz``,
``.keras`` and wheels are zips too, and other readers own the first two.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

from migrator.formats import register
from migrator.formats.archive.expand import FORMAT, SEPARATOR, expand, inner_rel
from migrator.formats.archive.limits import USTAR_OFFSET, container_by_name
from migrator.model import Artifact, Candidate, Reading

register(__name__, formats=(FORMAT,), order=90)

__all__ = ["FORMAT", "SEPARATOR", "claim_file", "expand", "inner_rel", "read", "read_all"]

_OPENERS = {b"\x1f\x8b": gzip.open, b"BZh": bz2.open, b"\xfd7zXZ\x00": lzma.open}


def claim_file(path: Path, head: bytes) -> bool:
    """Named like an archive, or a tar by its bytes (compressed or not)."""
    if container_by_name(path.name) is not None:
        return True
    for magic, opener in _OPENERS.items():
        if head.startswith(magic):
            return _first_block_is_tar(path, opener)
    if head.startswith(b"PK"):
        return False
    try:
        with path.open("rb") as fh:  # Path.open: a store path answers it too (migrator.storage)
            block = fh.read(512)
    except OSError:
        return False
    return block[USTAR_OFFSET : USTAR_OFFSET + 5] == b"ustar"


def _first_block_is_tar(path: Path, opener: object) -> bool:
    try:
        with path.open("rb") as raw, opener(raw, "rb") as fh:  # type: ignore[operator]
            block = fh.read(512)
    except Exception:  # a damaged stream not named as an archive: not ours
        return False
    return bool(block[USTAR_OFFSET : USTAR_OFFSET + 5] == b"ustar")


def read(candidate: Candidate) -> Reading:
    """The archive's own row: container, entries, unsafe names, the artifacts inside."""
    rows = expand(candidate, lambda c, r: Artifact(c.rel, c.location, r, c.files))
    return rows[0].reading


def read_all(candidate: Candidate) -> list[Artifact]:
    """The archive's row and every artifact inside it, read but not judged."""
    return expand(candidate, lambda c, r: Artifact(c.rel, c.location, r, c.files))

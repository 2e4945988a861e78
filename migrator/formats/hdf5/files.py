"""Opening HDF5 files safely, and the errors every layout reports the same way.

The HDF5 format allows a user block before the superblock, which then starts at byte 512, 1024,
2048, ... (a power of two); those offsets are probed only for names ending in .h5, .hdf5, .hdf,
.he5 or .keras, so discovery does not seek through every file of a big tree. Files are opened
read-only and, where the HDF5 build allows it, without file locking (read-only mounts).
"""

from __future__ import annotations

import weakref
from pathlib import Path

from migrator.errors import ArtifactError
from migrator.formats import LazyModule
from migrator.storage import is_remote

h5py = LazyModule("h5py")

SIGNATURE = b"\x89HDF\r\n\x1a\n"
# Names for which a user block (superblock at 512, 1024, 2048, ...) is worth probing.
USERBLOCK_SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5", ".keras")
V3_WEIGHTS_SUFFIX = ".weights.h5"
RECOPY = "copy the file again from its source or re-export the model"


def signature_offset(path: Path, head: bytes) -> int | None:
    """Where the HDF5 superblock signature is (0, or a user-block size), or None if nowhere."""
    if head.startswith(SIGNATURE):
        return 0
    if not path.name.lower().endswith(USERBLOCK_SUFFIXES):
        return None
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            offset = 512
            while offset + len(SIGNATURE) <= size:
                fh.seek(offset)
                if fh.read(len(SIGNATURE)) == SIGNATURE:
                    return offset
                offset *= 2
    except OSError:
        return None
    return None


def open_file(path: Path) -> h5py.File:
    """Open read-only, without file locking (read-only mounts) where the HDF5 build allows it.

    A store object is opened through a file object with bounded ranged reads (h5py's
    file-object driver): HDF5 then fetches the metadata it walks, never the weight data.
    """
    if is_remote(path):
        return _open_remote(path)
    try:
        try:
            return h5py.File(path, "r", locking=False)
        except (TypeError, ValueError):  # h5py < 3.5 or an HDF5 without locking control
            return h5py.File(path, "r")
    except OSError as exc:
        raise corrupt(path, exc) from None


def _open_remote(path: Path) -> h5py.File:
    fh = path.open("rb")
    try:
        h5 = h5py.File(fh, "r")
    except OSError as exc:
        fh.close()
        raise corrupt(path, exc) from None
    except BaseException:
        fh.close()
        raise
    weakref.finalize(h5, fh.close)  # h5py leaves a file object it was given open
    return h5


def corrupt(path: Path, exc: BaseException) -> ArtifactError:
    """Damaged metadata as one error line (h5py's message, on one line, cut at 200 chars)."""
    reason = " ".join(str(exc).split())
    if len(reason) > 200:
        reason = reason[:197] + "..."
    return ArtifactError(path, f"HDF5 file is truncated or corrupt ({reason})", RECOPY)


def error(path: Path, fmt: str, problem: str, remedy: str) -> ArtifactError:
    """An HDF5 file recognised as layout `fmt` that cannot be read as one."""
    return ArtifactError(path, problem, remedy, format=fmt)


def extension_of(name: str) -> str:
    """The lower-cased suffix, with ``.weights.h5`` kept whole (Keras 3 keys on it)."""
    lower = name.lower()
    if lower.endswith(V3_WEIGHTS_SUFFIX):
        return V3_WEIGHTS_SUFFIX
    return Path(lower).suffix

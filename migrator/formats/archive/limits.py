"""The caps that bound what reading an archive may cost, and the names that mark one.

An archive is hostile input until proven otherwise: a few kilobytes of gzip can declare
terabytes (a bomb), a member can be named to land outside any folder it is extracted into, and an
archive can hold archives. Every cap here turns such a file into one error line instead of a
worker that fills memory or runs until its deadline. The numbers are generous for real models:
a SageMaker `model.tar.gz` of a SavedModel is a few files plus weight shards that compress
barely at all (float weights: ratio ~1.1), while zeros compress ~1000:1 under gzip.
"""

from __future__ import annotations

# Tar streams and zips whose names promise an archive: a file named so is ours even when its
# bytes are something else, so the user gets "not a gzip-compressed tar" instead of silence.
TAR_SUFFIXES: dict[str, str] = {
    ".tar": "tar",
    ".tar.gz": "tar+gzip",
    ".tgz": "tar+gzip",
    ".tar.bz2": "tar+bzip2",
    ".tbz2": "tar+bzip2",
    ".tar.xz": "tar+xz",
    ".txz": "tar+xz",
}
ZIP_SUFFIXES: dict[str, str] = {".zip": "zip"}

# Magic numbers of the compressed streams tarfile reads (RFC 1952, bzip2, xz file format).
GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
USTAR_OFFSET = 257  # POSIX.1-1988 "ustar\x0000" and GNU "ustar  \x00" both start here

MAX_MEMBERS = 50_000  # entries in one archive (a SavedModel is a handful; a shard set hundreds)
MAX_EXPANDED_BYTES = 64 * 2**30  # bytes the whole archive may expand to
MAX_RATIO = 200  # expanded / compressed; float weights compress ~1.1:1, zeros ~1000:1
RATIO_FLOOR = 64 * 2**20  # below this many expanded bytes the ratio is not judged
MAX_MEMBER_BYTES = 512 * 2**20  # one member a reader needs whole (an .h5, a saved_model.pb)
MAX_KEPT_BYTES = 2 * 2**30  # bytes kept from one archive for the readers, all members together
# A code file the code rules parse (`.py`, notebooks): parsing builds an AST many times the
# text's size, so a member past these is one line instead of a worker out of memory. Hand-written
# modules are kilobytes (the largest generated ones TensorFlow ships, `gen_*_ops.py`, about 1 MB);
# notebooks carry their outputs (plots as base64) and get more room.
MAX_CODE_BYTES: dict[str, int] = {".py": 8 * 2**20, ".ipynb": 64 * 2**20}
# Code judged per archive, all files together: the code rules run inside the worker reading the
# archive, under its deadline, at ~0.3-1 MiB of Python a second (a busy 2-core machine), so a
# source tarball that vendors its dependencies must not cost the whole archive its row.
MAX_CODE_TOTAL_BYTES = 16 * 2**20
# Bytes of weight data hashed for the CycloneDX report beyond what readers keep, per archive:
# the tails of a tar's weight shards (which stream past anyway, but hashing them costs CPU:
# 300-850 MiB/s on a busy 2-core machine, benchmarks/archive_hash_bench.py) and a zip's shards
# (a second read). Past it, a member has no hash and the report says why.
MAX_HASHED_BYTES = 4 * 2**30
HEAD_BYTES = 4096  # kept of a member whose content readers never read (weight data shards)
MAX_DEPTH = 2  # archives inside archives: model.tar.gz!/inner.tar!/... but no deeper


def container_by_name(name: str) -> str | None:
    """The container a file name promises ("tar+gzip" for `model.tar.gz`), or None."""
    lower = name.lower()
    for suffix, kind in (*TAR_SUFFIXES.items(), *ZIP_SUFFIXES.items()):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return kind
    return None


def human(size: int) -> str:
    """`512 MiB`, `3.1 GiB`: sizes in error lines a user reads."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return (
                f"{int(value)} {unit}"
                if unit == "bytes" or value.is_integer()
                else (f"{value:.1f} {unit}")
            )
        value /= 1024
    return f"{size} bytes"


def member_cap(name: str) -> int:
    """The most of this member laid with its content: a code file's cap, else `MAX_MEMBER_BYTES`."""
    for suffix, cap in MAX_CODE_BYTES.items():
        if name.endswith(suffix):
            return cap
    return MAX_MEMBER_BYTES

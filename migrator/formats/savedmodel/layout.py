"""Which folders are SavedModels, which of their entries belong to them, and listing them.

A folder is claimed by its `saved_model.pb`/`.pbtxt`/`.cpb`, or, when that name is missing, by a
`*.pb` holding a SavedModel beside `keras_metadata.pb`, `fingerprint.pb` or `variables/` (a
mangled export). Entries beside the layout (a `model.h5` saved next to the export, another
SavedModel in a subfolder) are not part of it and can be read on their own.
"""

from __future__ import annotations

from pathlib import Path

from migrator.formats import graphdef
from migrator.formats.savedmodel.names import (
    CPB,
    FINGERPRINT,
    KERAS_METADATA,
    LAYOUT_NAMES,
    MAX_LISTED_FILES,
    PB,
    PBTXT,
)
from migrator.storage import entries, is_remote, relative_posix, walk


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """A folder with saved_model.pb/.pbtxt (or a mangled SavedModel: see `renamed_proto`)."""
    if PB in names or PBTXT in names or CPB in names:
        return True
    return renamed_proto(path, names) is not None


def members(path: Path, names: frozenset[str]) -> frozenset[str]:
    """The entries of a claimed folder that belong to its SavedModel (names as `claim_dir` gets
    them, folders with a trailing "/"). Anything else beside them (a `model.h5` saved next to
    the export, another SavedModel in a subfolder) is not part of it and can be read on its own.
    """
    owned = names & LAYOUT_NAMES
    renamed = None if {PB, PBTXT, CPB} & names else renamed_proto(path, names)
    return owned | {renamed} if renamed else owned


def claim_file(path: Path, head: bytes) -> bool:
    """A saved_model.pb given directly (its folder is read), or a loose SavedModel proto."""
    if path.name in (PB, PBTXT):
        return True
    kind = graphdef.sniff(head)
    return kind is not None and kind[0] == "SavedModel"


def renamed_proto(path: Path, names: frozenset[str]) -> str | None:
    """The `*.pb` holding a SavedModel in a folder that looks like a SavedModel missing its name.

    Only folders with `keras_metadata.pb`, `fingerprint.pb` or `variables/` qualify, and only the
    first 64 bytes of each candidate file are read.
    """
    if not ({KERAS_METADATA, FINGERPRINT, "variables/"} & names):
        return None
    for name in sorted(names):
        if not name.endswith((".pb", ".pbtxt")) or name in (KERAS_METADATA, FINGERPRINT):
            continue
        try:
            with (path / name).open("rb") as fh:
                head = fh.read(64)
        except OSError:
            continue
        kind = graphdef.sniff(head)
        if kind is not None and kind[0] == "SavedModel":
            return name
    return None


def top_level_names(folder: Path) -> frozenset[str]:
    """The names in `folder`, folders with a trailing "/" (empty when it cannot be listed)."""
    names = set()
    try:
        for entry in entries(folder):
            try:
                linked = not is_remote(folder) and entry.is_symlink()
                names.add(entry.name + "/" if entry.is_dir() and not linked else entry.name)
            except OSError:
                names.add(entry.name)
    except OSError:
        return frozenset()
    return frozenset(names)


def list_files(root: Path) -> list[str]:
    """Files under `root` as sorted POSIX paths, at most MAX_LISTED_FILES."""
    if not root.is_dir():
        return []
    out: list[str] = []
    for dirpath, dirnames, filenames in walk(root):
        dirnames.sort()
        rel = relative_posix(dirpath, root)
        for name in sorted(filenames):
            out.append(name if rel == "." else f"{rel}/{name}")
            if len(out) >= MAX_LISTED_FILES:
                return out
    return out

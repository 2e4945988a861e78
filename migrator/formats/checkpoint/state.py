"""The `checkpoint` state file: a text CheckpointState naming the latest checkpoint prefixes.

It belongs to every checkpoint in its folder; alone, it is an artifact with an error. Absolute
entries are resolved only inside the folder: a path from another machine counts as dangling
even if it happens to exist here.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import protos
from migrator.formats.checkpoint.details import CheckpointDetails
from migrator.formats.checkpoint.names import FORMAT, STATE_FILE, V1_SHARD
from migrator.model import Reading
from migrator.storage import entries

MAX_STATE_BYTES = 1024 * 1024


def parse_state(path: Path) -> Any:
    """The CheckpointState message of a `checkpoint` file; ArtifactError when it is not one."""
    from google.protobuf import text_format

    try:
        if path.stat().st_size > MAX_STATE_BYTES:
            raise ArtifactError(path, "too large for a checkpoint state file", format=FORMAT)
        text = path.read_text(encoding="utf-8")
        state = protos.parse_text("CheckpointState", text)
    except (OSError, UnicodeDecodeError, text_format.ParseError) as exc:
        raise ArtifactError(
            path,
            f"not a readable CheckpointState text proto ({type(exc).__name__})",
            format=FORMAT,
        ) from None
    if not state.model_checkpoint_path and not state.all_model_checkpoint_paths:
        raise ArtifactError(path, "CheckpointState names no checkpoint", format=FORMAT)
    return state


def _is_absolute(entry: str) -> bool:
    return PurePosixPath(entry).is_absolute() or PureWindowsPath(entry).is_absolute()


def basename(entry: str) -> str:
    """The last component of a state entry, whether it was written on POSIX or Windows."""
    return PureWindowsPath(entry).name if "\\" in entry else PurePosixPath(entry).name


def _resolve_here(folder: Path, entry: str) -> str | None:
    """The prefix name in `folder` an entry refers to, or None when it points elsewhere."""
    if _is_absolute(entry):
        if not PurePosixPath(entry).is_absolute():
            return None  # a Windows path: never inside this folder on this machine
        try:
            inside = Path(entry).parent.resolve() == folder.resolve()
        except (OSError, ValueError):
            inside = False
        return basename(entry) if inside else None
    parts = PurePosixPath(entry.replace("\\", "/"))
    return parts.name if str(parts.parent) in ("", ".") else None


def _prefix_exists(folder: Path, prefix: str) -> bool:
    if (folder / (prefix + ".index")).is_file() or (folder / prefix).is_file():
        return True
    try:
        names = (e.name for e in entries(folder))
        return any((m := V1_SHARD.match(n)) and m["prefix"] == prefix for n in names)
    except OSError:
        return False


def state_details(folder: Path, prefix: str) -> dict[str, Any]:
    """The `state` detail of checkpoint `prefix`: what the folder's state file says of it."""
    try:
        state = parse_state(folder / STATE_FILE)
    except ArtifactError as exc:
        return {"error": exc.short}
    entries = [state.model_checkpoint_path, *state.all_model_checkpoint_paths]
    dangling = []
    for entry in dict.fromkeys(e for e in entries if e):
        here = _resolve_here(folder, entry)
        if here is None or not _prefix_exists(folder, here):
            dangling.append(entry)
    latest = state.model_checkpoint_path
    return {
        "model_checkpoint_path": latest,
        "all_model_checkpoint_paths": list(state.all_model_checkpoint_paths),
        "absolute_paths": any(_is_absolute(e) for e in entries if e),
        "dangling": dangling,
        "points_here": _resolve_here(folder, latest) == prefix if latest else False,
        "points_here_by_name": basename(latest) == prefix if latest else False,
    }


def read_lone_state(folder: Path) -> Reading:
    """A `checkpoint` state file with no checkpoint beside it: an artifact with an error."""
    state = parse_state(folder / STATE_FILE)
    details = CheckpointDetails(
        checkpoint_format=None, prefix=None, state=state_details(folder, "")
    )
    named = state.model_checkpoint_path or state.all_model_checkpoint_paths[-1]
    return Reading(
        FORMAT,
        details=details,
        evidence=(f"CheckpointState text in '{STATE_FILE}'",),
        errors=(
            f"checkpoint state file with no checkpoint beside it: it names {named!r} but no "
            f"{basename(named)}.index / .data-* / V1 file is in this folder; copy the "
            "checkpoint files here or delete the stale state file",
        ),
    )

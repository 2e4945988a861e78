"""Versioned output layout: `OUT/<model_name>/<format>/v<N>/` plus `metadata.json`.

The layout of the user's background reading (a folder per model, per format, per version, with a
JSON metadata file beside the artifact). A version is never overwritten and never seen half
made: the content and `metadata.json` are assembled in a staging folder inside OUT (same
filesystem), then `os.rename` moves it to `v<N>` in one atomic step. The rename itself claims
the number: it fails when `v<N>` exists with content (another conversion got there first: try
N+1), and there is no separate "claim" step, so a process killed at any moment leaves no empty
`v<N>` behind. An empty `v<N>` (left by migrator releases that claimed numbers with `mkdir`) is
not a version: the rename replaces it. Staging folders carry their process id; a later run
removes those whose process is gone. Sources are only ever read.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# one definition of a file's and a folder's hash (migrator.digest), used here by that name
from migrator.digest import sha256_file as sha256_file
from migrator.digest import sha256_tree as sha256_tree

STAGING = ".migrator-staging"
_VERSION = re.compile(r"^v(\d+)$")
_STAGING_PID = re.compile(r"^(?:work|publish)-(\d+)-")


def _files(path: Path) -> tuple[Path, list[Path]]:
    """(the folder names are relative to, the files): `path` itself, or a folder's files."""
    if path.is_file():
        return path.parent, [path]
    return path, sorted(p for p in path.rglob("*") if p.is_file())


def file_list(path: Path) -> list[dict[str, Any]]:
    base, files = _files(Path(path))
    return [
        {
            "path": f.relative_to(base).as_posix(),
            "bytes": f.stat().st_size,
            "sha256": sha256_file(f),
        }
        for f in files
    ]


def payload_files(payload: Path, payload_name: str | None = None) -> list[dict[str, Any]]:
    """The `file_list` of the version folder `publish` makes of `payload`, from the payload
    itself: a caller can hash a large model while it does other work and give `publish` this."""
    payload = Path(payload)
    if payload.is_dir():
        return file_list(payload)
    return [{**entry, "path": payload_name or payload.name} for entry in file_list(payload)]


def _sizes(folder: Path) -> list[tuple[str, int]]:
    base, files = _files(folder)
    return [(f.relative_to(base).as_posix(), f.stat().st_size) for f in files]


def safe_name(name: str) -> str:
    """A folder name from a model name: no separators, no leading dots, never empty."""
    cleaned = re.sub(r"[\\/\x00]+", "_", name).strip().lstrip(".")
    return cleaned or "model"


def versions(base: Path) -> list[int]:
    if not base.is_dir():
        return []
    return sorted(int(m.group(1)) for p in base.iterdir() if (m := _VERSION.match(p.name)))


def find_published(base: Path, source_sha256: str, source_path: str) -> Path | None:
    """An existing version converted from the same source bytes at the same path."""
    for number in reversed(versions(base)):
        meta = base / f"v{number}" / "metadata.json"
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        src = data.get("source") or {}
        if src.get("sha256") == source_sha256 and src.get("path") == source_path:
            return base / f"v{number}"
    return None


def _next_number(base: Path) -> int:
    """One past the highest version holding content (an empty `v<N>` is not a version)."""
    taken = [n for n in versions(base) if not (p := base / f"v{n}").is_dir() or any(p.iterdir())]
    return (taken or [0])[-1] + 1


def staging_dir(out_root: Path) -> Path:
    """A fresh folder inside OUT (same filesystem as the final place, so rename is atomic)."""
    root = Path(out_root) / STAGING
    for _ in range(100):
        try:
            root.mkdir(parents=True, exist_ok=True)
            return Path(tempfile.mkdtemp(prefix=f"work-{os.getpid()}-", dir=root))
        except (FileNotFoundError, FileExistsError):
            # Another thread's cleanup_staging removed the empty root: after it, mkdir or
            # mkdtemp finds no folder (or mkdir's exist_ok check finds it gone), so try again.
            continue
    raise OSError(f"cannot create a staging folder in {root}")


def remove_stale_staging(out_root: Path) -> list[Path]:
    """Remove staging folders of processes that no longer run (a killed batch); returns them."""
    root = Path(out_root) / STAGING
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        match = _STAGING_PID.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    cleanup_staging(out_root)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(
    out_root: Path,
    model_dir: str,
    folder: str,
    payload: Path,
    metadata: Mapping[str, Any],
    *,
    payload_name: str | None = None,
    files: Sequence[Mapping[str, Any]] | None = None,
) -> Path:
    """Place `payload` (a file, or a folder's contents) and metadata.json at the next version.

    `model_dir` is the model's folder under OUT (it may contain `/` for trees). Returns the
    version folder. `metadata` gets `version`, `created_at` and the payload's `files` added:
    `files` when given (`payload_files`, hashed earlier) and naming exactly the placed files
    with their sizes, else hashed here.
    """
    base = Path(out_root) / model_dir / folder
    base.mkdir(parents=True, exist_ok=True)
    stage = staging_dir(out_root)
    try:
        payload = Path(payload)
        # Linked, not moved: a later step of the same conversion may still read the payload, and
        # nothing writes to a file once a step made it. A hard link costs nothing where a copy of
        # a 200 MB model costs a second or more; across filesystems it falls back to a copy.
        if payload.is_dir():
            shutil.copytree(payload, stage, dirs_exist_ok=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(payload, stage / (payload_name or payload.name))
        placed = _sizes(stage)
        if files is None or [(f["path"], f["bytes"]) for f in files] != placed:
            files = file_list(stage)
        number = _next_number(base)
        for _ in range(1000):
            final = base / f"v{number}"
            meta = {
                **metadata,
                "version": f"v{number}",
                "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "files": list(files),
            }
            (stage / "metadata.json").write_text(
                json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
            )
            try:
                os.rename(stage, final)  # atomic; fails if v<N> exists with content
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                    raise
                number = max(number + 1, _next_number(base))
                continue
            return final
        raise OSError(f"could not claim a version folder under {base}")
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
        cleanup_staging(out_root)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def cleanup_staging(out_root: Path) -> None:
    root = Path(out_root) / STAGING
    try:
        root.rmdir()  # only when empty: another conversion may be staging right now
    except OSError:
        pass

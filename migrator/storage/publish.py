"""Publishing a converted version into a store, with the guarantees it has on disk.

On disk a version appears by one atomic rename. A store has no rename and no folders, so a
version is published in an order that leaves nothing partial to a reader that follows the rule
every migrator output follows: *a version exists when its `metadata.json` exists*.

1. The payload is uploaded under a temporary key, `OUT/.migrator-staging/<id>/...`, where the
   id names the writing process (start time, host id, pid).
2. The version number is claimed with a conditional write (`If-None-Match: *`, fsspec's
   `mode="create"`) of `OUT/<model>/<format>/v<N>/.migrator-claim`, whose body names the writer
   too: when another writer holds `v<N>` the write fails and `v<N+1>` is tried. Existing versions
   are never written to. The claimed version is recorded beside the upload (`.migrator-target`).
3. The payload is copied into `v<N>/` inside the store (server-side copy), then `metadata.json`
   is written last, conditionally, and the claim and the staging keys are deleted.

A process killed in between leaves an unfinished `v<N>/` and staging keys; the next publish into
the same OUT removes those of writers that are gone (`recovery.py`, which says how a dead
writer is told from a live one) before it claims a number, so the rerun's version takes the
number the killed one held.

A version already published from the same source bytes and path is found by its
`metadata.json` and not published twice, so a rerun after a crash between the local conversion
and the upload completes the upload and nothing else. Stores whose fsspec driver has no
conditional write fall back to checking before writing (a race between two writers that
claim the same number at the same instant is then possible; S3 and moto have the condition).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.storage import recovery
from migrator.storage.recovery import CLAIM, METADATA, STAGING, TARGET
from migrator.storage.store import StorePath, forget

_VERSION = re.compile(r"^v(\d+)$")


def _create(fs: Any, path: str, data: bytes) -> None:
    """Write `data` to `path` only if nothing is there; FileExistsError otherwise."""
    try:
        fs.pipe_file(path, data, mode="create")
        return
    except FileExistsError:
        raise
    except (TypeError, NotImplementedError, ValueError):
        pass  # a driver without conditional writes: check, then write
    if fs.exists(path):
        raise FileExistsError(path)
    fs.pipe_file(path, data)


def _versions(base: StorePath) -> list[int]:
    base.fs.invalidate_cache(base.path)  # the driver's own listing cache predates our writes
    try:
        names = [p.name for p in base.iterdir()]
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for n in names if (m := _VERSION.match(n)))


def _metadata_of(version: StorePath) -> Mapping[str, Any] | None:
    try:
        return json.loads(version.fs.cat_file((version / METADATA).path))
    except (FileNotFoundError, ValueError):
        return None


def find_published(base: StorePath, source: Mapping[str, Any]) -> StorePath | None:
    """The version under `base` published from the same source bytes and path, if any."""
    for number in reversed(_versions(base)):
        meta = _metadata_of(base / f"v{number}")
        src = (meta or {}).get("source") or {}
        if src.get("sha256") == source.get("sha256") and src.get("path") == source.get("path"):
            return base / f"v{number}"
    return None


def publish_version(
    local: Path, out: StorePath, model_dir: str, folder: str, source_url: str
) -> StorePath:
    """Publish the local version folder `local` as the next version of `out/model_dir/folder`.

    Its `metadata.json` is rewritten for the store: `version` is the number claimed there and
    `source.path` is `source_url` (where the source lives, never a local staging path).
    """
    fs = out.fs
    base = out / model_dir / folder
    meta = json.loads((local / METADATA).read_text(encoding="utf-8"))
    meta["source"] = {**(meta.get("source") or {}), "path": source_url}
    forget(out.protocol)  # listings cached before our own writes would be stale
    existing = find_published(base, meta["source"])
    if existing is not None:
        return existing
    files = sorted(p for p in local.rglob("*") if p.is_file() and p.name != METADATA)
    recovery.log(out, recovery.recover_out(out) + recovery.recover_base(base))
    staging = out / STAGING / recovery.staging_id()
    writer = {**recovery.owner(), "staging": staging.name}
    try:
        for file in files:
            fs.put_file(str(file), (staging / file.relative_to(local).as_posix()).path)
        number = (_versions(base) or [0])[-1] + 1
        for _ in range(1000):
            version = base / f"v{number}"
            try:
                _create(fs, (version / CLAIM).path, json.dumps(writer).encode("utf-8"))
                break
            except FileExistsError:
                number += 1
        else:
            raise OSError(f"could not claim a version under {base}")
        try:
            fs.pipe_file((staging / TARGET).path, version.relative_to(out).encode("utf-8"))
            for file in files:
                rel = file.relative_to(local).as_posix()
                fs.copy((staging / rel).path, (version / rel).path)
            meta["version"] = version.name
            text = json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n"
            _create(fs, (version / METADATA).path, text.encode("utf-8"))
        except BaseException:
            _remove(fs, [(version / p.relative_to(local).as_posix()).path for p in files])
            raise
        finally:
            _remove(fs, [(version / CLAIM).path])
        return version
    finally:
        staged = [(staging / p.relative_to(local).as_posix()).path for p in files]
        _remove(fs, [*staged, (staging / TARGET).path])
        forget(out.protocol)


def _remove(fs: Any, paths: list[str]) -> None:
    for path in paths:
        try:
            fs.rm_file(path)
        except (FileNotFoundError, OSError):
            pass

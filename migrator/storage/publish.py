"""Publishing a converted version into a store, with the guarantees it has on disk.

On disk a version appears by one atomic rename. A store has no rename and no folders, so a
version is published in an order that leaves nothing partial to a reader that follows the rule
every migrator output follows: *a version exists when its `metadata.json` exists*.

1. The payload is uploaded under a temporary key, `OUT/.migrator-staging/<start time>-<id>/...`
   (keys a killed upload left there are deleted by a publish a day later).
2. The version number is claimed with a conditional write (`If-None-Match: *`, fsspec's
   `mode="create"`) of `OUT/<model>/<format>/v<N>/.migrator-claim`: when another writer holds
   `v<N>` the write fails and `v<N+1>` is tried. Existing versions are never written to.
3. The payload is copied into `v<N>/` inside the store (server-side copy), then `metadata.json`
   is written last, conditionally, and the claim and the staging keys are deleted.

A version already published from the same source bytes and path is found by its
`metadata.json` and not published twice, so a rerun after a crash between the local conversion
and the upload completes the upload and nothing else. Stores whose fsspec driver has no
conditional write fall back to checking before writing (a race between two writers that
claim the same number at the same instant is then possible; S3 and moto have the condition).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.storage.store import StorePath, forget

CLAIM = ".migrator-claim"
METADATA = "metadata.json"
STAGING = ".migrator-staging"
STALE_STAGING = 24 * 3600  # seconds after which an upload's staging keys are a dead run's
_VERSION = re.compile(r"^v(\d+)$")
_STAGING_ID = re.compile(r"^(\d+)-[0-9a-f]{32}$")


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
    remove_stale_staging(out)
    staging = out / STAGING / f"{int(time.time())}-{uuid.uuid4().hex}"
    try:
        for file in files:
            fs.put_file(str(file), (staging / file.relative_to(local).as_posix()).path)
        number = (_versions(base) or [0])[-1] + 1
        for _ in range(1000):
            version = base / f"v{number}"
            try:
                _create(fs, (version / CLAIM).path, b"")
                break
            except FileExistsError:
                number += 1
        else:
            raise OSError(f"could not claim a version under {base}")
        try:
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
        _remove(fs, [(staging / p.relative_to(local).as_posix()).path for p in files])
        forget(out.protocol)


def remove_stale_staging(out: StorePath) -> list[str]:
    """Delete the staging keys of uploads started over `STALE_STAGING` seconds ago (a publish
    killed between upload and clean-up leaves them; each id starts with its start time)."""
    root = out / STAGING
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        match = _STAGING_ID.match(entry.name)
        if match and time.time() - int(match.group(1)) > STALE_STAGING:
            try:
                out.fs.rm(entry.path, recursive=True)
            except (FileNotFoundError, OSError):
                continue
            removed.append(entry.name)
    return removed


def _remove(fs: Any, paths: list[str]) -> None:
    for path in paths:
        try:
            fs.rm_file(path)
        except (FileNotFoundError, OSError):
            pass

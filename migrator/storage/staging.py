"""Local folders for conversions that touch a store: staged sources and the work folder of a
remote output (where its ledger lives).

A TensorFlow runtime loads a model from a local path, so a source in a store is copied to
local disk before conversion, but only the files of the artifacts discovery found (a
SavedModel's `saved_model.pb` and `variables/`, an `.h5`, ...), never the rest of the prefix.
The folders are per URL and stable across runs (`<cache>/stores/src/<hash>`), so a rerun of an
interrupted batch finds the same relative paths, the ledger recognises what it already did,
and objects already staged with the same size are not fetched again.

The cache is `MIGRATOR_STORE_CACHE`, else `$XDG_CACHE_HOME/migrator/stores`
(`~/.cache/migrator/stores`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from migrator.storage.location import reason
from migrator.storage.store import StorePath


def cache_root() -> Path:
    configured = os.environ.get("MIGRATOR_STORE_CACHE")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "migrator" / "stores"


def work_dir(kind: str, url: StorePath) -> Path:
    """The local folder that stands for `url` (`kind`: "src" staged sources, "out" outputs)."""
    digest = hashlib.sha256(str(url).encode("utf-8")).hexdigest()[:20]
    return cache_root() / kind / digest


def stage(root: StorePath, rels: Iterable[str], into: Path) -> list[str]:
    """Copy the objects `root/rel` for each rel to `into/rel`; returns one error line per failure.

    An object is fetched to a temporary name beside its place and renamed, so a killed copy is
    never taken for a staged file; one already there with the store's size is kept. Files in
    `into` that are not wanted any more (deleted from the store since, or that could not be
    copied this time) are removed, so a conversion never sees a source the store no longer
    holds, nor a stale copy of one it could not read.
    """
    into.mkdir(parents=True, exist_ok=True)
    wanted: set[Path] = set()
    errors: list[str] = []
    fs = root.fs
    for rel in rels:
        source = root if rel == "." else root / rel
        target = into / (source.name if rel == "." else rel)
        try:
            size = source.stat().st_size
            if target.is_file() and target.stat().st_size == size:
                wanted.add(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
            fs.get_file(source.path, str(partial))
            os.replace(partial, target)
            wanted.add(target)
        except Exception as exc:  # the store's client failed: one line, the batch goes on
            errors.append(
                f"{source}: cannot be copied from the store for conversion "
                f"({type(exc).__name__}: {reason(exc)}); check access to it and rerun"
            )
    _prune(into, wanted)
    return errors


def _prune(into: Path, wanted: set[Path]) -> None:
    for dirpath, _dirnames, filenames in os.walk(into, topdown=False):
        for name in filenames:
            path = Path(dirpath) / name
            if path not in wanted:
                path.unlink(missing_ok=True)
        if Path(dirpath) != into and not os.listdir(dirpath):
            os.rmdir(dirpath)

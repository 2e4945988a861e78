"""Local copies of store sources, made one artifact at a time, only when a runtime loads it.

A TensorFlow runtime loads a model from a local path, so a source in a store must be on local
disk while it is converted, and only then. Everything before that (discovery, reading,
classification, the ledger) works on the store itself, so an artifact that ends skipped (already
current, refused for its Lambda layers or custom classes, weights without an architecture, a
format nothing converts, unreadable, or done by an earlier run) is never downloaded: the audit's
ranged metadata reads are all it costs.

`Stager` gives each source to convert a local place in a folder of this run
(`<cache>/src/run-<pid>-<id>/...`, the source's relative path under it, so names and model
folders are what they would be on disk), downloads the artifact's files there right before its
conversion (`fetch`) and deletes them right after: local disk holds the artifacts being
converted at that moment (`--jobs` of them), not the store. Files two sources share (one
architecture file beside two weights files) are fetched once and deleted after the last user.
A run's folder is removed when it ends; folders of runs whose process is gone are removed by the
next run.

The ledger's key of a store source is the store's own record of its objects (ETag, or the
driver's checksum, plus size, per file; `key`), not a hash of the bytes: a hash would need the
bytes, and then "already done" would cost a download of every model on every rerun. An object
rewritten in the store gets a new ETag, so it is converted again, as a changed file is on disk.
`metadata.json` still records the sha256 of the bytes converted, computed from the downloaded
copy.

The cache is `MIGRATOR_STORE_CACHE`, else `$XDG_CACHE_HOME/migrator/stores`
(`~/.cache/migrator/stores`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from migrator.errors import StoreTransferFailed
from migrator.storage.location import is_remote, reason
from migrator.storage.store import StorePath

_RUN = re.compile(r"^run-(\d+)-[0-9a-f]{12}$")
# Where a driver's listing records the identity of an object's content, most specific first
# (s3fs: ETag; gcsfs: md5Hash/crc32c/etag; adlfs: etag, content_settings.content_md5).
_CONTENT_IDS = ("ETag", "etag", "md5Hash", "crc32c", "content_md5")


def cache_root() -> Path:
    configured = os.environ.get("MIGRATOR_STORE_CACHE")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "migrator" / "stores"


def work_dir(kind: str, url: StorePath) -> Path:
    """The local folder that stands for `url` (`kind` "out": an output's ledger and versions)."""
    digest = hashlib.sha256(str(url).encode("utf-8")).hexdigest()[:20]
    return cache_root() / kind / digest


def content_id(path: StorePath) -> str:
    """What the store says identifies the bytes of one object, from the listing that found it."""
    info = path.info()
    for name in _CONTENT_IDS:
        if info.get(name):
            return f"{name}={info[name]}"
    return f"ukey={path.fs.ukey(path.path)}"  # fsspec's fallback: a hash of the object's record


class Stager:
    """The sources of one conversion run whose root `root` is in a store (see the module)."""

    def __init__(self, root: StorePath, options: Any) -> None:
        self.root = root
        self.options = options
        self.base = root if root.is_dir() else root.parent  # what candidate files are under
        parent = cache_root() / "src"
        remove_dead_runs(parent)
        self.folder = parent / f"run-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.local_base = self.folder / root.name if root.is_dir() else self.folder
        self._files: dict[str, list[tuple[StorePath, Path]]] = {}  # rel -> (object, local)
        self._lock = threading.Lock()
        self._held: dict[Path, tuple[int, threading.Lock]] = {}

    def _local(self, remote: StorePath) -> Path:
        rel = remote.relative_to(self.base)
        return self.local_base if rel == "." else self.local_base / rel

    def local_source(self, source: Any) -> Any:
        """`source` as the converter sees it: local paths where it will be fetched to, and its
        URL kept (`facts["source_url"]`) for `metadata.json` and the ledger."""
        if not is_remote(source.location):
            return source  # extracted from an archive under OUT: already local
        files = [self.base / f for f in source.files] if source.files else [source.location]
        arch = source.architecture
        if is_remote(arch):
            files.append(arch)
        prefix = str(self.base)
        recorded = {  # paths the classification recorded (an MLflow folder's): fetched whole
            name: StorePath(self.base.protocol, value.split("://", 1)[1], self.base.options)
            for name, value in source.facts.items()
            if isinstance(value, str) and (value == prefix or value.startswith(prefix + "/"))
        }
        for path in recorded.values():
            files += _objects_under(path)
        self._files[source.rel] = [(f, self._local(f)) for f in dict.fromkeys(files)]
        facts = {**source.facts, **{k: str(self._local(p)) for k, p in recorded.items()}}
        return replace(
            source,
            location=self._local(source.location),
            architecture=self._local(arch) if is_remote(arch) else arch,
            facts={**facts, "source_url": str(source.location)},
        )

    def local_candidates(self, candidates: Sequence[Any]) -> tuple[list[Any], list[str]]:
        """Archives fetched whole (they are unpacked for conversion; nothing else reads them
        in part): (candidates with those local, an error line per archive that could not be)."""
        out, errors = [], []
        for candidate in candidates:
            if candidate.reader != "archive" or not is_remote(candidate.location):
                out.append(candidate)
                continue
            local = self._local(candidate.location)
            try:
                _download(candidate.location, local)
            except StoreTransferFailed as exc:
                errors.append(exc.short)
                continue
            out.append(replace(candidate, location=local))
        return out, errors

    def files_of(self, source: Any) -> list[tuple[StorePath, Path]] | None:
        """The objects `fetch` would copy for `source`, each with its local place here (a Ray
        node fetches them to places of its own: backends/node_convert.py); None: not a store
        source."""
        return self._files.get(source.rel)

    def key(self, source: Any) -> str | None:
        """The ledger's key of a store source (see the module), or None for a local one."""
        files = self._files.get(source.rel)
        if files is None:
            return None
        lines = "".join(
            f"{remote.relative_to(self.base)}\0{content_id(remote)}\0{remote.stat().st_size}\n"
            for remote, _ in sorted(files, key=lambda f: str(f[0]))
        )
        return "store:" + hashlib.sha256(lines.encode("utf-8")).hexdigest()

    @contextmanager
    def fetch(self, source: Any) -> Iterator[str | None]:
        """Download the source's files for its conversion, yield the sha256 of its bytes (as
        `publish.sha256_tree` computes it), delete them after. Yields None without fetching
        when nothing will load it: no requested target has a chain of steps (already current,
        no conversion exists), so the converter says why without reading it."""
        files = self._files.get(source.rel)
        if files is None or not _loads(source, self.options):
            yield None
            return
        taken: list[Path] = []
        try:
            for remote, local in files:
                self._take(remote, local)
                taken.append(local)
            yield _sha256(source.location, [local for _, local in files])
        finally:
            for local in taken:
                self._release(local)

    def _take(self, remote: StorePath, local: Path) -> None:
        with self._lock:
            users, lock = self._held.get(local, (0, threading.Lock()))
            self._held[local] = (users + 1, lock)
        with lock:  # a second user waits for the first one's download
            if not local.is_file():
                try:
                    _download(remote, local)
                except BaseException:
                    self._release(local)
                    raise

    def _release(self, local: Path) -> None:
        with self._lock:
            users, lock = self._held.pop(local, (1, threading.Lock()))
            if users > 1:
                self._held[local] = (users - 1, lock)
                return
            local.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove this run's folder (what is still in it: archives, empty folders)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Stager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _objects_under(path: StorePath) -> list[StorePath]:
    """The object `path`, or every object under the prefix `path` (one recursive listing)."""
    if not path.is_dir():
        return [path] if path.is_file() else []
    fs = path.fs
    return [
        StorePath(path.protocol, fs._strip_protocol(key).strip("/"), path.options)
        for key in sorted(fs.find(path.path))
    ]


def _loads(source: Any, options: Any) -> bool:
    """True when a runtime will load `source`: some requested target has a chain of steps."""
    from migrator.convert import default_targets
    from migrator.convert.converter import plan  # the package's `plan` name is also a module
    from migrator.errors import ConversionError

    for target in options.targets or default_targets(source):
        try:
            plan(source, target)
        except ConversionError:
            continue
        return True
    return False


def _download(remote: StorePath, local: Path) -> None:
    """Copy one object to `local` through a temporary name (a killed copy is never taken for
    a staged file); StoreTransferFailed, with what to do, when the store refuses."""
    local.parent.mkdir(parents=True, exist_ok=True)
    partial = local.with_name(f".{local.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        remote.fs.get_file(remote.path, str(partial))
        os.replace(partial, local)
    except Exception as exc:  # the store's client failed: this artifact, not the batch
        partial.unlink(missing_ok=True)
        raise StoreTransferFailed(
            remote,
            f"{remote}: cannot be copied from the store for conversion ({type(exc).__name__}: "
            f"{reason(exc)})",
            "check access to it and rerun",
        ) from None


def _sha256(location: Path, files: Sequence[Path]) -> str:
    """`publish.sha256_tree` of the staged source, over the files fetched for it."""
    from migrator.convert.publish import sha256_file

    if location.is_file():
        return sha256_file(location)
    # A folder: its files; a checkpoint prefix (no file of that name): the files beside it.
    base = location if any(location in f.parents for f in files) else location.parent
    digest = hashlib.sha256()
    for file in sorted(f for f in files if base in f.parents):
        digest.update(f"{file.relative_to(base).as_posix()}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def remove_dead_runs(parent: Path) -> list[Path]:
    """Remove the staging folders of runs whose process is gone (killed); returns them."""
    from migrator.convert.publish import _alive

    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _RUN.match(entry.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed

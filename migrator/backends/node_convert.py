"""A conversion that runs wholly on the cluster node that got its task.

On one machine, a source in a store is fetched into the run's staging folder right before its
conversion (`storage/staging.py`) and each version is built in OUT's local work folder, then
published. Those folders are the driver's: a Ray task on another machine sees neither. So when
the batch runs on a cluster, the driver hands each task a `NodeJob` (plain data: the source's
objects in the store, where the driver would have put them, OUT's URL) and the task does the
rest on its own node, in the node's temporary folder (`tempfile.gettempdir()`, the node's
`TMPDIR`): it fetches the source's objects, converts and validates, publishes each version
straight to OUT in the store (conditional claims, so any number of nodes can publish into one
OUT), deletes what it fetched and built, and returns the outcome with URLs only.

A local `-o` folder is written by the nodes at its path, so with several machines it must be on
storage every node mounts at that path: a task whose node does not see OUT (its ledger, which
the driver creates before the first task) fails with one line saying so, instead of converting
into a folder of the same name on its node that nobody would ever read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator import __version__

if TYPE_CHECKING:
    from migrator.convert import Convertible, Options
    from migrator.convert.converter import Converter, Outcome
    from migrator.storage.staging import Stager
    from migrator.storage.store import StorePath


@dataclass(frozen=True)
class NodeJob:
    """What a node needs to convert one source by itself; no path of the driver's is used.

    `source` is the source as the driver's batch sees it (its paths under `folder`, the driver's
    staging folder, which the node replaces by its own); `files` the store objects to fetch,
    each with its path relative to `folder` (none: a local source, read at its path on shared
    storage); `source_url` where it lives, for `metadata.json`; `out` OUT's URL, or None for a
    local OUT at `out_root` (which must be shared storage).
    """

    source: Convertible
    files: tuple[tuple[StorePath, str], ...]
    folder: str
    source_url: str
    out: StorePath | None
    out_root: str
    single: bool
    key: str | None  # the ledger's key of the source (the store's record of its objects)


def job(
    stager: Stager | None, source: Convertible, out: StorePath | None, out_root: Path, *,
    single: bool, key: str | None,
) -> NodeJob:  # fmt: skip
    """The `NodeJob` of one source: from a store (the driver's `stager` knows its objects) or
    local (read at its paths, which every node must see), into OUT (a store, or a local folder
    every node must see)."""
    from migrator.convert.converter import source_path

    files = stager.files_of(source) if stager is not None else None
    folder = stager.folder if stager is not None and files is not None else None
    return NodeJob(
        source,
        tuple((remote, local.relative_to(folder).as_posix()) for remote, local in files or ()),
        str(folder or ""),
        source_path(source),
        out,
        str(out_root),
        single,
        key,
    )


def _relocated(value: Any, old: str, new: str) -> Any:
    """`value` with the driver's folder `old` replaced by the node's `new` (paths, strings)."""
    if not old:
        return value
    if isinstance(value, Path):
        text = str(value)
        return Path(new + text[len(old) :]) if text == old or text.startswith(old + "/") else value
    if isinstance(value, str) and (value == old or value.startswith(old + "/")):
        return new + value[len(old) :]
    return value


def on_node(source: Convertible, old: str, new: str) -> Convertible:
    """The driver's view of `source` moved to the node's folder `new`."""
    facts: Mapping[str, Any] = {k: _relocated(v, old, new) for k, v in source.facts.items()}
    return replace(
        source,
        location=_relocated(source.location, old, new),
        architecture=_relocated(source.architecture, old, new),
        facts=facts,
    )


@contextmanager
def fetched(work: NodeJob, options: Options) -> Iterator[tuple[Convertible, str | None]]:
    """(the source at its place on this node, sha256 of its bytes or None when nothing will
    load it) with its objects fetched into a folder of this node's temp dir, removed after."""
    from migrator.storage.staging import _download, _loads, _sha256

    if not work.files:  # a local source: at its path (shared storage), hashed by the driver
        yield work.source, None
        return
    here = Path(tempfile.mkdtemp(prefix="migrator-src-"))
    try:
        source = on_node(work.source, work.folder, str(here))
        if not _loads(source, options):
            yield source, None  # the converter says why without reading it
            return
        locals_ = []
        for remote, rel in work.files:
            local = here / rel
            if not local.is_file():  # an architecture file two entries share
                _download(remote, local)
            locals_.append(local)
        yield source, _sha256(source.location, locals_)
    finally:
        shutil.rmtree(here, ignore_errors=True)


_converters: dict[tuple[str, Options], tuple[Converter, Path]] = {}
_lock = threading.Lock()


def _converter(work: NodeJob, options: Options) -> tuple[Converter, Path]:
    """This Ray worker process's converter for the job's OUT (its runtime workers kept across
    conversions), building into the node's own work folder when OUT is a store."""
    from migrator.convert.converter import Converter

    target = str(work.out) if work.out is not None else work.out_root
    with _lock:
        found = _converters.get((target, options))
        if found is None:
            if work.out is not None:
                digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:12]
                folder = Path(tempfile.gettempdir()) / f"migrator-out-{os.getpid()}-{digest}"
            else:
                folder = Path(work.out_root)
            found = _converters[(target, options)] = (Converter(folder, options), folder)
        return found


def _outside(work: NodeJob) -> str | None:
    """Why this node cannot write the job's local OUT (not the driver's folder here), or None."""
    from migrator.convert.ledger import FILENAME

    if work.out is not None or (Path(work.out_root) / FILENAME).is_file():
        return None
    return (
        f"the output folder {work.out_root} is not on this Ray node ({socket.gethostname()}); "
        "with --backend ray a local -o must be on storage every node mounts at the same path: "
        "use a shared folder, or give a store URL as -o (s3://...)"
    )


@dataclass(frozen=True)
class Lost:
    """A conversion the node could not do for a reason outside the model (its source could not
    be fetched, OUT is not there, the store refused the version): the driver raises `TaskLost`
    from it, so the ledger redoes it next run."""

    problem: str
    remedy: str


def convert_one(work: NodeJob, options: Options) -> tuple[str, Outcome | Lost]:
    """(migrator version, outcome) of the whole conversion of one source on this node.

    The runtimes it needs are made sure of first (`ray_tasks.ensure_runtimes`: once per node).
    """
    from migrator.backends.ray_tasks import ensure_runtimes, needed_runtimes
    from migrator.convert.converter import Outcome
    from migrator.errors import MigratorError, StoreTransferFailed
    from migrator.storage.convert import publish_outcome

    source = work.source
    kind = source.kind if source.kinds else None

    def failed(reason: str) -> tuple[str, Outcome | Lost]:
        return __version__, Outcome(source.rel, source.format, "failed", kind, reason=reason)

    why = _outside(work)
    if why is not None:  # this node's doing, not the model's: redone next run, once it sees OUT
        return __version__, Lost(why, "")
    try:
        ensure_runtimes(needed_runtimes(source, options))
    except MigratorError as exc:
        return failed(f"cannot set up the runtimes on this Ray node: {exc}")
    converter, folder = _converter(work, options)
    try:
        with fetched(work, options) as (local, sha):
            outcome = converter.convert(local, single=work.single, sha256=sha or work.key)
            base = str(local.location)
    except StoreTransferFailed as exc:  # the store's fault: the ledger redoes it next run
        return __version__, Lost(exc.problem, exc.remedy)
    if work.out is not None:
        built = [Path(o["path"]) for o in outcome.outputs]
        status = outcome.status
        publish_outcome(outcome, work.source_url, folder, work.out)
        for version in built:  # published (or refused): the node keeps nothing
            if folder in version.parents:
                shutil.rmtree(version, ignore_errors=True)
        if outcome.status != status:  # the store refused it: the next run converts it again
            return __version__, Lost(outcome.reason, "")  # its reason says to rerun
    if work.files:  # the node's copy of the source is gone: name it by its URL
        outcome.reason = outcome.reason.replace(base, work.source_url)
        outcome.warnings = [w.replace(base, work.source_url) for w in outcome.warnings]
    return __version__, outcome

"""`migrator convert` with a source or an output in an object store.

The conversion itself is the local one (`convert/tree.py`: discover, read, classify, convert in
the runtimes, validate, publish with a ledger); this module only moves bytes around it:

- a source in a store is discovered and read in place (no TensorFlow, byte ranges), and each
  artifact that a runtime must load is fetched to local disk right before its conversion and
  deleted right after (`staging.py`, inside the batch): a skipped artifact is never downloaded;
- an output in a store is built in a local work folder first, `<cache>/stores/out/<hash of the
  URL>/`, which also holds the ledger (`.migrator-ledger.sqlite`) of that output: conversion is
  resumable there exactly as on disk, and `migrator convert --status s3://...` reads it. Each
  version converted is published to the store as soon as it is built (`PublishEach`), then
  deleted locally (`publish.py`: temporary keys, a claimed version number, `metadata.json`
  last, never over an existing version).

The report names the URLs, not the local folders: `root` and `out` are the URLs given, each
output's `path` is its version's URL, and `metadata.json` records the source's URL.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from migrator.storage.location import is_remote, reason
from migrator.storage.publish import publish_version
from migrator.storage.staging import work_dir
from migrator.storage.store import StorePath


def ledger_folder(out: Any) -> Path:
    """Where the ledger of the output `out` lives: OUT itself, or the work folder of a URL."""
    return work_dir("out", out) if is_remote(out) else Path(out)


def convert_with_stores(src: Any, out: Any, options: Any, **kwargs: Any) -> Any:
    """`convert_path` for a `src` and/or `out` in a store; returns its report, with URLs."""
    from migrator.convert.tree import convert_path

    local_out = ledger_folder(out)
    backend = kwargs.get("backend")
    if backend is not None and is_remote(out):
        backend.publishes_to(local_out, out)  # a cluster's nodes publish what they convert
    if is_remote(out) and not options.repack:  # --repack packs the versions built here
        kwargs["wrap_converter"] = lambda inner: PublishEach(inner, local_out, out, options)
    report = convert_path(src, local_out, options, **kwargs)
    report.root, report.out = str(src), str(out)
    if is_remote(out):
        _publish(report, src, local_out, out)
    return report


class PublishEach:
    """A converter into a store's local work folder that publishes each conversion's versions
    as soon as they are built and then deletes the local copies, so the work folder holds the
    versions in flight, never the store's (local disk stays bounded, as `staging.py` keeps it
    for sources). The ledger row is finished after the upload: a run killed in between converts
    that artifact again. A local copy a killed run left is deleted first (the converter would
    take it for a published version), and `publish_version` finds a version the killed run had
    finished uploading, so nothing is published twice. A store that refuses the upload is a
    `StoreTransferFailed`: the row stays unfinished and the next run redoes it."""

    def __init__(self, inner: Any, local_out: Path, out: StorePath, options: Any) -> None:
        self._inner, self.local_out, self.out, self.options = inner, local_out, out, options

    def __getattr__(self, name: str) -> Any:  # what the batch asks a converter (stages_itself)
        return getattr(self._inner, name)

    def close(self) -> None:
        self._inner.close()

    def convert(self, source: Any, *, single: bool, sha256: str | None = None, **kw: Any) -> Any:
        from migrator.convert.converter import source_path
        from migrator.errors import StoreTransferFailed

        self._drop_local(source, single, sha256)
        outcome = self._inner.convert(source, single=single, sha256=sha256, **kw)
        built = [Path(o["path"]) for o in outcome.outputs if not is_remote_text(o["path"])]
        publish_outcome(outcome, source_path(source), self.local_out, self.out)
        for path in built:
            if self.local_out in path.parents:
                shutil.rmtree(path, ignore_errors=True)
        if any(not is_remote_text(o["path"]) for o in outcome.outputs):
            raise StoreTransferFailed(source.rel, outcome.reason)
        return outcome

    def _drop_local(self, source: Any, single: bool, sha256: str | None) -> None:
        from migrator.convert import TARGET_FOLDERS, default_targets
        from migrator.convert import publish as pub
        from migrator.convert.converter import model_dir, source_path

        if sha256 is None:
            return
        for target in self.options.targets or default_targets(source):
            base = self.local_out / model_dir(source, single) / TARGET_FOLDERS[target]
            while (left := pub.find_published(base, sha256, source_path(source))) is not None:
                shutil.rmtree(left)


def is_remote_text(path: str) -> bool:
    """True for the text of a URL (what a published output's path is)."""
    return "://" in str(path)


def _publish(report: Any, src: Any, local_out: Path, out: StorePath) -> None:
    """Publish every output of the report to the store and point the report at the URLs."""
    for outcome in report.outcomes:
        publish_outcome(outcome, _source_url(src, outcome.path), local_out, out)


def publish_outcome(outcome: Any, source_url: str, local_out: Path, out: StorePath) -> None:
    """Publish the outputs of one outcome built under `local_out` (here, or on a Ray node) and
    point it at their URLs; outputs elsewhere (published already) are left as they are."""
    for output in outcome.outputs:
        local = Path(output["path"])
        try:
            rel = local.relative_to(local_out)
        except ValueError:
            continue
        model_dir, folder = rel.parent.parent.as_posix(), rel.parent.name
        try:
            version = publish_version(local, out, model_dir, folder, source_url)
        except Exception as exc:  # the store refused: this output is not published
            outcome.status = "failed"
            outcome.reason = (
                f"converted, but publishing to {out} failed ({type(exc).__name__}: "
                f"{reason(exc)}); rerun to publish it"
            )
            continue
        output["path"], output["version"] = str(version), version.name
        outcome.reason = outcome.reason.replace(str(local), str(version))


def _source_url(src: Any, rel: str) -> str:
    """Where the source of the artifact reported as `rel` lives (its URL for a store source)."""
    if not is_remote(src):
        base = Path(src).resolve()
        return str(base if rel == "." else base / rel)
    return str(src) if rel == "." else f"{src}/{rel}"

"""Convert a tree: discover and read every artifact like `audit` does, then convert each one.

Conversions run through `batch.Batch` (parallel, resumable through the ledger in OUT).

Artifacts are found by the audit's discovery and read by its reader pool (`workers.ReaderPool`):
each read runs in a forked process under a deadline, so a damaged file that hangs or crashes
libhdf5 costs one failed outcome, not the batch. Classification and steps then use those
readings; nothing is read again in this process. One artifact's failure never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.backends import Backend
from migrator.backends import get as get_backend
from migrator.convert import Convertible, Options
from migrator.convert.archives import repack, unpack
from migrator.convert.batch import Batch
from migrator.convert.classify import ARCH_FORMATS, WEIGHTS_FORMATS, classify
from migrator.convert.converter import Converter, Outcome
from migrator.convert.ledger import Ledger
from migrator.convert.publish import remove_stale_staging
from migrator.errors import ConversionError
from migrator.model import Artifact, Candidate
from migrator.storage.location import is_remote
from migrator.storage.staging import Stager
from migrator.storage.store import StorePath

SCHEMA_VERSION = 1
Progress = Callable[[str, int, int], None]


@dataclass
class ConvertReport:
    root: str
    out: str
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(o.status == "failed" for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        def section(status: str) -> list[dict[str, Any]]:
            return [o.to_json() for o in sorted(self.by_status(status), key=lambda o: o.path)]

        return {
            "schema_version": SCHEMA_VERSION,
            "root": self.root,
            "out": self.out,
            "summary": {s: len(self.by_status(s)) for s in ("converted", "skipped", "failed")},
            "converted": section("converted"),
            "skipped": section("skipped"),
            "failed": section("failed"),
            "errors": list(self.errors),
        }


def read_artifacts(
    candidates: Sequence[Candidate], options: Options, backend: Backend | None = None
) -> list[Artifact]:
    """Read candidates as the audit does (deadline and crash isolation), on the backend."""
    from migrator.audit import read_reading
    from migrator.backends import ReadLimits, get

    if not candidates:
        return []
    limits = ReadLimits(max(1, options.read_jobs), options.read_timeout)
    read = (backend or get()).read(read_reading, list(candidates), limits)
    return [Artifact(c.rel, c.location, r, c.files) for c, r in read]


def convert_path(
    root: Path | StorePath,
    out_root: Path,
    options: Options,
    *,
    progress: Progress | None = None,
    converter: Converter | None = None,
    jobs: int | None = 1,
    retry_failed: bool = False,
    backend: Backend | None = None,
    wrap_converter: Callable[[Converter], Converter] | None = None,
) -> ConvertReport:
    """Convert one artifact or every artifact under `root` (a path, or a `StorePath` read in
    place and fetched one source at a time for its conversion) into `out_root`.

    The ledger in `out_root` makes this resumable: what an earlier run finished is reported, not
    redone (failures are retried only with `retry_failed`). `jobs` conversions run at once
    (None: the backend's default). `backend` runs the reads and conversions elsewhere (a Ray
    cluster, which must see `root` and `out_root` at the same paths); the ledger stays here.
    `wrap_converter` wraps each converter the batch makes (storage/convert.py publishes each
    conversion into a store with it).
    """
    from migrator.discover import discover

    root = root if is_remote(root) else Path(root)
    found = discover(root)
    report = ConvertReport(root=str(root), out=str(out_root), errors=list(found.errors))
    # A root in a store is read in place; a source is fetched only to be converted (staging.py).
    with Stager(root, options) if is_remote(root) else nullcontext() as stager:
        candidates = found.candidates
        if stager is not None:  # archives are unpacked whole: fetched first
            candidates, errors = stager.local_candidates(candidates)
            report.errors.extend(errors)
        # Archives: the artifacts inside, extracted safely under OUT (convert/archives.py).
        unpacked = unpack(candidates, Path(out_root))
        report.errors.extend(unpacked.errors)
        single = len(found.candidates) == 1 and found.candidates[0].rel == "."
        single = single and len(unpacked.candidates) == 1  # an archive alone: one model inside
        engine = backend or get_backend()
        artifacts = read_artifacts(unpacked.candidates, options, engine)
        architectures = [a for a in artifacts if a.format in ARCH_FORMATS]
        if single and artifacts and artifacts[0].format in WEIGHTS_FORMATS:
            architectures = _architectures_beside(artifacts[0], options)
        used_archs: dict[Path, list[str]] = {}
        todo: list[Convertible] = []
        for artifact in artifacts:
            if artifact.format in ARCH_FORMATS:
                continue
            try:
                siblings = [
                    a for a in architectures if a.location.parent == artifact.location.parent
                ]
                source = classify(artifact, options, siblings)
                if source.architecture is not None:
                    used_archs.setdefault(source.architecture.resolve(), []).append(artifact.path)
                todo.append(source)
            except ConversionError as exc:
                report.outcomes.append(
                    Outcome(artifact.path, artifact.format, exc.status, reason=exc.short)
                )
        if stager is not None:  # where each will be fetched to, and its URL for the record
            todo = [stager.local_source(source) for source in todo]
        Path(out_root).mkdir(parents=True, exist_ok=True)
        remove_stale_staging(Path(out_root))
        with Ledger(Path(out_root), options) as ledger:
            batch = Batch(
                Path(out_root),
                options,
                ledger,
                single=single,
                converter=converter,
                make_converter=engine.converters(Path(out_root), options) if todo else None,
                stager=stager,
                wrap_converter=wrap_converter,
            )
            report.outcomes.extend(
                batch.run(
                    todo,
                    jobs=engine.convert_jobs(jobs) if todo else 1,
                    retry_failed=retry_failed,
                    progress=progress,
                )
            )
        for artifact in artifacts:
            if artifact.format not in ARCH_FORMATS:
                continue
            users = used_archs.get(artifact.location.resolve())
            reason = (
                f"architecture used with {', '.join(users)}"
                if users
                else "an architecture file alone has no weights; keep it beside its weights file "
                "(or pass --arch) and convert the weights file"
            )
            if artifact.errors:
                report.outcomes.append(
                    Outcome(artifact.path, artifact.format, "failed", reason=artifact.errors[0])
                )
            else:
                report.outcomes.append(
                    Outcome(artifact.path, artifact.format, "skipped", reason=reason)
                )
        if options.repack:
            report.outcomes.extend(repack(report.outcomes, unpacked, Path(out_root), single))
        unpacked.remove()
        report.outcomes.sort(key=lambda o: o.path)
        return report


def _architectures_beside(weights: Artifact, options: Options) -> list[Artifact]:
    """A single weights file was given: the architecture files in its folder, found by the same
    discovery (the same claims) and read by the same reader pool as everything else."""
    from migrator.discover import discover

    folder = weights.location.parent
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file() and p != weights.location)
    except OSError:
        return []
    candidates = [
        candidate
        for path in entries
        for candidate in discover(path).candidates
        if candidate.reader == "keras_arch"
    ]
    return [a for a in read_artifacts(candidates, options) if a.format in ARCH_FORMATS]

"""Convert a tree: discover and read every artifact like `audit` does, then convert each one.

Artifacts are found by the audit's discovery and read by its reader pool (`workers.ReaderPool`):
each read runs in a forked process under a deadline, so a damaged file that hangs or crashes
libhdf5 costs one failed outcome, not the batch. Classification and steps then use those
readings; nothing is read again in this process. One artifact's failure never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.convert import Convertible, Options
from migrator.convert.classify import ARCH_FORMATS, WEIGHTS_FORMATS, classify
from migrator.convert.converter import Converter, Outcome
from migrator.errors import ConversionError
from migrator.model import Artifact, Candidate

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


def read_artifacts(candidates: Sequence[Candidate], options: Options) -> list[Artifact]:
    """Read candidates in the audit's isolated reader pool (deadline and crash isolation)."""
    from migrator.audit import read_reading
    from migrator.workers import ReaderPool

    if not candidates:
        return []
    pool = ReaderPool(read_reading, options.read_jobs, options.read_timeout)
    return [Artifact(c.rel, c.location, r, c.files) for c, r in pool.map(list(candidates))]


def convert_path(
    root: Path,
    out_root: Path,
    options: Options,
    *,
    progress: Progress | None = None,
    converter: Converter | None = None,
) -> ConvertReport:
    """Convert one artifact or every artifact under `root` into `out_root`."""
    from migrator.discover import discover

    root = Path(root)
    found = discover(root)
    report = ConvertReport(root=str(root), out=str(out_root), errors=list(found.errors))
    single = len(found.candidates) == 1 and found.candidates[0].rel == "."
    artifacts = read_artifacts(found.candidates, options)
    architectures = [a for a in artifacts if a.format in ARCH_FORMATS]
    if single and artifacts and artifacts[0].format in WEIGHTS_FORMATS:
        architectures = _architectures_beside(artifacts[0], options)
    own = converter or Converter(out_root, options)
    used_archs: dict[Path, list[str]] = {}
    pending: list[tuple[Artifact, Convertible | None, ConversionError | None]] = []
    for artifact in artifacts:
        if artifact.format in ARCH_FORMATS:
            continue
        try:
            siblings = [a for a in architectures if a.location.parent == artifact.location.parent]
            source = classify(artifact, options, siblings)
            if source.architecture is not None:
                used_archs.setdefault(source.architecture.resolve(), []).append(artifact.path)
            pending.append((artifact, source, None))
        except ConversionError as exc:
            pending.append((artifact, None, exc))
    try:
        total = len(pending)
        for index, (artifact, source, error) in enumerate(pending):
            if progress:
                progress(artifact.path, index, total)
            if error is not None:
                report.outcomes.append(
                    Outcome(artifact.path, artifact.format, error.status, reason=error.short)
                )
                continue
            assert source is not None
            try:
                report.outcomes.append(own.convert(source, single=single))
            except Exception as exc:  # a bug must not stop a ten-thousand-model batch
                report.outcomes.append(
                    Outcome(
                        artifact.path,
                        artifact.format,
                        "failed",
                        source.kind if source.kinds else None,
                        reason=f"internal error ({type(exc).__name__}: {exc}); please "
                        "report this file to the migrator maintainers",
                    )
                )
        if progress:
            progress("", total, total)
    finally:
        if converter is None:
            own.close()
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

"""Converting what archives hold: safe extraction for the runtimes, and `--repack` into the
layout SageMaker's TensorFlow Serving container loads.

The runtimes load models from paths, so an archive's entries are extracted (never in place:
into `OUT/.migrator-archives/<sha256 of the archive>/<name>/`, a stable path so the ledger
knows a re-run) through the audit's own walker: the same bomb caps, and only regular files and
folders with safe relative names; links, devices, traversal and absolute names are refused, a
repeated name keeps its last copy (as `tar x` would). The inner artifacts are then discovered
and converted like any others, reported as `model.tar.gz!/1`.

Where the outputs of an archive's models go (`member_model_dir`): under the archive's own file
name, `OUT/<folders>/model.tar.gz/<member>/<target>/v<N>/`, where `<member>` is the model's
folder inside the archive as it would be in a tree (`export/my_model`, `model` for `model.h5`;
nothing for a model at the root or in a TF Serving version folder `1/` there). A real folder
beside the archive cannot have its name, so no output of the tree lands among an archive's,
and no path segment carries the report's `!`. An archive given alone with one model inside is
named by its stem (`OUT/model/<target>/v<N>/`), as a single file is.

`--repack` writes, per archive, `<that folder>/tarball/v<N>/model.tar.gz`: every converted
SavedModel under a numbered version folder (`1/saved_model.pb`, `1/variables/...`, the source's
version number kept), plus the source's `code/` folder (`inference.py`, `requirements.txt`),
which is what the SageMaker TensorFlow Serving container documents for `model.tar.gz`. TF
Serving serves SavedModels only, so an archive whose conversions produced none is reported with
the `--to saved-model` to ask for.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from migrator.convert import publish as pub
from migrator.convert.converter import Outcome
from migrator.formats.archive.expand import SEPARATOR, inner_rel, lay
from migrator.formats.archive.members import ArchiveProblem, entries, sniff
from migrator.formats.archive.stage import Stage
from migrator.model import Artifact, Candidate

FOLDER = ".migrator-archives"
CODE = "code"  # the SageMaker TF Serving container's inference code folder, kept as is
TARBALL_FOLDER = "tarball"


@dataclass
class Unpacked:
    """The archives of one conversion run, extracted: what to convert and what to repack."""

    candidates: list[Candidate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # archive rel -> (its extraction folder, its model name under OUT)
    archives: dict[str, tuple[Path, str]] = field(default_factory=dict)

    def remove(self) -> None:
        for folder, _ in self.archives.values():
            shutil.rmtree(folder.parent, ignore_errors=True)
            _remove_if_empty(folder.parent.parent)  # OUT/.migrator-archives, once empty


def unpack(candidates: Sequence[Candidate], out_root: Path) -> Unpacked:
    """Replace each archive candidate by the artifacts inside it, extracted under OUT."""
    from migrator.discover import discover

    done = Unpacked()
    for candidate in candidates:
        if candidate.reader != "archive":
            done.candidates.append(candidate)
            continue
        name = pub.safe_name(candidate.location.name.split(".")[0])
        try:
            folder = _extract(candidate.location, Path(out_root), name)
        except (ArchiveProblem, OSError) as exc:
            problem = str(exc) if isinstance(exc, ArchiveProblem) else exc.strerror or str(exc)
            done.errors.append(f"{_named(candidate)}: {problem}")
            continue
        rel = _named(candidate)
        done.archives[rel] = (folder, name)
        found = discover(folder)
        done.errors.extend(f"{inner_rel(rel, '.')}{e}" for e in found.errors)
        for inner in found.candidates:
            done.candidates.append(
                replace(
                    inner,
                    rel=inner_rel(rel, inner.rel),
                    files=tuple(inner_rel(rel, f) for f in inner.files),
                )
            )
    return done


def inside_archives(
    artifacts: Sequence[Artifact], candidates: Sequence[Candidate]
) -> list[Artifact]:
    """For the plan (which reads, never extracts): each archive replaced by the artifacts inside
    it, read from the audit's bounded staging as `migrator audit` reads them."""
    from migrator.formats.archive import read_all

    by_rel = {c.rel: c for c in candidates}
    out: list[Artifact] = []
    for artifact in artifacts:
        candidate = by_rel.get(artifact.path)
        if artifact.format != "archive" or candidate is None or artifact.errors:
            out.append(artifact)
            continue
        out.extend(read_all(replace(candidate, rel=_named(candidate)))[1:])
    return out


def _named(candidate: Candidate) -> str:
    """How an archive is named in outcomes: its path, or its file name when given alone."""
    return candidate.location.name if candidate.rel == "." else candidate.rel


def _extract(archive: Path, out_root: Path, name: str) -> Path:
    """Extract the safe entries of `archive` into a stable folder under OUT; returns it."""
    digest = hashlib.sha256()
    with open(archive, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    base = out_root / FOLDER / digest.hexdigest()[:24]
    shutil.rmtree(base, ignore_errors=True)  # left by a killed run: extract afresh
    folder = base / name
    folder.mkdir(parents=True)
    try:
        _extract_into(archive, folder)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        _remove_if_empty(out_root / FOLDER)
        raise
    return folder


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _extract_into(archive: Path, folder: Path) -> None:
    """The audit's walk and lay-out, keeping every byte: one home for what is safe to write."""
    stage = Stage(folder, whole=True)
    unsafe: list[dict[str, str]] = []
    with open(archive, "rb") as fh:
        container = sniff(archive, fh.read(512))
        if container is None:
            raise ArchiveProblem("is not a tar or zip archive; nothing to convert")
        for entry, read in entries(archive, fh, container):
            lay(entry, read, stage, unsafe)
    refused = [f"{u['name']} ({u['reason']})" for u in unsafe] + stage.problems
    if refused:
        raise ArchiveProblem(
            f"holds entries unsafe to extract ({', '.join(refused[:5])}); nothing was "
            "converted from it; rebuild the archive from a folder of regular files"
        )
    if stage.damaged:
        raise ArchiveProblem(f"ends inside {sorted(stage.damaged)[0]}; download the archive again")


def repack(
    outcomes: Sequence[Outcome], unpacked: Unpacked, out_root: Path, single: bool
) -> list[Outcome]:
    """One `tarball` outcome per archive: SavedModel outputs in SageMaker's layout."""
    results = []
    for rel, (folder, _name) in sorted(unpacked.archives.items()):
        prefix = inner_rel(rel, "")
        mine = [o for o in outcomes if o.path.startswith(prefix) and o.status == "converted"]
        models = [
            (o.path[len(prefix) :], Path(out["path"]))
            for o in mine
            for out in o.outputs
            if out.get("target") == "saved-model"
        ]
        if not models:
            results.append(
                Outcome(
                    rel,
                    "archive",
                    "skipped",
                    kind="repack",
                    reason="no SavedModel was converted from it, and TF Serving serves only "
                    "SavedModels; convert with --to saved-model --repack",
                )
            )
            continue
        version = _write_tarball(models, folder, out_root, archive_dir(rel, single), rel)
        results.append(
            Outcome(
                rel,
                "archive",
                "converted",
                kind="repack",
                outputs=[{"target": "tarball", "path": str(version), "version": version.name}],
            )
        )
    return results


def archive_dir(archive_rel: str, single: bool) -> str:
    """The folder under OUT of everything converted from the archive at `archive_rel`: its
    stem when it was given alone with one model inside, else its folders and its file name."""
    path = PurePosixPath(archive_rel)
    if single:
        return pub.safe_name(path.name.split(".")[0])
    parts = [pub.safe_name(p) for p in path.parent.parts if p not in (".", "")]
    return "/".join([*parts, pub.safe_name(path.name)])


def member_model_dir(rel: str, location: Path, name_path: Path, name: str, single: bool) -> str:
    """The model folder under OUT of the archive member `rel` (`model.tar.gz!/export/m`).

    `location` is where the member was extracted, `name_path` the folder (or file) that names
    the model and `name` that name, as `converter.model_dir` decides them for any model: the
    member's path inside the archive is laid out as a tree's under `archive_dir`, the version
    folder of a TF Serving base dropped as it is for a real one.
    """
    archive_rel, inner = rel.split(SEPARATOR, 1)
    base = archive_dir(archive_rel, single)
    if single:
        return base
    depth = len(PurePosixPath(inner).parts)
    root = location.parents[depth - 1] if depth else location  # the extraction folder
    if name_path == root or root not in name_path.parents:
        return base  # the archive's root, or its version folder `1/`: the archive names it
    inside = [pub.safe_name(p) for p in name_path.relative_to(root).parts[:-1]]
    return "/".join([base, *inside, name])


def _write_tarball(
    models: list[tuple[str, Path]],
    folder: Path,
    out_root: Path,
    model_dir: str,
    rel: str,
) -> Path:
    work = pub.staging_dir(out_root)
    try:
        tarball = work / "model.tar.gz"
        used: set[str] = set()
        members: list[tuple[str, Path]] = []
        for inner, version_dir in sorted(models):
            number = _version_number(inner, used)
            used.add(number)
            for file in sorted(p for p in version_dir.rglob("*") if p.is_file()):
                if file.parent == version_dir and file.name == "metadata.json":
                    continue
                members.append((f"{number}/{file.relative_to(version_dir).as_posix()}", file))
        code = folder / CODE
        if code.is_dir():
            for file in sorted(p for p in code.rglob("*") if p.is_file()):
                members.append((f"{CODE}/{file.relative_to(code).as_posix()}", file))
        with tarfile.open(tarball, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            for arcname, file in members:
                info = tarfile.TarInfo(arcname)
                info.size = file.stat().st_size
                info.mode = 0o644
                with open(file, "rb") as fh:
                    tar.addfile(info, fh)
        metadata = {
            "source": {"archive": rel},
            "layout": "SageMaker TensorFlow Serving: <version>/saved_model.pb + variables/, code/",
            "versions": sorted(used, key=int),
            "from": [str(p) for _, p in sorted(models)],
        }
        return pub.publish(
            out_root, model_dir, TARBALL_FOLDER, tarball, metadata, payload_name="model.tar.gz"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        pub.cleanup_staging(out_root)


def _version_number(inner: str, used: set[str]) -> str:
    """The source's version folder (`1` of `model.tar.gz!/1`), else the next free number."""
    head = inner.split("/", 1)[0]
    if head.isdigit() and head not in used:
        return head
    number = 1
    while str(number) in used:
        number += 1
    return str(number)

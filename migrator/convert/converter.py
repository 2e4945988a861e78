"""Convert one classified artifact: plan -> run each step in a worker -> validate -> publish.

The main process never imports TensorFlow: each step and each model run goes to a worker of the
right runtime, leased from the batch's pool (`runtime_pool.Pool`). An artifact ends as exactly
one `Outcome`: converted (with its published versions), skipped (nothing to do, or no conversion
exists: with the reason) or failed (with the reason and what to do).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from migrator import __version__
from migrator.convert import (
    KINDS,
    TARGET_FOLDERS,
    TARGETS,
    Convertible,
    Options,
    default_targets,
    runtimes,
)
from migrator.convert import plan_chain as plan  # `plan` may already name the submodule
from migrator.convert import publish as pub
from migrator.convert.preload import Preload, first_run
from migrator.convert.preload import start as start_preload
from migrator.convert.registry import Step
from migrator.convert.run_order import by_prediction, where_it_loads
from migrator.convert.runtime_pool import Pool
from migrator.convert.runtimes import Runtime
from migrator.convert.step_result import StepResult
from migrator.convert.validate import Check, validate
from migrator.convert.validation_runs import output_run, source_runs
from migrator.errors import AlreadyPublished, ConversionError
from migrator.formats.archive.expand import SEPARATOR


@dataclass
class Outcome:
    """What happened to one artifact."""

    path: str
    format: str
    status: str  # converted | skipped | failed
    kind: str | None = None
    reason: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "format": self.format, "kind": self.kind}
        if self.reason:
            out["reason"] = self.reason
        if self.outputs:
            out["outputs"] = self.outputs
        if self.warnings:
            out["warnings"] = self.warnings
        return out

    def to_record(self) -> dict[str, Any]:
        """Everything, status included (what the ledger stores to report it again)."""
        return {**self.to_json(), "status": self.status}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            str(data.get("path", "")),
            str(data.get("format", "")),
            str(data.get("status", "failed")),
            data.get("kind"),
            str(data.get("reason", "")),
            list(data.get("outputs", [])),
            list(data.get("warnings", [])),
        )


def model_dir(source: Convertible, single: bool) -> str:
    """The model's folder under OUT: its name, under its parent folders when converting a tree."""
    location = Path(source.facts.get("publish_as") or source.location)  # MLflow: the folder
    layout = source.details.get("layout") or {}
    name_path = location
    if location.name.isdigit() or (isinstance(layout, Mapping) and layout.get("version_folder")):
        name_path = location.parent  # TF Serving version / timestamped export: the base names it
    name = name_path.name
    if location.is_file() or (not location.exists() and location.suffix):
        name = location.name.split(".")[0] or location.name
    name = pub.safe_name(name)
    if SEPARATOR in source.rel:  # inside an archive: under the archive's own name
        from migrator.convert.archives import member_model_dir

        return member_model_dir(source.rel, location, name_path, name, single)
    if single:
        return name
    rel = Path(source.rel)
    parents = rel.parent
    if name_path != location:
        parents = parents.parent
    parts = [pub.safe_name(p) for p in parents.parts if p not in (".", "")]
    return "/".join([*parts, name])


def source_path(source: Convertible) -> str:
    """Where the source lives, as `metadata.json` and the ledger name it: its URL when it was
    fetched from a store for the conversion (storage/staging.py), else its absolute path."""
    return str(source.facts.get("source_url") or source.location.resolve())


# What the payload is called in a version folder, by target (a folder payload keeps its names).
PAYLOAD_NAMES = {"keras": "model.keras", "weights": "model.weights.h5"}


class Converter:
    """Converts sources into OUT through a pool of runtime workers.

    `convert(source)` is the whole conversion of one artifact; it may be called from several
    threads at once with one shared pool (what `batch.Batch` does for `--jobs`)."""

    def __init__(self, out_root: Path, options: Options, *, pool: Pool | None = None) -> None:
        self.out_root = Path(out_root)
        self.options = options
        self.pool = pool or Pool()
        self._latest: Runtime | None = None
        self._available: list[Runtime] | None = None

    @property
    def latest(self) -> Runtime:
        if self._latest is None:
            self._latest = runtimes.latest()
        return self._latest

    @property
    def available(self) -> list[Runtime]:
        if self._available is None:
            self._available = runtimes.available()
        return self._available

    def close(self) -> None:
        self.pool.close()

    def convert(self, source: Convertible, *, single: bool, sha256: str | None = None) -> Outcome:
        """Convert one source to each requested target; failures become the outcome's reason.

        `sha256` is the source's content hash when the caller has it already (hashing a large
        model twice costs as much as reading it twice)."""
        sha = sha256 or pub.sha256_tree(source.location)
        outcome = Outcome(
            source.rel, source.format, "converted", source.kind if source.kinds else None
        )
        targets = list(self.options.targets) or list(default_targets(source))
        products: dict[str, StepResult] = {}
        skipped: list[str] = []
        failure: str | None = None
        work = pub.staging_dir(self.out_root)
        try:
            for target in targets:
                try:
                    outcome.outputs.append(
                        self._one_target(source, target, products, work, single, sha)
                    )
                except ConversionError as exc:
                    label = f"{target}: {exc.short}" if len(targets) > 1 else exc.short
                    if exc.status == "skipped":
                        skipped.append(label)
                        continue
                    failure = label  # later targets share the failed chain: stop here
                    break
        finally:
            shutil.rmtree(work, ignore_errors=True)
            pub.cleanup_staging(self.out_root)
        if failure is not None:
            outcome.status, outcome.reason = "failed", failure
            outcome.warnings.extend(skipped)
        elif not outcome.outputs:
            outcome.status, outcome.reason = "skipped", "; ".join(skipped)
        else:
            outcome.warnings.extend(skipped)
        return outcome

    def _one_target(
        self,
        source: Convertible,
        target: str,
        products: dict[str, StepResult],
        work: Path,
        single: bool,
        sha: str,
    ) -> dict[str, Any]:
        steps = plan(source, target)
        model_name = model_dir(source, single)
        folder = TARGET_FOLDERS[target]
        existing = pub.find_published(self.out_root / model_name / folder, sha, source_path(source))
        if existing is not None:
            raise AlreadyPublished(
                source.rel,
                f"already converted to {target}: {existing} holds the same source bytes",
                "delete that version folder to convert again",
            )
        payload_name = PAYLOAD_NAMES.get(target)
        with ExitStack() as stack:
            ahead = self._preload(stack, source, steps, products, work)
            final, history = self._run_steps(source, target, steps, products, work)
            # The product is final: hash it for metadata.json while validation runs (a 200 MB
            # model's digest, 0.13 s here, is then off the conversion's critical path).
            hashing = stack.enter_context(
                ThreadPoolExecutor(1, thread_name_prefix="migrator-payload-hash")
            )
            listing = hashing.submit(pub.payload_files, Path(final.path), payload_name)
            check = self._check(source, target, steps, final, history, work, ahead)
            files = listing.result()
        metadata = self._metadata(source, target, steps, history, final, check, sha)
        version_dir = pub.publish(
            self.out_root,
            model_name,
            folder,
            Path(final.path),
            metadata,
            payload_name=payload_name,
            files=files,
        )
        return {
            "target": target,
            "path": str(version_dir),
            "version": version_dir.name,
            "max_abs_diff": check.max_abs_diff,
            "weights_compared": check.weights.get("compared"),
            "source_run": check.source_run,
        }

    def _preload(
        self,
        stack: ExitStack,
        source: Convertible,
        steps: Sequence[Step],
        products: dict[str, StepResult],
        work: Path,
    ) -> Preload | None:
        """Start loading the source in its era's runtime now, so that its load overlaps the
        conversion step (`preload`); None when the first step's product exists already or the
        first source run depends on what the step reports."""
        if not steps or steps[0].target in products:
            return None
        run = first_run(self.available, self.latest, source, steps[0], self.options)
        if run is None:
            return None
        return start_preload(stack, self.pool, run, work, self.options, source.rel)

    def _run_steps(
        self,
        source: Convertible,
        target: str,
        steps: Sequence[Step],
        products: dict[str, StepResult],
        work: Path,
    ) -> tuple[StepResult, list[StepResult]]:
        """Run the steps not done yet: (final product, every step's product)."""
        current = str(source.location)
        for step in steps:
            if step.target in products:
                current = products[step.target].path
                continue
            out_dir = work / step.module
            out_dir.mkdir(parents=True, exist_ok=True)
            args = {
                "src": current,
                "out_dir": str(out_dir),
                "custom_objects": list(self.options.custom_objects),
                "unsafe": self.options.unsafe,
                "architecture": str(source.architecture) if source.architecture else None,
                "model_factory": self.options.model_factory,
                "tags": list(self.options.tags),
                "signature": self.options.signature,
                "input_tensors": list(self.options.input_tensors),
                "output_tensors": list(self.options.output_tensors),
                "facts": dict(source.facts),
                # What the audit's reader already parsed, so the first step never re-parses it.
                "reading": step_reading(source) if current == str(source.location) else {},
            }
            with self.pool.lease(self.latest) as worker:
                reply = worker.call(
                    f"step:{step.name}", args, timeout=self.options.timeout, subject=source.rel
                )
            info = StepResult.from_json(reply, step=step.name)
            products[step.target] = info
            current = info.path
        return products[TARGETS[target]], [products[s.target] for s in steps]

    def _check(
        self,
        source: Convertible,
        target: str,
        steps: Sequence[Step],
        final: StepResult,
        history: Sequence[StepResult],
        work: Path,
        preload: Preload | None,
    ) -> Check:
        """Validate the final product against the source (`validate`): the record."""
        first = history[0]
        transforms: dict[str, Any] = {}
        for item in history:
            transforms.update(item.weight_transforms)
        onednn = first.channels_first
        return validate(
            subject=source.rel,
            pool=self.pool,
            work=work / f"validate-{target}",
            options=self.options,
            signature=list(final.signature or first.signature),
            output_run=replace(output_run(self.latest, target, final, self.options), onednn=onednn),
            source_runs=[
                replace(run, onednn=onednn)
                for run in by_prediction(
                    source_runs(self.available, self.latest, source, steps[0], first, self.options),
                    source.artifact,
                )
            ],
            transforms=transforms,
            int_high=first.int_high,
            allow_missing_weights=target == "saved-model",
            derived_inputs=first.validation_inputs,
            preload=preload,
            loads_in=partial(where_it_loads, source.artifact),
        )

    def _metadata(
        self,
        source: Convertible,
        target: str,
        steps: Sequence[Step],
        history: Sequence[StepResult],
        final: StepResult,
        check: Check,
        sha: str,
    ) -> dict[str, Any]:
        latest = self.latest
        changes: list[str] = []
        notes: list[str] = []
        for item in history:
            changes += [c for c in item.changes if c not in changes]
            notes += [n for n in item.notes if n not in notes]
        first = history[0] if history else final
        return {
            "model_name": model_dir(source, True),
            "format": TARGET_FOLDERS[target],
            "format_description": KINDS[TARGETS[target]],
            "source": {
                "path": source_path(source),
                "rel": source.rel,
                "sha256": sha,
                "format": source.format,
                "kind": source.kind,
                "producer": dict(source.producer),
                "architecture": str(source.architecture) if source.architecture else None,
            },
            "migrator_version": __version__,
            "runtime": latest.to_json(),
            "tensorflow_version": latest.tensorflow,
            "keras_version": latest.keras,
            "conversion": {
                "steps": [
                    {"module": s.module, "name": s.name, "from": s.source, "to": s.target}
                    for s in steps
                ],
                "changes": changes,
                "notes": notes,
                "weight_transforms": dict(first.weight_transforms),
                "unsafe": self.options.unsafe,
                "custom_objects": list(self.options.custom_objects),
                "training_config": first.training_config or source_training_config(source),
            },
            "input_signature": list(final.signature or first.signature),
            "validation": check.to_json(),
        }


class ConverterFactory:
    """Converters for a batch's threads, all on one pool of runtime workers: each runtime starts
    once per batch whatever `--jobs`, and closing any of them (at the batch's end) stops it."""

    def __init__(self, out_root: Path, options: Options) -> None:
        self.out_root, self.options = Path(out_root), options
        self.pool = Pool()

    def __call__(self) -> Converter:
        return Converter(self.out_root, self.options, pool=self.pool)

    def start_runtimes(self, sources: Sequence[Convertible], jobs: int = 1) -> None:
        """Start, in the background and in parallel, the runtimes the sources' chains use
        (`plan.target_runtimes`), so the batch does not wait for one TensorFlow import after
        another; a runtime nobody ends up using is stopped with the pool. Their workers size
        TensorFlow's thread pools for `jobs` conversions at once (`fair_threads`)."""
        from migrator.convert.plan import target_runtimes
        from migrator.convert.worker_processes import fair_threads

        self.pool.threads = fair_threads(jobs)

        names: set[str] = set()
        for source in sources:
            for target in self.options.targets or default_targets(source):
                try:
                    names.update(target_runtimes(source, plan(source, target)))
                except (ConversionError, KeyError, IndexError):
                    continue  # no chain: the conversion reports why, no runtime is needed
        found = [r for r in runtimes.available() if r.name in names]
        if found:
            threading.Thread(target=self.pool.start, args=(found,), daemon=True).start()

    def close(self) -> None:
        """Stop the pool: a batch that made no converter (every source done in the ledger)
        still started its runtimes."""
        self.pool.close()


def converter_factory(out_root: Path, options: Options) -> ConverterFactory:
    """The converters of one batch (see `ConverterFactory`)."""
    return ConverterFactory(out_root, options)


def source_training_config(source: Convertible) -> Any:
    """The training configuration the source recorded (HDF5 `training_config`, `.keras`
    `compile_config`), kept in metadata.json so the user can re-compile the uncompiled output."""
    for key in ("training_config", "compile_config"):
        value = source.raw.get(key)
        if value:
            return value
    return None


# The Reading.raw entries a step may use, per source kind (JSON-shaped, sent to the worker).
_READING_KEYS: dict[str, tuple[str, ...]] = {"keras-h5": ("model_config", "training_config")}


def step_reading(source: Convertible) -> dict[str, Any]:
    """What the audit's reader parsed that the first step needs: the HDF5 reader's model_config
    (joined from its `model_config0..N` chunks) and training_config, plus producer facts."""
    keys = _READING_KEYS.get(source.kind, ())
    out: dict[str, Any] = {k: source.raw[k] for k in keys if source.raw.get(k) is not None}
    if keys:
        out["producer"] = dict(source.producer)
        out["details"] = {
            k: source.details[k]
            for k in ("optimizer_weights", "keras_version", "backend")
            if k in source.details
        }
    return out

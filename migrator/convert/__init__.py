"""Conversion: plan -> convert -> validate -> publish, one single-hop step per module.

An artifact is first given a *kind* (what a converter needs to know about it, which is finer than
the audit format: a `saved-model` may be a Keras SavedModel, a TF1 graph export or already a
TF2 serving export). A *step* turns one kind into another and lives in its own module
(`steps/h5_to_keras.py`, `steps/tf1_sm_to_tf2_sm.py`, ...) and declares itself in `registry`;
the planner chains steps from the source kind
to the kind the user asked for, like ONNX's version adapters or alembic's revisions. A missing
link is a `NoConversionPath` that says why and what the user can do.

Nothing here imports TensorFlow: steps import it inside their `run` function, in a worker
process of the latest runtime (see `runtimes.py`), so a crash or hang in one model never stops
a batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.convert import registry
from migrator.convert.registry import Step
from migrator.errors import (
    AlreadyCurrent,
    AlreadyPublished,
    ConversionError,
    NoConversionPath,
    NoFaithfulMapping,
    RuntimeUnavailable,
    UnsafeContent,
    ValidationFailed,
    WorkerCrashed,
)

if TYPE_CHECKING:
    from migrator.model import Artifact

__all__ = [
    "KINDS",
    "TARGETS",
    "TARGET_FOLDERS",
    "AlreadyCurrent",
    "AlreadyPublished",
    "ConversionError",
    "Convertible",
    "NoConversionPath",
    "NoFaithfulMapping",
    "Options",
    "RuntimeUnavailable",
    "Step",
    "UnsafeContent",
    "ValidationFailed",
    "WorkerCrashed",
    "default_targets",
    "no_path_reason",
    "plan",
]

# The kinds a conversion can start from, pass through or end at.
KINDS: dict[str, str] = {
    "keras-h5": "Keras full-model HDF5 (Keras 1, Keras 2, tf.keras or Keras 3 legacy .h5)",
    "keras-weights+arch": "weights-only file (legacy HDF5, .weights.h5 or TF-format checkpoint) "
    "plus an architecture (JSON/YAML beside it, or --model-factory)",
    "keras-savedmodel": "Keras SavedModel written by model.save(dir) under TF 2.x",
    "tf-keras-v3": ".keras zip written by tf.keras 2.13-2.15",
    "tf212-keras-v3": ".keras zip written by tf.keras 2.12 with save_format='keras_v3'",
    "tf1-saved-model": "graph-mode (TF1, estimator, tf.contrib) SavedModel",
    "tf1-keras-export": "graph-mode SavedModel carrying a Keras config in assets/saved_model.json",
    "tfhub-module": "TF1 Hub module (hub.Module format: tfhub_module.pb + graph variants)",
    "graph-def": "frozen GraphDef",
    "tfjs-layers": "TF.js layers model (model.json with a Keras topology + weight shards)",
    "session-bundle": "SessionBundle export (export.meta with serving_signatures + checkpoint)",
    "tf1-checkpoint": "tf.train.Saver checkpoint with its .meta MetaGraph",
    "keras-v3": "Keras 3 .keras file",
    "saved-model": "TF2 SavedModel with a serving_default signature",
    "keras-v3-weights": "Keras 3 .weights.h5 file",
    "mlflow-keras3": "MLflow model folder of the Keras 3 flavor (data/model.keras)",
}

# What `--to` accepts, and the kind each name means.
TARGETS: dict[str, str] = {
    "keras": "keras-v3",
    "saved-model": "saved-model",
    "weights": "keras-v3-weights",
    "mlflow": "mlflow-keras3",
}

# The folder name of each target in the output layout `OUT/<model>/<folder>/v<N>/`.
TARGET_FOLDERS: dict[str, str] = {
    "keras": "keras",
    "saved-model": "savedmodel",
    "weights": "weights",
    "mlflow": "mlflow",
}


@dataclass(frozen=True)
class Options:
    """What the user asked for on the command line (everything a step or validation reads)."""

    targets: tuple[str, ...] = ()  # names from TARGETS; empty means "the default for the kind"
    custom_objects: tuple[str, ...] = ()  # importable module names holding the user's classes
    model_factory: str | None = None  # "module:function" returning a built model
    architecture: Path | None = None  # an explicit JSON/YAML architecture file
    unsafe: bool = False  # allow Lambda layers (runs code stored in the artifact)
    tolerance: float = 1e-5  # max abs difference allowed for float32 outputs
    inputs: Path | None = None  # an .npz of validation inputs, overriding the derived ones
    tags: tuple[str, ...] = ()  # MetaGraph tags to convert (TF1 SavedModels); default: serve
    signature: str | None = None  # signature key to export as serving_default (TF1)
    # Graph tensors to serve ("x:0"), for graphs that do not say their interface (Saver
    # checkpoints, frozen GraphDefs); empty: inferred from the graph.
    input_tensors: tuple[str, ...] = ()
    output_tensors: tuple[str, ...] = ()
    timeout: float = 900.0  # seconds per worker request before the worker is killed
    read_timeout: float = 120.0  # seconds to read one artifact (audit's reader pool deadline)
    read_jobs: int = 2  # reader processes (each forked; a hang or crash costs one artifact)
    seed: int = 1234  # seed of the deterministic validation inputs
    batch: int = 2  # batch size of the validation inputs
    # also write each archive's SavedModels as a SageMaker-style model.tar.gz (convert/archives.py)
    repack: bool = False


@dataclass(frozen=True)
class Convertible:
    """An artifact as the converter sees it: the audit's reading plus the conversion kinds."""

    location: Path  # the file or folder on disk
    rel: str  # POSIX path relative to the converted root ("." for a single artifact)
    format: str  # the audit format id
    kinds: tuple[str, ...]  # every kind this artifact can start from, best first
    producer: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    architecture: Path | None = None  # the JSON/YAML architecture used with a weights file
    facts: Mapping[str, Any] = field(default_factory=dict)  # what classification learned
    # The reader's parsed metadata (`Reading.raw`: the HDF5 reader's joined model_config...),
    # handed to steps so they never re-parse what the audit already read.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The audit's whole reading, for the loadability verdicts that order validation's source
    # runs (`run_order`); None for sources built without one.
    artifact: Artifact | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.kinds[0]


def __getattr__(name: str) -> Any:
    """`STEPS`: every registered step (loaded on first use, so importing this is cheap)."""
    if name == "STEPS":
        return registry.steps()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def step_named(name: str) -> Step:
    """The registered step with this public or module name."""
    return registry.step_named(name)


def plan(source: Convertible, target: str, steps: Sequence[Step] | None = None) -> list[Step]:
    """The shortest chain of steps from any of the source's kinds to the `target` name.

    Raises `AlreadyCurrent` when nothing needs doing and `NoConversionPath` when no chain exists.
    """
    if target not in TARGETS:
        raise ConversionError(
            source.rel,
            f"unknown conversion target {target!r}",
            f"choose one of {', '.join(TARGETS)}",
        )
    goal = TARGETS[target]
    if not source.kinds:
        raise NoConversionPath(source.rel, *no_path_reason(source, target))
    if goal in source.kinds:
        raise AlreadyCurrent(
            source.rel,
            f"already a {KINDS[goal]}; nothing to convert",
            "",
        )
    steps = registry.steps() if steps is None else steps
    best = _best(source, goal, [s for s in steps if s.unmet(source.facts) is None])
    if best is None:
        # A chain exists only through a step this source cannot feed (keras-to-mlflow without
        # an MLflow folder): refused now, with that step's reason, before any runtime starts.
        blocked = _best(source, goal, steps) or []
        unmet = next((u for s in blocked if (u := s.unmet(source.facts))), None)
        raise NoConversionPath(source.rel, *(unmet or no_path_reason(source, target)))
    return best


# The planner under a name nothing shadows: importing the submodule `migrator.convert.plan` (the
# `--plan` command) rebinds this package's attribute `plan` to that module, so a module imported
# after it that did `from migrator.convert import plan` would get the module.
plan_chain = plan


def _best(source: Convertible, goal: str, steps: Sequence[Step]) -> list[Step] | None:
    """The shortest chain from any of the source's kinds to `goal`, else None."""
    best: list[Step] | None = None
    for start in source.kinds:
        path = _shortest(start, goal, steps)
        if path is not None and (best is None or len(path) < len(best)):
            best = path
    return best


def _shortest(start: str, goal: str, steps: Sequence[Step]) -> list[Step] | None:
    if start == goal:
        return []
    queue: deque[tuple[str, list[Step]]] = deque([(start, [])])
    seen = {start}
    while queue:
        kind, path = queue.popleft()
        for step in steps:
            if step.source != kind or step.target in seen:
                continue
            nxt = [*path, step]
            if step.target == goal:
                return nxt
            seen.add(step.target)
            queue.append((step.target, nxt))
    return None


def default_targets(source: Convertible) -> tuple[str, ...]:
    """What `migrator convert` produces when `--to` is not given."""
    kind = source.kind if source.kinds else ""
    if source.format == "mlflow-model":  # the folder again, with a Keras 3 model inside
        return ("mlflow",)
    if kind == "keras-weights+arch":
        return ("keras", "weights")
    if kind == "tf1-keras-export":
        return ("saved-model", "keras")
    graphs = ("tf1-saved-model", "tfhub-module", "graph-def", "saved-model", "session-bundle")
    if kind in (*graphs, "tf1-checkpoint"):
        return ("saved-model",)
    return ("keras",)


# Why some formats have no conversion, and what the user can do instead.
_NO_PATH: dict[str, tuple[str, str]] = {
    "tflite": (
        "a TFLite flatbuffer is a compiled inference graph; no converter turns it back into a "
        "Keras model or a SavedModel",
        "convert the model's original SavedModel or Keras file instead",
    ),
    "tfjs-graph": (
        "a TF.js graph model holds only an inference graph; no path back to Keras or a SavedModel",
        "convert the SavedModel the TF.js model was made from",
    ),
    "session-bundle": (
        "SessionBundle exports (export.meta) predate SavedModel and have no signature_def to serve",
        "re-export from the training code with tf.compat.v1.saved_model, or load "
        "export.meta with tf.compat.v1.train.import_meta_graph and save a SavedModel",
    ),
    "tfhub-module": (
        "a TF1 Hub module is a TF graph with signatures, not a Keras model",
        "convert it --to saved-model and call it from Keras 3 with "
        "keras.layers.TFSMLayer(path, call_endpoint='serving_default')",
    ),
    "keras-json": (
        "an architecture file alone has no weights",
        "keep it beside its weights file (or pass --arch) and convert the weights file",
    ),
    "keras-yaml": (
        "an architecture file alone has no weights",
        "keep it beside its weights file (or pass --arch) and convert the weights file",
    ),
    "unknown": (
        "the artifact could not be identified",
        "run `migrator inspect` on it to see why",
    ),
}


def no_path_reason(source: Convertible, target: str) -> tuple[str, str]:
    """(problem, remedy) for a source that has no chain of steps to `target`."""
    if source.facts.get("no_path"):
        problem, remedy = source.facts["no_path"]
        return str(problem), str(remedy)
    if source.format in _NO_PATH:
        return _NO_PATH[source.format]
    kinds = ", ".join(source.kinds) or "nothing convertible"
    return (
        f"no conversion from {kinds} to {target}",
        f"choose another --to ({', '.join(TARGETS)})",
    )

"""The source's runs in the order the loadability verdicts predict them to load.

Validation tries a source's runs in turn until one loads it (`validate.validate`); the order
`validation_runs` gives is the era's: the newest Keras 2 first, then tf_keras. A file that the
audit already predicts will not load in one of those runtimes (a tf_keras 2.21 HDF5 in
tf.keras 2.12-2.15: InputLayer `optional`) would cost a whole failed load there first, and
start that runtime only to fail in it. So the runs the verdicts predict to fail go last, in
their order, where they stay as the fallback a wrong prediction still reaches: the prediction
only orders, it never removes a run.
"""

from __future__ import annotations

from collections.abc import Sequence

from migrator.convert.runtimes import Runtime
from migrator.convert.validate import Run
from migrator.knowledge.versions import parse
from migrator.loadability import LOADERS_BY_FORMAT, predict_runtime
from migrator.loadability.evidence import Evidence
from migrator.loadability.ranges import loader_range
from migrator.loadability.runtimes import Runtime as VerdictRuntime
from migrator.model import Artifact

# The worker's run_keras loader argument -> the call the verdicts know it as.
_CALLS = {
    "keras": "load_model",
    "config+weights": "load_weights",
    "factory+weights": "load_weights",
}


def verdict_runtime(runtime: Runtime) -> VerdictRuntime | None:
    """The converter's runtime (an interpreter, described by its packages) as the verdicts
    see it (TF, Keras, tf_keras versions); None when its versions cannot be read."""
    tf, keras = parse(runtime.tensorflow or ""), parse(runtime.keras or "")
    if tf is None or keras is None:
        return None
    return VerdictRuntime(tf, keras, parse(runtime.tf_keras or "") if runtime.tf_keras else None)


def _loader(run: Run) -> str | None:
    """The `LOADERS` entry a run makes, or None for runs the verdicts do not cover."""
    if run.op != "run_keras" or run.args.get("loader") not in _CALLS:
        return None
    package = "tf_keras" if run.args.get("flavour") == "tf_keras" else "keras"
    return f"{package}.{_CALLS[run.args['loader']]}"


def predicted_fails(run: Run, evidence: Evidence) -> bool:
    """True when the verdicts predict this run cannot load the source."""
    loader = _loader(run)
    runtime = verdict_runtime(run.runtime)
    if loader is None or runtime is None:
        return False
    prediction = predict_runtime(evidence, runtime).get(loader)
    return prediction is not None and prediction.verdict == "fails"


def by_prediction(runs: Sequence[Run], artifact: Artifact | None) -> list[Run]:
    """`runs` with those predicted to fail moved last (a stable order otherwise)."""
    if artifact is None or artifact.errors or artifact.format not in LOADERS_BY_FORMAT:
        return list(runs)
    evidence = Evidence.of(artifact)
    failing = [predicted_fails(run, evidence) for run in runs]
    return [r for r, f in zip(runs, failing, strict=True) if not f] + [
        r for r, f in zip(runs, failing, strict=True) if f
    ]


# The model loaders a source run can be (`_CALLS`), whose ranges say where the source runs.
_MODEL_LOADERS = ("keras.load_model", "tf_keras.load_model")


def where_it_loads(artifact: Artifact | None) -> str:
    """Where the verdicts say a model loader loads the source ("keras.load_model: tf.keras
    2.13"), for the message of a source no installed runtime could run; "" when unknown."""
    if artifact is None or artifact.errors or artifact.format not in LOADERS_BY_FORMAT:
        return ""
    evidence = Evidence.of(artifact)
    wanted = LOADERS_BY_FORMAT[artifact.format]
    parts = []
    for loader in _MODEL_LOADERS:
        if loader in wanted:
            found = loader_range(evidence, loader)
            if found.spans:
                parts.append(f"{loader}: {found.text}")
    return "; ".join(parts)

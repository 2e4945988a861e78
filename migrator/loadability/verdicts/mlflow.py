"""`mlflow.pyfunc.load_model` on an MLflow model folder, with the newest MLflow in each TF line.

pyfunc hands the folder to the module `python_function.loader_module` names, and that module of
the *installed* MLflow (judged: the current lines, >= 2.11; checked in mlflow 2.22.5 and 3.17.2,
which load alike) opens the model inside:

- `mlflow.keras`, where the `keras` package is Keras 3 (TF >= 2.16): the Keras 3 flavor,
  `keras.saving.load_model` on `<data>/model.keras`, or `tf.saved_model.load(<data>/model)` with
  `save_exported_model`; a folder of the older `keras` flavor is looked for as `data/data.keras`;
- `mlflow.keras` under Keras 2 (TF <= 2.15) is `mlflow.tensorflow`'s loader, which still reads
  the 1.x `keras` flavor and looks for a Keras 3 flavor's model as `model.h5`;
- `mlflow.tensorflow`: `model_type: keras` -> `<keras_module.txt>.models.load_model` on
  `data/model[.h5|.keras]` (`tensorflow.keras` is Keras 3 from TF 2.16, tf_keras with
  `TF_USE_LEGACY_KERAS=1`); `tf2-module` / `tf1-estimator` -> `tf.saved_model.load`.

Where each loader looks is computed by the reader as MLflow computes it (`loader_paths`); a
loader that looks elsewhere than where the model is fails with a missing file.

So the verdict is the inner model's own verdict for the call MLflow makes, which the existing
verdicts already predict; this module only says which call that is. Folders of other flavors
(sklearn, a custom pyfunc) are not TensorFlow's to judge: `NotJudged` leaves them without cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from migrator.knowledge.loaders import KERAS2_SRC_PACKAGE_SINCE
from migrator.knowledge.mlflow import (
    KERAS2_SRC_MODULES_ADDED,
    KERAS_FLAVOR_NEEDS_KERAS,
    TF_LOADER_MODULES,
    TF_PYFUNC_DEFAULT_SAVE_FORMAT,
)
from migrator.knowledge.versions import Version, parse, render
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Prediction, fails, quote
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import verdict, verdict_for
from migrator.loadability.runtimes import keras_of_tf, tf_keras_of_tf
from migrator.model import Artifact, Reading

CALL = "mlflow.pyfunc.load_model"
LEGACY_KERAS = "TF_USE_LEGACY_KERAS=1 (with tf-keras installed) so `tensorflow.keras` is tf_keras"


class NotJudged(ValueError):
    """The folder holds no TensorFlow/Keras model; `loadability.judge` leaves it without cells."""


@verdict(
    CALL,
    "mlflow-model",
    evidence="knowledge.mlflow.TF_LOADER_MODULES, KERAS_FLAVOR_NEEDS_KERAS, "
    "TF_PYFUNC_DEFAULT_SAVE_FORMAT (mlflow 2.22.5 and 3.17.2 mlflow/keras/, "
    "mlflow/tensorflow/__init__.py); measured on corpus/mlflow with MLflow 2.22.5 and 3.17.2 in "
    "every TF line 2.12-2.21 and three Keras 3 overlays (corpus/mlflow/measured.json, "
    "tests/test_mlflow_measured.py; tf221 again live in tests/test_mlflow_tf.py)",
)
def pyfunc_load_model(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """The verdict of the call MLflow's loader_module makes on the model inside the folder."""
    details = ev.details
    module = details.get("loader_module")
    if module not in TF_LOADER_MODULES or not details.get("model_path"):
        raise NotJudged(f"loader_module {module!r} is not a TensorFlow/Keras flavor")
    inner = ev.artifact.reading.raw.get("model_reading")
    where = details["model_path"]
    if not isinstance(inner, Reading):
        return fails(
            f"the model inside (`{where}`) cannot be read: {details.get('model_error') or 'no reader recognises it'}"
        )
    layout = details.get("layout")
    blocked = _pickled_keras_internals(ev, profile)
    if blocked:
        return fails(blocked)
    keras3 = keras_of_tf(profile.tf_version) is None  # is the `keras` package Keras 3 here?
    if module == "mlflow.keras" and keras3:
        missing = _opens_elsewhere(ev, "mlflow.keras", "the Keras 3 flavor's `mlflow.keras`")
        if missing:
            return fails(missing)
        if details.get("save_exported_model"):
            return _inner(ev, inner, "tf.saved_model.load", profile, "mlflow.keras (exported)")
        return _inner(ev, inner, "load_model", profile, "mlflow.keras")
    if details.get("model_type") in ("tf2-module", "tf1-estimator") or layout == (
        "tensorflow-savedmodel"
    ):
        return _inner(ev, inner, "tf.saved_model.load", profile, "mlflow.tensorflow")
    if module == "mlflow.keras":
        loader = (
            f"`mlflow.keras`, which with Keras {render(profile.version)} (below "
            f"{KERAS_FLAVOR_NEEDS_KERAS}) is `mlflow.tensorflow`'s loader,"
        )
    else:
        loader = "`mlflow.tensorflow`"
    missing = _opens_elsewhere(ev, "mlflow.tensorflow", loader)
    if missing:
        return fails(missing)
    keras_module = details.get("keras_module") or "tensorflow.keras"
    via = f"mlflow.tensorflow ({keras_module})"
    if module == "mlflow.keras":
        via = f"mlflow.keras (Keras 2: {via})"
    cell = _inner(ev, inner, "load_model", profile, via)
    tf_keras = tf_keras_of_tf(profile.tf_version)
    if cell.verdict != "fails" or keras_module != "tensorflow.keras" or tf_keras is None:
        return cell
    legacy = LoaderProfile("tf_keras", tf_keras, profile.tf)
    fallback = _inner(ev, inner, "load_model", legacy, "mlflow.tensorflow (tf_keras)")
    if fallback.verdict == "fails":
        return cell
    return Prediction(
        "loads-with-changes",
        f"set {LEGACY_KERAS}: {cell.reason}; with tf_keras: {fallback.reason}",
        fallback.needs,
    )


def _opens_elsewhere(ev: Evidence, loader: str, who: str) -> str | None:
    """Why `loader` will not find the model, when the path it computes is not where the folder
    keeps it (`MLflowDetails.loader_paths`, as MLflow computes it), else None."""
    details = ev.details
    opens = (details.get("loader_paths") or {}).get(loader)
    where = details["model_path"]
    if opens is None or opens == where:
        return None
    writer = details.get("mlflow_version")
    made = f"MLflow {writer}" if writer else "an MLflow that recorded no version"
    hint = ""
    if loader == "mlflow.tensorflow" and opens.endswith(".h5") and not where.endswith(".h5"):
        hint = (
            f" (`{TF_PYFUNC_DEFAULT_SAVE_FORMAT}` is its save format when no save_format.txt says)"
        )
    return (
        f"{who} opens `{opens}`{hint}, but this `{details.get('model_flavor')}` flavor folder "
        f"written by {made} keeps the model in `{where}`; convert the folder "
        "(`migrator convert`) or load it where its writer's loader runs"
    )


def _pickled_keras_internals(ev: Evidence, profile: LoaderProfile) -> str | None:
    """Pickled custom objects naming `keras.src.*` modules the runtime's `keras` lacks:
    unpickling imports them by path before the model is built. The same Keras line has them; so
    does any tf.keras 2.13-2.15 for a 2.13-2.15 writer (one `keras/src/` tree:
    `knowledge.mlflow.KERAS2_SRC_MODULES_ADDED`); elsewhere the tree differs (tf.keras 2.12 has
    no `keras.src`, Keras 3 another layout: MLflow 2.10-2.22 pickle Keras 2.15's whole registry,
    `keras.src.models.sharpness_aware_minimization` among it, which no Keras 3 has; measured
    in TF 2.12-2.21, corpus/mlflow/measured.json). Keras 3 writers are held to their own line:
    their internal modules move between minors and no MLflow measured pickles them."""
    names = [
        str(name)
        for entry in ev.details.get("pickled_files") or []
        if isinstance(entry, Mapping)
        for name in entry.get("imports") or []
        if str(name).startswith("keras.src.")
    ]
    writer = _writer_keras(ev)
    runtime = keras_of_tf(profile.tf_version) or profile.version[:2]
    if not names or writer is None or writer == runtime[:2]:
        return None
    if _keras2_src_tree(writer) and _keras2_src_tree(runtime):
        late = [n for n in names if _module_added(n) > runtime[:2]]
        if not late:
            return None
        return (
            f"the pickled custom objects import {quote(late, 2)}, a module Keras "
            f"{render(runtime[:2])} does not have yet: unpickling them in {profile.name} fails"
        )
    return (
        f"the pickled custom objects import {quote(names, 2)} from Keras {render(writer)}'s "
        f"internal modules, which Keras {render(runtime[:2])} does not lay out alike: "
        f"unpickling them in {profile.name} fails at the first path it lacks"
    )


def _keras2_src_tree(version: Version) -> bool:
    """A tf.keras 2.x with the `keras/src/` tree of 2.13-2.15."""
    return version[0] == 2 and version[:2] >= KERAS2_SRC_PACKAGE_SINCE


def _module_added(name: str) -> Version:
    """The tf.keras release that added the module `name` (a class path) belongs to, or 2.13."""
    for module, since in KERAS2_SRC_MODULES_ADDED.items():
        if name == module or name.startswith(module + "."):
            return since
    return KERAS2_SRC_PACKAGE_SINCE


def _writer_keras(ev: Evidence) -> Version | None:
    """The Keras line that wrote the folder: the keras flavor's keras_version, or for the
    tensorflow flavor (whose `keras_version` is tf.__version__) tf.keras of that TF, else the
    `keras` pin of a Keras 3 environment."""
    recorded = parse(ev.details.get("keras_version"))
    if recorded and ev.details.get("model_flavor") == "keras":
        return recorded[:2]
    if recorded:
        tf_keras = keras_of_tf(recorded)
        if tf_keras is not None:
            return tf_keras
    for pins in (ev.details.get("pins") or {}).values():
        pinned = (
            parse(str(pins.get("keras", "")).lstrip("=<>~!")) if isinstance(pins, Mapping) else None
        )
        if pinned:
            return pinned[:2]
    return None


def _inner(ev: Evidence, inner: Reading, call: str, profile: LoaderProfile, via: str) -> Prediction:
    """The existing verdict of `call` on the inner model, its reason saying how MLflow got there."""
    artifact = Artifact(
        f"{ev.artifact.path}/{ev.details['model_path']}",
        ev.artifact.location / str(ev.details["model_path"]),
        inner,
    )
    if inner.errors:
        return fails(f"{via}: the model inside cannot be read ({inner.errors[0]})")
    try:
        cell = verdict_for(call, inner.format).run(Evidence.of(artifact), profile)
    except KeyError:
        return fails(f"{via} calls {call}, which does not take a {inner.format} artifact")
    return replace(cell, reason=f"{via} -> {call}: {cell.reason}")

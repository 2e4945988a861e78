"""Artifact rules about SavedModels (MIG101-MIG107): Keras SavedModels, TF1 and estimator exports,
meta graphs and signatures that Keras 3 and TF2 serving no longer handle as they were written.
"""

from __future__ import annotations

from collections.abc import Mapping

from migrator.facts import (
    savedmodel_keras_source,
    short_list,
)
from migrator.knowledge.keras3 import KERAS3
from migrator.knowledge.savedmodel import KERAS_METADATA_PB_SINCE_TF
from migrator.knowledge.versions import at_least
from migrator.knowledge.versions import render as render_version
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.artifacts._common import (
    CONVERT_KERAS,
    detail,
    made_by,
    meta_graphs,
    signature_keys,
    user_signatures,
)

# --- SavedModels ------------------------------------------------------------------------------


@artifact_rule(
    "MIG101",
    "keras-savedmodel",
    title="Keras SavedModel written by `model.save(dir)`",
    severity="high",
    deprecated_in="TF 2.13 (`model.save` recommends `.keras`; the SavedModel route is legacy)",
    breaks_in=f'{KERAS3}: `keras.models.load_model` raises ValueError "File format not '
    'supported ... the legacy SavedModel format is not supported by `load_model()` in Keras 3"',
    convert="savedmodel-to-keras",
    formats=("saved-model",),
)
def keras_savedmodel(artifact: Artifact) -> Hit | None:
    """A TF2 SavedModel holding a Keras model: what `model.save("dir")` wrote up to TF 2.15.

    The folder carries Keras metadata (`keras_metadata.pb` from TF 2.5, or the object graph
    before that) so that tf.keras could rebuild the Python model. Keras 3 cannot:
    `keras.models.load_model` refuses folders and only offers `keras.layers.TFSMLayer` to call a
    signature for inference. `tf.saved_model.load` and TF Serving still run the traced
    signatures, but training, fine-tuning and `model.summary()` need the Keras model back.

    Fix: convert the folder to a `.keras` file (`migrator convert --to keras`, or load it with
    `tf_keras` and save `model.save("model.keras")`); for serving, export with
    `model.export(dir)` from the converted model.
    """
    if not detail(artifact, "keras") or detail(artifact, "era") != "tf2":
        return None
    source = savedmodel_keras_source(artifact)
    serving = "serving_default" in signature_keys(artifact)
    note = (
        "tf.saved_model.load and TF Serving still run its serving_default signature"
        if serving
        else "it has no serving_default signature either"
    )
    return Hit(
        f"Keras SavedModel written by `model.save(dir)` ({made_by(artifact)}; Keras metadata "
        f"in {source}): Keras 3 `load_model` refuses SavedModel folders ({note})",
        f"{CONVERT_KERAS} (or load it with tf_keras and save `model.keras`), and serve from "
        "`model.export()`",
    )


@artifact_rule(
    "MIG102",
    "keras-savedmodel-no-metadata",
    title="Keras SavedModel from TF 2.0-2.4 without `keras_metadata.pb`",
    severity="medium",
    deprecated_in='TF 2.5 (Keras metadata moved to `keras_metadata.pb`; tf.keras warns "SavedModel '
    'saved prior to TF 2.5 detected when loading Keras model")',
    breaks_in=f"{KERAS3}: no Keras 3 loader reads it; only tf.keras/tf_keras keep the legacy "
    "object-graph path",
    convert="savedmodel-to-keras",
    formats=("saved-model",),
)
def keras_savedmodel_without_metadata(artifact: Artifact) -> Hit | None:
    """A Keras SavedModel whose Keras metadata lives only in the object graph.

    Before TF 2.5, `model.save(dir)` stored each layer's Keras config inside the
    `SavedObjectGraph` user objects; TF 2.5 moved it to `keras_metadata.pb`. tf.keras and
    tf_keras still rebuild such models through a fallback path (with a warning), every other tool
    that looks for `keras_metadata.pb` (Keras 3's converters, model viewers) sees no Keras model.

    Fix: convert it while a tf_keras runtime can still rebuild it: `migrator convert --to keras`,
    or `tf_keras.models.load_model(dir).save("model.keras")`.
    """
    if not detail(artifact, "keras") or detail(artifact, "keras_source") != "object_graph":
        return None
    tf = artifact.producer.get("tensorflow_version")
    since = render_version(KERAS_METADATA_PB_SINCE_TF)
    if not tf:
        saved = f"saved before TF {since}"
    elif at_least(tf, KERAS_METADATA_PB_SINCE_TF):
        saved = f"saved by TF {tf} without `model.save`, which writes it since TF {since}"
    else:
        saved = f"saved by TF {tf}, before TF {since}"
    return Hit(
        f"Keras SavedModel without keras_metadata.pb ({saved}): the "
        "Keras config exists only inside the object graph, which only tf.keras/tf_keras read",
        f"{CONVERT_KERAS} while a tf_keras runtime can still rebuild it",
    )


@artifact_rule(
    "MIG103",
    "tf1-savedmodel",
    title="TF1 graph-mode SavedModel (no object graph)",
    severity="medium",
    deprecated_in="TF 2.0 (`SavedModelBuilder`/`simple_save` moved to `tf.compat.v1`)",
    breaks_in="TF 2.x: loads only as TF1 signatures (`tf.saved_model.load` wraps the graph, "
    "`tf.compat.v1.saved_model.load` needs a Session); no trackable objects, no Keras model",
    convert="tf1-savedmodel-to-tf2",
    formats=("saved-model",),
)
def tf1_savedmodel(artifact: Artifact) -> Hit | None:
    """A SavedModel written in graph mode (SavedModelBuilder, estimators, `tf.compat.v1`).

    It has no `SavedObjectGraph`, so TF2 has nothing to restore but the graph and its
    signatures: `tf.saved_model.load` wraps each signature with `wrap_function`, variables are
    not trackable, and Keras cannot load it. TF Serving still serves it.

    Fix: re-export it as a TF2 SavedModel with a `serving_default` signature
    (`migrator convert --to saved-model`), or rebuild the model in Keras and load its weights.
    """
    if detail(artifact, "era") != "tf1":
        return None
    tags = [",".join(g.get("tags") or []) or "(no tags)" for g in meta_graphs(artifact)]
    return Hit(
        f"TF1 graph-mode SavedModel ({made_by(artifact)}; MetaGraph tags {short_list(tags)}; "
        "no object graph): TF2 loads only its signatures through the v1 compatibility path",
        "re-export it as a TF2 SavedModel with `migrator convert --to saved-model` "
        "(tf1-savedmodel-to-tf2)",
    )


@artifact_rule(
    "MIG104",
    "keras-contrib-export",
    title="tf.contrib / `tf.keras.experimental` Keras export (`assets/saved_model.json`)",
    severity="high",
    deprecated_in="TF 1.15 (`tf.contrib.saved_model.save_keras_model` deprecated)",
    breaks_in="TF 2.0: `tf.contrib` removed; TF 2.1: `tf.keras.experimental.load_from_saved_model` "
    "removed, so no Keras release can load these exports as Keras models",
    convert="tf1-keras-export-to-keras",
    formats=("saved-model",),
)
def keras_contrib_export(artifact: Artifact) -> Hit | None:
    """`tf.contrib.saved_model.save_keras_model` / `tf.keras.experimental.export_saved_model`.

    These TF 1.13-2.0 APIs wrote a timestamped graph-mode SavedModel with one MetaGraph per mode
    (`serve`, plus `train` and `eval` when compiled) and the model's JSON config in
    `assets/saved_model.json`. The loaders that turned it back into a Keras model are gone; TF2
    sees only TF1 signatures, and `tf.saved_model.load` even needs `tags=` to pick a MetaGraph.

    Fix: rebuild the Keras model from `assets/saved_model.json` and assign the variables by name
    (`migrator convert --to keras` does this), then save `.keras`.
    """
    if detail(artifact, "keras_source") != "assets/saved_model.json":
        return None
    tags = [",".join(g.get("tags") or []) for g in meta_graphs(artifact)]
    layout = detail(artifact, "layout") or {}
    where = (
        f" in timestamp folder {layout.get('version_folder')}"
        if layout.get("kind") == "timestamped-export"
        else ""
    )
    return Hit(
        f"tf.contrib/tf.keras.experimental Keras export{where} (assets/saved_model.json, "
        f"MetaGraphs {short_list(tags)}, {made_by(artifact)}): the APIs that loaded it as a "
        "Keras model were removed in TF 2.0/2.1",
        f"{CONVERT_KERAS} (it rebuilds the model from assets/saved_model.json)",
    )


_ESTIMATOR_METHODS = ("tensorflow/serving/classify", "tensorflow/serving/regress")


def _estimator_markers(artifact: Artifact) -> list[str]:
    """What says an Estimator wrote this export (its parsing receiver, contrib.learn alternatives).

    classify/regress signatures alone do not: SavedModelBuilder code writes them too (TF Serving's
    half_plus_two test models).
    """
    markers = []
    for graph in meta_graphs(artifact):
        for key, signature in (graph.get("signatures") or {}).items():
            if not isinstance(signature, Mapping):
                continue
            if "_input_alternative:" in key:
                markers.append(f"tf.contrib.learn signature `{key}`")
            inputs = signature.get("inputs")
            if isinstance(inputs, Mapping) and any(
                isinstance(v, Mapping) and v.get("name") == "input_example_tensor:0"
                for v in inputs.values()
            ):
                markers.append(f"`{key}` parses tf.Example input (input_example_tensor)")
    if not markers:
        return []
    layout = detail(artifact, "layout") or {}
    if layout.get("kind") == "timestamped-export":
        markers.insert(0, f"timestamp export folder {layout.get('version_folder')}")
    return list(dict.fromkeys(markers))


@artifact_rule(
    "MIG105",
    "estimator-export",
    title="Estimator / `export_savedmodel` export",
    severity="medium",
    breaks_in="TF 2.16: `tf.estimator` removed (tensorflow_estimator is no longer installed), so "
    "the model can no longer be retrained or re-exported with the code that made it",
    convert="tf1-savedmodel-to-tf2",
    formats=("saved-model",),
)
def estimator_export(artifact: Artifact) -> Hit | None:
    """A graph-mode SavedModel written by an Estimator (`export_saved_model` / `export_savedmodel`).

    Estimators export into unix-timestamp folders, with classify/regress/predict signatures that
    parse serialized `tf.Example` protos. TF Serving still serves them and TF2 can call their
    signatures, but `tf.estimator` is gone from TF 2.16, so the training code that produced them
    no longer runs.

    Fix: keep serving the export as it is, and plan the move of the model to Keras; a TF2
    SavedModel with `serving_default` can be produced with `migrator convert --to saved-model`.
    """
    if (
        detail(artifact, "era") != "tf1"
        or detail(artifact, "keras_source") == "assets/saved_model.json"
    ):
        return None
    markers = _estimator_markers(artifact)
    if not markers:
        return None
    return Hit(
        f"Estimator export ({short_list(markers, 3)}; {made_by(artifact)}): tf.estimator was "
        "removed in TF 2.16, so the code that trains and exports it no longer runs",
        "keep serving it as is, re-export a TF2 SavedModel with `migrator convert --to "
        "saved-model`, and move the model to Keras",
    )


@artifact_rule(
    "MIG106",
    "multiple-metagraphs",
    title="SavedModel with several MetaGraphs (train/eval/serve)",
    severity="medium",
    breaks_in='TF 2.x `tf.saved_model.load(dir)` raises ValueError "Importing a SavedModel with '
    '`tf.saved_model.load` requires a `tags=` argument if there is more than one MetaGraph"',
    convert="tf1-savedmodel-to-tf2",
    formats=("saved-model",),
)
def multiple_metagraphs(artifact: Artifact) -> Hit | None:
    """A SavedModel with more than one MetaGraph (TF1 `add_meta_graph`, estimators, tf.contrib).

    TF1 exporters saved one graph per mode (`train`, `eval`, `serve`) in one SavedModel. TF2's
    `tf.saved_model.load` refuses to guess which one to load, and tools that assume one graph
    (TFLite converter, TF.js converter defaults) pick the wrong one or fail.

    Fix: pass `tags=["serve"]` when loading, or re-export only the serving graph as a TF2
    SavedModel (`migrator convert --to saved-model --tags serve`).
    """
    graphs = meta_graphs(artifact)
    if len(graphs) < 2:
        return None
    tags = [",".join(g.get("tags") or []) or "(no tags)" for g in graphs]
    return Hit(
        f"{len(graphs)} MetaGraphs in one SavedModel (tags {short_list(tags)}): "
        "`tf.saved_model.load` raises ValueError unless `tags=` picks one",
        'load it with `tags=["serve"]`, or re-export the serving graph alone with '
        "`migrator convert --to saved-model --tags serve`",
    )


@artifact_rule(
    "MIG107",
    "no-serving-default",
    title="SavedModel without a `serving_default` signature",
    severity="medium",
    breaks_in="TF Serving, `saved_model_cli run` and `keras.layers.TFSMLayer` default to the "
    "`serving_default` signature and fail without one (every TF version)",
    convert="tf1-savedmodel-to-tf2",
    formats=("saved-model",),
)
def no_serving_default(artifact: Artifact) -> Hit | None:
    """No MetaGraph of the SavedModel has a `serving_default` signature.

    Serving infrastructure calls `serving_default` unless told otherwise: TF Serving requests
    without `signature_name`, `TFSMLayer(call_endpoint="serving_default")`, the TFLite and TF.js
    converters. `tf.saved_model.save` of a module without signatures, custom-tag TF1 exports
    (tf.Transform's `transform_signature`) and train/eval graphs have none.

    Fix: re-export with an explicit signature (`tf.saved_model.save(obj, dir,
    signatures={"serving_default": fn})`, `model.export(dir)`), or convert a TF1 export with
    `migrator convert --to saved-model --signature NAME`.
    """
    if not meta_graphs(artifact) or "serving_default" in signature_keys(artifact):
        return None
    found = user_signatures(artifact)
    have = f"it has only {short_list(found)}" if found else "it has no callable signature at all"
    return Hit(
        f"no `serving_default` signature ({have}): TF Serving, TFSMLayer and the TFLite/TF.js "
        "converters use `serving_default` unless told otherwise",
        're-export with `signatures={"serving_default": ...}` (or `model.export()`), or '
        "`migrator convert --to saved-model --signature NAME`",
    )

"""Artifact rules (MIG1xx): model files and folders that current TensorFlow/Keras cannot load as-is.

Each rule is one decorated function that reads only what the format readers recorded
(``Reading.details``, ``Reading.raw``, ``Reading.producer``): no file is opened here, nothing is
loaded, and TensorFlow is never imported. Messages name the culprit (the file's own version
strings, the layers, the missing files) and end with the remedy.

Behaviour quoted in the docs was checked by loading files under Keras 3.15.1 / TF 2.21.0 and
tf.keras 2.15.1 / TF 2.15.1 (legacy HDF5 optimizer state, Keras 2 JSON architectures, TF-op
layers, mislabeled weights and checkpoints), and read in the sources of keras-team/keras
(``saving_api.py``, ``legacy/saving/legacy_h5_format.py``), tf_keras 2.21
(``saving/legacy/hdf5_format.py``, ``saved_model/load.py``) and TensorFlow
(``saved_model/load_v1_in_v2.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from migrator.facts import (
    custom_classes,
    custom_training_objects,
    extension_matches,
    keras3_config_issues,
    model_config,
    savedmodel_keras_source,
    short_list,
    training_config,
)
from migrator.formats import keras_config
from migrator.knowledge.keras3 import KERAS3, REMOVED_LAYER_CLASSES, UNRESOLVED_LOSS_ALIASES
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule

CONFIG_FORMATS = ("keras-h5", "keras-json", "keras-yaml", "tfjs-layers", "saved-model")
_CONVERT_KERAS = "convert it with `migrator convert --to keras`"


def _d(artifact: Artifact, key: str, default: Any = None) -> Any:
    return artifact.details.get(key, default)


def _made_by(artifact: Artifact) -> str:
    """`Keras 2.15.0, TF 2.15.0`: the versions the artifact records, for messages."""
    parts = []
    keras = artifact.producer.get("keras_version")
    if keras:
        parts.append(f"Keras {keras}")
    tf = artifact.producer.get("tensorflow_version")
    if tf:
        parts.append(f"TF {tf}")
    backend = artifact.producer.get("backend")
    if backend and backend != "tensorflow":
        parts.append(f"{backend} backend")
    return ", ".join(parts) if parts else "no version recorded"


def _meta_graphs(artifact: Artifact) -> list[Mapping[str, Any]]:
    graphs = _d(artifact, "meta_graphs") or []
    return [g for g in graphs if isinstance(g, Mapping)]


def _signature_keys(artifact: Artifact) -> list[str]:
    keys: list[str] = []
    for graph in _meta_graphs(artifact):
        for key in graph.get("signatures") or {}:
            if key not in keys:
                keys.append(key)
    return keys


def _user_signatures(artifact: Artifact) -> list[str]:
    return [k for k in _signature_keys(artifact) if not k.startswith("__saved_model_")]


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
    if not _d(artifact, "keras") or _d(artifact, "era") != "tf2":
        return None
    source = savedmodel_keras_source(artifact)
    serving = "serving_default" in _signature_keys(artifact)
    note = (
        "tf.saved_model.load and TF Serving still run its serving_default signature"
        if serving
        else "it has no serving_default signature either"
    )
    return Hit(
        f"Keras SavedModel written by `model.save(dir)` ({_made_by(artifact)}; Keras metadata "
        f"in {source}): Keras 3 `load_model` refuses SavedModel folders ({note})",
        f"{_CONVERT_KERAS} (or load it with tf_keras and save `model.keras`), and serve from "
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
    if not _d(artifact, "keras") or _d(artifact, "keras_source") != "object_graph":
        return None
    tf = artifact.producer.get("tensorflow_version") or "TF 2.0-2.4"
    return Hit(
        f"Keras SavedModel without keras_metadata.pb (saved by TF {tf}, before TF 2.5): the "
        "Keras config exists only inside the object graph, which only tf.keras/tf_keras read",
        f"{_CONVERT_KERAS} while a tf_keras runtime can still rebuild it",
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
    if _d(artifact, "era") != "tf1":
        return None
    tags = [",".join(g.get("tags") or []) or "(no tags)" for g in _meta_graphs(artifact)]
    return Hit(
        f"TF1 graph-mode SavedModel ({_made_by(artifact)}; MetaGraph tags {short_list(tags)}; "
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
    if _d(artifact, "keras_source") != "assets/saved_model.json":
        return None
    tags = [",".join(g.get("tags") or []) for g in _meta_graphs(artifact)]
    layout = _d(artifact, "layout") or {}
    where = (
        f" in timestamp folder {layout.get('version_folder')}"
        if layout.get("kind") == "timestamped-export"
        else ""
    )
    return Hit(
        f"tf.contrib/tf.keras.experimental Keras export{where} (assets/saved_model.json, "
        f"MetaGraphs {short_list(tags)}, {_made_by(artifact)}): the APIs that loaded it as a "
        "Keras model were removed in TF 2.0/2.1",
        f"{_CONVERT_KERAS} (it rebuilds the model from assets/saved_model.json)",
    )


_ESTIMATOR_METHODS = ("tensorflow/serving/classify", "tensorflow/serving/regress")


def _estimator_markers(artifact: Artifact) -> list[str]:
    """What says an Estimator wrote this export (its parsing receiver, contrib.learn alternatives).

    classify/regress signatures alone do not: SavedModelBuilder code writes them too (TF Serving's
    half_plus_two test models).
    """
    markers = []
    for graph in _meta_graphs(artifact):
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
    layout = _d(artifact, "layout") or {}
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
    if _d(artifact, "era") != "tf1" or _d(artifact, "keras_source") == "assets/saved_model.json":
        return None
    markers = _estimator_markers(artifact)
    if not markers:
        return None
    return Hit(
        f"Estimator export ({short_list(markers, 3)}; {_made_by(artifact)}): tf.estimator was "
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
    graphs = _meta_graphs(artifact)
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
    if not _meta_graphs(artifact) or "serving_default" in _signature_keys(artifact):
        return None
    found = _user_signatures(artifact)
    have = f"it has only {short_list(found)}" if found else "it has no callable signature at all"
    return Hit(
        f"no `serving_default` signature ({have}): TF Serving, TFSMLayer and the TFLite/TF.js "
        "converters use `serving_default` unless told otherwise",
        're-export with `signatures={"serving_default": ...}` (or `model.export()`), or '
        "`migrator convert --to saved-model --signature NAME`",
    )


# --- Keras configs of every era -----------------------------------------------------------------


def _keras1_markers(artifact: Artifact) -> list[str]:
    found = model_config(artifact)
    if found is None:
        return []
    style, markers = keras_config.config_style(found.config)
    return markers if style == "keras1" else []


@artifact_rule(
    "MIG108",
    "keras1-config",
    title="Keras 1 model config (layer classes and arguments Keras 2 renamed or removed)",
    severity="high",
    deprecated_in="Keras 2.0 (2017: `Convolution2D`, `nb_filter`, `border_mode`, `init`, `Merge`, "
    "`TimeDistributedDense`, `MaxoutDense`, `Highway` renamed or moved to legacy)",
    breaks_in="tf.keras (all versions) and Keras 3: unknown classes and keyword arguments; only "
    "standalone Keras 2.0-2.3 translated most Keras 1 configs on load",
    convert="h5-to-keras",
    formats=("keras-h5", "keras-json", "keras-yaml", "tfjs-layers"),
)
def keras1_config(artifact: Artifact) -> Hit | None:
    """A model config written by Keras 1.x.

    Keras 2.0 renamed most layer arguments (`output_dim` -> `units`, `nb_filter` ->
    `filters`, `border_mode` -> `padding`, `init` -> `kernel_initializer`, `dim_ordering` ->
    `data_format`...), renamed layers (`Convolution2D` -> `Conv2D`) and dropped others (`Merge`,
    `TimeDistributedDense`, `MaxoutDense`, `Highway`, `AtrousConvolution2D`). tf.keras and Keras 3
    have no translation layer, so the config cannot be deserialized.

    Fix: convert it with `migrator convert --to keras`, which rewrites the layers and arguments
    to their Keras 3 equivalents (and refuses those without a faithful equivalent), or rebuild the
    architecture in code and load the weights.
    """
    markers = _keras1_markers(artifact)
    if not markers and _d(artifact, "keras_major") != 1:
        return None
    what = short_list(markers, 5) if markers else "no Keras 2 markers"
    return Hit(
        f"Keras 1 model config ({_made_by(artifact)}; {what}): tf.keras and Keras 3 cannot "
        "deserialize Keras 1 layer classes and arguments",
        f"{_CONVERT_KERAS}, which renames them for Keras 3",
    )


_CONV = ("Conv", "Convolution", "Deconvolution")


def _conv_layers(artifact: Artifact) -> list[str]:
    found = model_config(artifact)
    if found is not None:
        return [
            f"{path} ({entry['class_name']})"
            for path, entry in keras_config.iter_layers(found.config)
            if any(entry["class_name"].startswith(p) for p in _CONV)
            or "Conv2DTranspose" in entry["class_name"]
        ]
    layers = []
    for layer in _d(artifact, "weights") or []:  # weights-only files: kernels of rank 3 to 5
        if not isinstance(layer, Mapping):
            continue
        shapes = [w.get("shape") for w in layer.get("weights") or [] if isinstance(w, Mapping)]
        if any(isinstance(s, list) and 3 <= len(s) <= 5 for s in shapes):
            layers.append(str(layer.get("layer")))
    return layers


@artifact_rule(
    "MIG109",
    "theano-conv-kernels",
    title="Convolution kernels trained with the Theano backend",
    severity="high",
    deprecated_in="Keras 2.2 era (Theano development ended in 2017; Keras 2.3 was the last "
    "multi-backend release)",
    breaks_in="Keras >= 2.12 / tf_keras and Keras 3 load Theano kernels without flipping them "
    "(standalone Keras 2 flipped them on load): outputs are silently wrong",
    convert="h5-to-keras",
    formats=("keras-h5", "keras-h5-weights", "keras-json", "keras-yaml"),
)
def theano_conv_kernels(artifact: Artifact) -> Hit | None:
    """Convolution weights saved by Keras with the Theano backend.

    Theano's convolution flips the kernel (a true convolution), TensorFlow's does not (a
    correlation). Standalone Keras 2 converted kernels on load when the file's `backend`
    attribute said `theano` (`preprocess_weights_for_loading`); the Keras shipped with TF 2.12+,
    tf_keras and Keras 3 do not, so a Theano-trained CNN loads without error and predicts wrong.
    Dense and recurrent weights are the same in both backends.

    Fix: convert with `migrator convert`, which flips the spatial axes of every convolution
    kernel of a Theano file and validates the result, or flip them yourself with
    `np.flip(kernel, axis=spatial_axes)` before `set_weights`.
    """
    if artifact.producer.get("backend") != "theano":
        return None
    convs = _conv_layers(artifact)
    if not convs:
        return None
    return Hit(
        f"Theano-backend file ({_made_by(artifact)}) with convolution kernels in "
        f"{short_list(convs)}: current Keras loads them unflipped and the model silently "
        "computes something else",
        "convert it with `migrator convert`, which flips Theano convolution kernels",
    )


@artifact_rule(
    "MIG110",
    "layers-removed-in-keras3",
    title="Layer classes Keras 3 removed (TF-op layers, CuDNN RNNs, LocallyConnected...)",
    severity="high",
    breaks_in=f"{KERAS3}: \"Unknown layer: 'TFOpLambda'\" and the like",
    formats=CONFIG_FORMATS,
)
def layers_removed_in_keras3(artifact: Artifact) -> Hit | None:
    """Layers of tf.keras 2.x that Keras 3 does not have.

    Functional tf.keras models wrap TensorFlow calls on symbolic tensors as `TFOpLambda` /
    `SlicingOpLambda` (TF 2.4+) or `TensorFlowOpLayer` (TF 2.0-2.3) layers; Keras 3 has none of
    them, nor `CuDNNLSTM`/`CuDNNGRU`, `LocallyConnected1D/2D`, `ThresholdedReLU`,
    `DenseFeatures`, `RandomHeight`/`RandomWidth`. Loading fails with "Unknown layer".

    Fix: rebuild those parts with Keras 3 layers or `keras.ops` inside a custom layer, then load
    the weights; `migrator convert` rewrites CuDNN RNNs to LSTM/GRU and refuses the rest with a
    reason.
    """
    found = model_config(artifact)
    if found is None:
        return None
    removed = [
        f"{path} ({entry['class_name']})"
        for path, entry in keras_config.iter_layers(found.config)
        if entry["class_name"] in REMOVED_LAYER_CLASSES
    ]
    if not removed:
        return None
    return Hit(
        f"{len(removed)} layer(s) Keras 3 does not have, in {found.where}: {short_list(removed)}",
        "rebuild them with Keras 3 layers or keras.ops in a custom layer, then load the weights "
        "(`migrator convert` handles CuDNN RNNs)",
    )


@artifact_rule(
    "MIG111",
    "tfkeras-keras-v3-config",
    title="`.keras` file from tf.keras 2.13-2.15 with config Keras 3 rejects",
    severity="high",
    deprecated_in="TF 2.16 (tf.keras became Keras 3)",
    breaks_in=f"{KERAS3}: unrecognized arguments (`batch_input_shape`, `groups`, `time_major`), "
    "`keras.src.engine` modules, `Policy` dtypes, Keras 2 Lambda keys",
    convert="keras2-to-keras3",
    formats=("keras-v3",),
)
def tfkeras_keras_v3_config(artifact: Artifact) -> Hit | None:
    """A `.keras` archive whose config.json Keras 3 refuses to deserialize.

    tf.keras 2.13-2.15 already wrote the `.keras` format, but with Keras 2 layer arguments and
    module paths: `batch_input_shape` on layers, `groups` on depthwise/separable/transposed
    convolutions, `time_major` on RNNs, `module: "keras.src.engine.functional"`,
    mixed-precision `Policy` dtypes, Keras 2 Lambda keys, legacy optimizer arguments. Keras 3
    fails on each of them (measured with Keras 3.3.3 and 3.15.1).

    Fix: convert it with `migrator convert --to keras` (keras2-to-keras3), which rewrites the
    config for Keras 3 and checks the outputs match; or load it with tf_keras and re-save from a
    Keras 3 rebuild of the model.
    """
    found = model_config(artifact)
    issues = keras3_config_issues(found.config) if found is not None else []
    if not issues:
        return None
    parts = [f"{i.get('path')}: {i.get('detail')}" for i in issues]
    saved_by = artifact.producer.get("keras_version") or "tf.keras"
    return Hit(
        f".keras file saved by Keras {saved_by} with {len(issues)} config entr"
        f"{'y' if len(issues) == 1 else 'ies'} Keras 3 rejects: {short_list(parts, 3)}",
        f"{_CONVERT_KERAS} (keras2-to-keras3), which rewrites them for Keras 3",
    )


@artifact_rule(
    "MIG112",
    "legacy-h5-model",
    title="Legacy HDF5 full model (`.h5`)",
    severity="low",
    deprecated_in='TF 2.13 / Keras 3 (saving warns "This file format is considered legacy")',
    breaks_in=f"{KERAS3}: read only by the legacy loader, which ignores `safe_mode` for "
    "configs, drops optimizer state it cannot map, and cannot read Keras 1 weights",
    convert="h5-to-keras",
    formats=("keras-h5",),
)
def legacy_h5_model(artifact: Artifact) -> Hit | None:
    """A full model saved to HDF5 (`model.save("m.h5")`), by any Keras.

    Keras 3 still loads most Keras 2 HDF5 files through `legacy_h5_format`, but the format is
    frozen: no new layer arguments, no `.keras` assets, no sharding, no safe-mode checks on the
    config. Files from Keras 1, with TF-op layers or with Keras 1 weight layouts fail there (see
    the other rules).

    Fix: convert it to `.keras` (`migrator convert --to keras`), validate it, and keep the
    `.keras` as the artifact of record.
    """
    return Hit(
        f"legacy HDF5 full model ({_made_by(artifact)}): Keras 3 reads it only through its "
        "frozen legacy loader",
        f"{_CONVERT_KERAS} and keep the validated `.keras`",
    )


@artifact_rule(
    "MIG113",
    "legacy-h5-weights",
    title="Legacy `save_weights` HDF5 file (not a `.weights.h5`)",
    severity="low",
    deprecated_in="Keras 3.0 (`save_weights` writes only `.weights.h5`)",
    breaks_in=f'{KERAS3}: `save_weights` raises "The filename must end in `.weights.h5`"; the '
    "legacy loader matches layers by order and has no Keras 1 weight conversion",
    convert="weights-to-keras",
    formats=("keras-h5-weights",),
)
def legacy_h5_weights(artifact: Artifact) -> Hit | None:
    """Weights saved with Keras 1/2 `save_weights("x.h5")` (the `layer_names` layout).

    Keras 3 reads them with its legacy loader, layer by layer in order, so the model must be
    rebuilt exactly as it was. It no longer converts Keras 1 layouts: tf_keras did
    (`preprocess_weights_for_loading`: 12-array LSTMs, 9-array GRUs, channels-first kernels),
    Keras 3 raises "Weight count mismatch" on split-gate RNN weights (high) and loads other
    Keras 1 weights unconverted (medium). The current weights format is `.weights.h5`.

    Fix: load them into the rebuilt architecture and save `.weights.h5` (and `.keras`):
    `migrator convert --to weights --arch model.json` or `--model-factory module:function`.
    """
    keras1 = _d(artifact, "weight_naming") == "keras1" or _d(artifact, "keras_major") == 1
    name = _d(artifact, "extension") or "(no extension)"
    problem = (
        f"legacy `save_weights` HDF5 ({_made_by(artifact)}, {name} file, "
        f"{_d(artifact, 'weighted_layer_count', 0)} layers with weights): "
    )
    split = _split_gate_layers(artifact)
    if split:
        problem += (
            f"Keras 1 recurrent weights split per gate in {short_list(split)}, which Keras 3's "
            "loader cannot fuse (Weight count mismatch)"
        )
        return Hit(problem, _weights_remedy(), severity="high")
    if keras1:
        problem += (
            "Keras 1 weights, which Keras 3 loads by layer order with no Keras 1 conversion "
            "(channels-first or Theano kernels stay as saved)"
        )
        return Hit(problem, _weights_remedy(), severity="medium")
    problem += "Keras 3 loads it only by layer order through its legacy loader"
    return Hit(problem, _weights_remedy())


# Keras 1 LSTM/GRU weights: one W/U/b triple per gate (`lstm_1_W_i`, `gru_1_U_z`...).
_SPLIT_GATE = re.compile(r"_(W|U|b)_[a-z]$")


def _split_gate_layers(artifact: Artifact) -> list[str]:
    out = []
    for layer in _d(artifact, "weights") or []:
        if not isinstance(layer, Mapping):
            continue
        names = [str(w.get("name")) for w in layer.get("weights") or [] if isinstance(w, Mapping)]
        if len(names) > 3 and sum(bool(_SPLIT_GATE.search(n)) for n in names) > 3:
            out.append(str(layer.get("layer")))
    return out


def _weights_remedy() -> str:
    return (
        "convert it to `.weights.h5` with `migrator convert --to weights` and the architecture "
        "(`--arch` or `--model-factory`)"
    )


# Which file name each format wants, for the extension rule's message.
_EXPECTED_NAMES = {
    "keras-h5": "`.h5`/`.hdf5`",
    "keras-h5-weights": "`.h5` (not `.weights.h5`, which Keras 3 reads as the new layout)",
    "keras-v3-weights": "`.weights.h5`",
    "keras-v3": "`.keras`",
    "keras-json": "`.json`",
    "keras-yaml": "`.yaml`/`.yml`",
}
_WHAT_KERAS_DOES = {
    "keras-h5": 'Keras 3 `load_model` treats a `.keras` name as a zip and raises "File not '
    'found ... accessible `.keras` zip file"',
    "keras-h5-weights": "Keras 3 `load_weights` picks the loader by name and fails",
    "keras-v3-weights": "Keras 3 `load_weights` reads anything not named `.weights.h5` with the "
    'legacy loader ("Layer count mismatch ... found 0 saved layers")',
    "keras-v3": "Keras picks the loader by name: an `.h5` name sends the zip to the HDF5 loader",
}


@artifact_rule(
    "MIG114",
    "extension-mismatch",
    title="File extension that lies about the content",
    severity="high",
    breaks_in=f"{KERAS3}: `load_model`/`load_weights` choose the loader from the file name "
    "(`.keras` -> zip, `.weights.h5` -> new layout, `.h5` -> legacy)",
    formats=tuple(_EXPECTED_NAMES),
)
def extension_mismatch(artifact: Artifact) -> Hit | None:
    """The content and the name disagree: an HDF5 model named `.keras`, a `.keras` zip named
    `.h5`, Keras 3 weights not named `.weights.h5`, legacy weights named `.weights.h5`.

    Keras 3 dispatches on the extension before reading a byte, so such files fail to load (or
    go to the wrong loader), and people and tools that trust the name mis-handle them. Formats
    are decided here from the bytes (HDF5 signature, zip members, weight layout).

    Fix: rename the file to the extension its content calls for (shown in the message); never
    convert by renaming alone.
    """
    if extension_matches(artifact) is not False:
        return None
    if artifact.format == "keras-v3" and _d(artifact, "container") == "folder":
        return None  # unzipped `.keras` folders are named by their users
    name = _d(artifact, "extension") or "no extension"
    what = _WHAT_KERAS_DOES.get(artifact.format)
    problem = (
        f"{artifact.format} content under the name {name!r} (expected "
        f"{_EXPECTED_NAMES[artifact.format]})"
    )
    remedy = f"rename it to {_EXPECTED_NAMES[artifact.format].split(' ')[0]}"
    if what is None:  # JSON/YAML architectures: loaders take the text, the name only misleads
        return Hit(problem, remedy, severity="low")
    return Hit(f"{problem}: {what}", remedy)


# --- weights and checkpoints ------------------------------------------------------------------


@artifact_rule(
    "MIG115",
    "tf-format-weights-checkpoint",
    title='Keras weights saved in the TF checkpoint format (`save_weights("ckpt")`)',
    severity="high",
    deprecated_in='TF 2.13 (`save_format="tf"` for weights deprecated)',
    breaks_in=f'{KERAS3}: `load_weights` raises "File format not supported: ... Keras 3 only '
    'supports V3 `.keras` files, `.weights.h5` files"',
    convert="weights-to-keras",
    formats=("tf-checkpoint",),
)
def tf_format_weights_checkpoint(artifact: Artifact) -> Hit | None:
    """An object-based checkpoint written by Keras `model.save_weights(path)` without `.h5`.

    tf.keras 1.x-2.15 wrote TF checkpoints (`.index` + `.data-*` + `checkpoint`) for weight paths
    without an HDF5 suffix. Keras 3 reads only `.weights.h5` (and legacy `.h5`), so these
    weights can no longer be loaded into a Keras model without TensorFlow's checkpoint reader.

    Fix: rebuild the model, load the checkpoint with tf_keras (or `tf.train.Checkpoint`) and save
    `.weights.h5`: `migrator convert --to weights --arch model.json` does this and checks every
    variable was matched.
    """
    if not _d(artifact, "keras_save_weights"):
        return None
    prefix = _d(artifact, "prefix") or artifact.path
    return Hit(
        f"Keras weights in TF checkpoint format (prefix `{prefix}`, "
        f"{_d(artifact, 'tensor_count', '?')} tensors): Keras 3 `load_weights` cannot read "
        "checkpoints",
        _weights_remedy(),
    )


@artifact_rule(
    "MIG116",
    "tf1-saver-checkpoint",
    title="Name-based TF1 checkpoint (`tf.train.Saver`)",
    severity="medium",
    deprecated_in="TF 2.0 (`tf.train.Saver` moved to `tf.compat.v1`; TF2 checkpoints are "
    "object-based)",
    breaks_in="TF 2.x: `tf.train.Checkpoint.restore` cannot map variable names; only "
    "`tf.compat.v1.train.Saver` or name-by-name reading with `tf.train.load_checkpoint` work",
    formats=("tf-checkpoint",),
)
def tf1_saver_checkpoint(artifact: Artifact) -> Hit | None:
    """A checkpoint keyed by graph variable names, written by `tf.train.Saver` (TF1, estimators).

    TF2 restores object-based checkpoints by walking the object graph; a name-based checkpoint
    has none, so `tf.train.Checkpoint.restore` and Keras `load_weights` cannot use it. It is
    readable tensor by tensor with `tf.train.load_checkpoint(prefix)`, or restorable into a TF1
    graph with `tf.compat.v1.train.Saver`.

    Fix: rebuild the model in Keras, copy the tensors by name (`tf.train.load_checkpoint(prefix)
    .get_tensor(name)` -> `layer.set_weights`) and save `.keras`; keep the `.meta` graph if the
    model is only defined there.
    """
    if _d(artifact, "kind") != "name-based":
        return None
    meta = _d(artifact, "meta_graph") or {}
    graph = " (graph in its `.meta`)" if isinstance(meta, Mapping) and meta.get("ops") else ""
    return Hit(
        f"name-based tf.train.Saver checkpoint `{_d(artifact, 'prefix')}` "
        f"({_made_by(artifact)}, {_d(artifact, 'tensor_count', '?')} tensors){graph}: TF2 "
        "object-based restore and Keras cannot map its variable names",
        "copy the tensors by name into a Keras rebuild (`tf.train.load_checkpoint(prefix)`) "
        "and save `.keras`",
    )


def _missing_files(artifact: Artifact) -> list[str]:
    fmt = artifact.format
    if fmt == "saved-model":
        variables = _d(artifact, "variables") or {}
        if variables.get("needed") or variables.get("index"):
            return list(variables.get("missing") or [])
        return []
    if fmt in ("tf-checkpoint", "session-bundle"):
        return list(_d(artifact, "missing") or [])
    if fmt in ("tfjs-layers", "tfjs-graph"):
        return list((_d(artifact, "shards") or {}).get("missing") or [])
    if fmt == "keras-v3-weights":
        return list(_d(artifact, "missing_shards") or [])
    if fmt == "keras-v3":
        weights = _d(artifact, "weights") or {}
        if not weights:
            return []
        missing = [s.get("member") for s in weights.get("shards") or [] if s.get("bytes") is None]
        if weights.get("member") is None:
            missing.insert(0, "model.weights.h5")
        return [str(m) for m in missing]
    return []


@artifact_rule(
    "MIG117",
    "missing-variables",
    title="Variables, weight shards or data files missing",
    severity="high",
    breaks_in="every TF/Keras version: the weights cannot be restored",
    formats=(
        "saved-model",
        "tf-checkpoint",
        "session-bundle",
        "tfjs-layers",
        "tfjs-graph",
        "keras-v3",
        "keras-v3-weights",
    ),
)
def missing_variables(artifact: Artifact) -> Hit | None:
    """Files the artifact needs for its weights are not there.

    A SavedModel without `variables/` (or with fewer `variables.data-*` shards than the index
    announces), a checkpoint whose `.data-*` shard is gone, TF.js weight shards or Keras 3 weight
    shards that the manifest lists but the folder lacks: the graph or architecture is intact, the
    trained values are not. Copies that skip large files (git without LFS, partial uploads) do
    this.

    Fix: copy the missing files from the original export; there is no way to recover weights
    from the graph alone.
    """
    missing = _missing_files(artifact)
    if not missing:
        return None
    return Hit(
        f"missing {short_list(missing)}: the weights cannot be restored, so the model cannot be "
        "loaded",
        "copy the missing files from the original export",
    )


@artifact_rule(
    "MIG118",
    "dangling-checkpoint-state",
    title="`checkpoint` state file pointing at checkpoints that are not there",
    severity="medium",
    breaks_in="every TF version: `tf.train.latest_checkpoint(dir)` returns the recorded path even "
    "when it does not exist, and restoring from it fails",
    formats=("tf-checkpoint", "session-bundle"),
)
def dangling_checkpoint_state(artifact: Artifact) -> Hit | None:
    """The `checkpoint` file names checkpoints that are missing, or absolute paths.

    `tf.train.latest_checkpoint`, `tf.train.CheckpointManager` and Estimator `model_dir`
    restore use `model_checkpoint_path` from this file; after copying a training folder it often
    points at the source machine (`/home/user/...`) or at checkpoints that were pruned. When the
    current entry is missing, restoring fails; when only older entries dangle, managers try to
    delete files that are not there.

    Fix: rewrite the `checkpoint` file with relative paths of the checkpoints present
    (`tf.train.update_checkpoint_state(dir, prefix)`), or delete it and pass the prefix
    explicitly.
    """
    state = _d(artifact, "state")
    if not isinstance(state, Mapping) or "error" in state:
        return None
    dangling = list(state.get("dangling") or [])
    if not dangling:
        return None
    current = state.get("model_checkpoint_path")
    if not state.get("points_here"):
        return Hit(
            f"`checkpoint` state file names `{current}`, which is not here"
            + (" (absolute path from another machine)" if state.get("absolute_paths") else "")
            + ": tf.train.latest_checkpoint returns a path that does not exist",
            "rewrite it with `tf.train.update_checkpoint_state(dir, prefix)` using the relative "
            "prefix present, or delete it and pass the prefix explicitly",
        )
    return Hit(
        f"`checkpoint` state file lists {len(dangling)} checkpoint(s) that are not here "
        f"({short_list(dangling, 3)}); the current one, `{current}`, is present",
        "rewrite it with `tf.train.update_checkpoint_state(dir, prefix)` so it lists only the "
        "checkpoints that exist",
        severity="low",
    )


@artifact_rule(
    "MIG119",
    "custom-objects-required",
    title="Custom classes or functions required to load",
    severity="medium",
    breaks_in='every Keras version: `load_model` raises "Unknown layer" / "Could not locate '
    'class" unless the code is imported or passed as `custom_objects`',
    formats=(*CONFIG_FORMATS, "keras-v3"),
)
def custom_objects_required(artifact: Artifact) -> Hit | None:
    """The config names layers, models, losses or functions that Keras does not define.

    Registered classes (`Package>Name`, `registered_name`), modules outside Keras, subclassed
    models whose config is only their class name, custom losses in the training config: Keras
    can only rebuild them with the user's code imported (or passed as `custom_objects`), so the
    artifact is not self-contained and converting it needs that code too. (tf_keras can revive a
    SavedModel without the classes, as an object that only calls its traced functions.)

    Fix: keep the code that defines them with the artifact, load with
    `custom_objects={...}` (or import the module that registers them), and convert with
    `migrator convert --custom-objects your_module`.
    """
    if artifact.format == "keras-v3":
        entries = [e for e in _d(artifact, "custom_objects") or [] if isinstance(e, Mapping)]
        found = [
            f"{e.get('class_name')} ({e.get('module') or e.get('registered_name')})"
            for e in entries
        ]
        where = "config.json"
    else:
        config = model_config(artifact)
        found = (
            [f"{name} at {path}" for path, name in custom_classes(config.config)] if config else []
        )
        where = config.where if config else "the training config"
    training = training_config(artifact)
    if training:
        found += [f"{name} ({key})" for key, name in custom_training_objects(training)]
    if not found:
        return None
    found = list(dict.fromkeys(found))
    severity = "low" if artifact.format == "saved-model" else None
    return Hit(
        f"{len(found)} custom class(es)/function(s) Keras does not define, in {where}: "
        f"{short_list(found)}: loading needs that code",
        "load with `custom_objects={...}` (or import the module that registers them) and "
        "convert with `migrator convert --custom-objects MODULE`",
        severity=severity,
    )


# Slot and bookkeeping variables tf.train optimizers add (`w/Adam`, `beta1_power`, `.../Momentum`).
_TF1_SLOT = re.compile(
    r"(/(Adam|Adam_1|Momentum|RMSProp|RMSProp_1|Adagrad|Adadelta|Adadelta_1|Ftrl|Ftrl_1|"
    r"accumulator|ProximalAdagrad)$)|(^|/)beta[12]_power$"
)


def _optimizer_problems(artifact: Artifact) -> Iterator[str]:
    fmt = artifact.format
    if fmt == "keras-h5" and _d(artifact, "optimizer_weights"):
        major = _d(artifact, "keras_major")
        if major is None or major < 3:
            yield (
                f"{_d(artifact, 'optimizer_weight_count', 0)} optimizer weights saved by Keras "
                f"{artifact.producer.get('keras_version') or '1/2'}, which Keras 3's HDF5 loader "
                'discards ("Error in loading the saved optimizer state ... freshly initialized '
                'optimizer")'
            )
    if fmt == "keras-v3" and _d(artifact, "saved_by") == "tf.keras":
        layout = (_d(artifact, "weights") or {}).get("layout") or {}
        if "optimizer" in (layout.get("groups") or []):
            yield (
                f"tf.keras {artifact.producer.get('keras_version') or '2.x'} optimizer variables, "
                'which Keras 3 skips ("Skipping variable loading for optimizer ... it has N '
                'variables whereas the saved optimizer has M")'
            )
    if fmt == "tf-checkpoint" and _d(artifact, "optimizer_slots"):
        if _d(artifact, "kind") == "name-based":
            slots = [
                str(t.get("name"))
                for t in _d(artifact, "tensors") or []
                if isinstance(t, Mapping) and _TF1_SLOT.search(str(t.get("name")))
            ]
            named = f" ({short_list(slots, 3)})" if slots else ""
            yield f"TF1 `tf.train` optimizer slots{named} that no Keras optimizer can restore"


@artifact_rule(
    "MIG120",
    "optimizer-state-dropped",
    title="Optimizer state that will not carry over",
    severity="low",
    deprecated_in="TF 2.11 (new `tf.keras.optimizers`, saved as `Custom>Adam`; the old ones "
    "became `.legacy`)",
    breaks_in=f"{KERAS3}: optimizer state of tf.keras HDF5 and `.keras` files and of TF1 "
    "checkpoints is dropped; training resumes with a fresh optimizer",
    formats=("keras-h5", "keras-v3", "tf-checkpoint"),
)
def optimizer_state_dropped(artifact: Artifact) -> Hit | None:
    """Saved optimizer state (moments, iteration counts) that current Keras will not restore.

    Measured with Keras 3.15.1: an HDF5 file from tf.keras 2.10 or 2.15 loads with "Error in
    loading the saved optimizer state ... freshly initialized optimizer" (a Keras 3 HDF5 file
    round-trips), and a tf.keras 2.15 `.keras` file with "Skipping variable loading for optimizer
    'adam', because it has 6 variables whereas the saved optimizer has 5". TF1 `tf.train`
    optimizer slots (`w/Adam`, `beta1_power`) have no Keras counterpart at all. Inference is
    unaffected; resumed training starts with a fresh optimizer, which can jolt a fine-tuned model.

    Fix: accept a fresh optimizer (re-compile and warm up the learning rate), or finish training
    in the old runtime; after converting, save `.keras` so the Keras 3 optimizer state is kept
    from then on.
    """
    problems = list(_optimizer_problems(artifact))
    if not problems:
        return None
    return Hit(
        f"optimizer state will not carry over: {'; '.join(problems)}",
        "re-compile after loading and expect resumed training to start with a fresh optimizer; "
        "save `.keras` from then on",
    )


def _loss_names(loss: Any) -> Iterator[str]:
    if isinstance(loss, str):
        yield loss
    elif isinstance(loss, Mapping) and "class_name" not in loss:
        for value in loss.values():
            yield from _loss_names(value)
    elif isinstance(loss, list):
        for value in loss:
            yield from _loss_names(value)


@artifact_rule(
    "MIG127",
    "h5-loss-alias",
    title="HDF5 model compiled with a loss alias Keras 3 cannot resolve (`mse`, `mae`...)",
    severity="high",
    breaks_in=f"{KERAS3}: `load_model` raises \"Could not locate function 'mse'\" (3.3) / "
    "\"Could not deserialize 'keras.metrics.mse'\" (3.15) unless `compile=False`",
    convert="h5-to-keras",
    formats=("keras-h5",),
)
def h5_loss_alias(artifact: Artifact) -> Hit | None:
    """The HDF5 training config names its loss by an alias Keras 3 no longer resolves.

    Keras 1/2 and tf.keras accepted `loss="mse"`, `"mae"`, `"mape"`, `"msle"`, `"kld"`,
    `"logcosh"`, `"huber_loss"`, `"cosine_proximity"` and stored that string. Keras 3's HDF5
    loader compiles the model by default and fails on each of them (measured with Keras 3.3.3
    and 3.15.1), so `keras.models.load_model("model.h5")` raises although the weights are fine.

    Fix: load with `keras.models.load_model(path, compile=False)` and compile again with the
    full loss name (`"mean_squared_error"`), or convert to `.keras` with `migrator convert`.
    """
    training = training_config(artifact)
    if not training:
        return None
    bad = sorted({n for n in _loss_names(training.get("loss")) if n in UNRESOLVED_LOSS_ALIASES})
    if not bad:
        return None
    return Hit(
        f"compiled with loss {short_list(bad)} ({_made_by(artifact)}): Keras 3 `load_model` "
        "cannot resolve that alias and raises while compiling the loaded model",
        f"load with `compile=False` and re-compile with the full loss name, or {_CONVERT_KERAS}",
    )


# --- legacy and deployment formats ----------------------------------------------------------


@artifact_rule(
    "MIG121",
    "session-bundle",
    title="SessionBundle export (pre-SavedModel)",
    severity="high",
    deprecated_in='TF 1.0 (2017: "No longer supported. Switch to SavedModel immediately.")',
    breaks_in="TF 2.0: `tf.contrib.session_bundle` removed; TF Serving loads only SavedModels",
    formats=("session-bundle",),
)
def session_bundle(artifact: Artifact) -> Hit | None:
    """A `tf.contrib.session_bundle` export: `export.meta` plus an `export` checkpoint.

    SessionBundle was TF Serving's format before SavedModel (2016). No TF2 API loads it, and TF
    Serving dropped it; only the pieces remain usable: the MetaGraphDef through
    `tf.compat.v1.train.import_meta_graph` and the variables through the checkpoint.

    Fix: rebuild it as a SavedModel: import `export.meta` with
    `tf.compat.v1.train.import_meta_graph`, restore the `export` checkpoint, and save with
    `tf.compat.v1.saved_model.Builder` (then convert that with `migrator convert`).
    """
    signatures = _d(artifact, "signatures")
    note = "no serving signatures" if not signatures else "signatures in its `serving_signatures`"
    return Hit(
        f"SessionBundle export (export.meta + `export` checkpoint, {note}): no TF2 API or "
        "current TF Serving loads it",
        "import export.meta with `tf.compat.v1.train.import_meta_graph`, restore the checkpoint "
        "and save a SavedModel",
    )


_DEPLOYMENT = {
    "tflite": (
        "TFLite flatbuffer (a compiled inference graph)",
        "no converter turns it back into a Keras model or a SavedModel",
        "keep the SavedModel or `.keras` it was converted from as the source of truth",
    ),
    "tfjs-graph": (
        "TF.js graph model (an inference graph)",
        "no converter turns it back into a Keras model or a SavedModel",
        "keep the SavedModel it was converted from as the source of truth",
    ),
    "tfjs-layers": (
        "TF.js layers model",
        "only `tensorflowjs_converter --output_format=keras` turns it back into a (legacy "
        "HDF5) Keras model",
        "keep the Keras model it was converted from as the source of truth",
    ),
}


@artifact_rule(
    "MIG122",
    "deployment-format",
    title="Deployment format (TFLite, TF.js): not a source model",
    severity="info",
    breaks_in="not a break: no TF/Keras release loads these back as trainable models",
    formats=tuple(_DEPLOYMENT),
)
def deployment_format(artifact: Artifact) -> Hit | None:
    """TFLite and TF.js files are conversion outputs for devices and browsers.

    They run where they were meant to, but they cannot be the artifact of record: TFLite and TF.js
    graph models hold only an inference graph (no Keras config, often quantized or fused), and a
    TF.js layers model converts back only to a legacy HDF5 file. Migration tools cannot upgrade
    them.

    Fix: keep (or recover) the SavedModel / `.keras` they were converted from, migrate that, and
    regenerate the deployment files from it.
    """
    what, limit, remedy = _DEPLOYMENT[artifact.format]
    producer = artifact.producer.get("converted_by") or artifact.producer.get("tensorflow_version")
    made = f" ({producer})" if producer else ""
    return Hit(f"{what}{made}: {limit}", remedy)


@artifact_rule(
    "MIG123",
    "bare-graphdef",
    title="Bare GraphDef (frozen graph or graph without its variables)",
    severity="medium",
    deprecated_in="TF 2.0 (`freeze_graph` and `tf.GraphDef` loading moved to `tf.compat.v1`)",
    breaks_in="TF 2.x: no loader; only `tf.compat.v1.GraphDef` + `tf.compat.v1.wrap_function`/"
    "`import_graph_def` with input and output names you must know",
    convert="graphdef-to-savedmodel",
    formats=("graph-def",),
)
def bare_graphdef(artifact: Artifact) -> Hit | None:
    """A `.pb`/`.pbtxt` holding just a graph: no signatures, no Keras config, maybe no weights.

    Frozen graphs (`freeze_graph`, `convert_variables_to_constants`) carry their weights as
    constants but no signature, so callers must know tensor names; TF Serving, TFLite's TF2
    converter and Keras cannot take them. A graph that still has variable nodes lost its
    weights (they were in a checkpoint that is not part of this file).

    Fix: wrap a frozen graph into a SavedModel with a `serving_default` signature
    (`migrator convert --to saved-model`); for an unfrozen graph, find the checkpoint it was
    trained with first.
    """
    frozen = _d(artifact, "frozen")
    variables = _d(artifact, "variable_nodes", 0) or 0
    container = _d(artifact, "container") or "GraphDef"
    inputs = [i.get("name") for i in _d(artifact, "inputs") or [] if isinstance(i, Mapping)]
    names = f"inputs {short_list([str(i) for i in inputs], 3)}" if inputs else "no placeholders"
    if frozen:
        return Hit(
            f"frozen {container} ({_d(artifact, 'node_count', '?')} nodes, {names}): no signature, "
            "so TF2, TF Serving and Keras cannot load it without hand-picked tensor names",
            "wrap it into a SavedModel with `migrator convert --to saved-model`",
        )
    if variables:
        return Hit(
            f"{container} with {variables} variable node(s) and no weights in the file "
            f"({names}): the trained values live in a checkpoint that is not part of it",
            "find the matching checkpoint and export a SavedModel from graph + checkpoint",
            severity="high",
        )
    return Hit(
        f"bare {container} ({names}): no signature, so TF2 loads it only through "
        "tf.compat.v1 with hand-picked tensor names",
        "wrap it into a SavedModel with `migrator convert --to saved-model`",
    )


@artifact_rule(
    "MIG124",
    "keras2-architecture-file",
    title="Keras 1/2 architecture file (`to_json`/`to_yaml`)",
    severity="high",
    deprecated_in="TF 2.6 (`to_yaml`/`model_from_yaml` removed for security)",
    breaks_in=f"{KERAS3}: `model_from_json` raises \"Could not locate class 'Sequential'\" on "
    "Keras 1/2 configs; TF 2.6+: `model_from_yaml` raises RuntimeError",
    convert="weights-to-keras",
    formats=("keras-json", "keras-yaml"),
)
def keras2_architecture_file(artifact: Artifact) -> Hit | None:
    """A model architecture saved with Keras 1/2 `to_json()` or `to_yaml()`.

    Keras 3's `model_from_json` expects the Keras 3 serialization (`module`, `registered_name`)
    and cannot locate even `Sequential` in a Keras 2 config (measured with Keras 3.15.1);
    `model_from_yaml` was removed in TF 2.6 because it used an unsafe YAML loader. These files
    usually travel with a weights-only HDF5 that needs them.

    Fix: build the model from the file with `migrator convert --to keras --arch FILE` together
    with its weights file, which writes a `.keras` holding both.
    """
    if artifact.format == "keras-json" and _d(artifact, "config_style") == "keras3":
        return None  # Keras 3 (or tf.keras 2.13+) `to_json`: Keras 3 reads it
    major = _d(artifact, "keras_major")
    made = f"Keras {major}" if major else "Keras 1/2"
    if artifact.format == "keras-yaml":
        problem = (
            f"{made} YAML architecture ({_made_by(artifact)}): `model_from_yaml` was removed in "
            "TF 2.6 and Keras 3 has no YAML loader"
        )
    else:
        problem = (
            f"{made} JSON architecture ({_made_by(artifact)}): Keras 3 `model_from_json` cannot "
            "deserialize Keras 1/2 configs"
        )
    return Hit(problem, "convert it with its weights: `migrator convert --to keras --arch FILE`")


@artifact_rule(
    "MIG125",
    "v1-checkpoint-format",
    title="V1 checkpoint format (`write_version=V1`)",
    severity="low",
    deprecated_in="TF 0.12 (V2 checkpoints became the default; V1 writing deprecated)",
    breaks_in="TF 2.x reads V1 only through the legacy tensor-slice reader (`tf.compat.v1` "
    "Saver, `tf.train.load_checkpoint`)",
    formats=("tf-checkpoint", "session-bundle"),
)
def v1_checkpoint_format(artifact: Artifact) -> Hit | None:
    """A checkpoint in the pre-2017 V1 layout (one SSTable file per shard, no `.index`).

    TF still reads V1 files for compatibility, but no current writer produces them and most
    tools (TF2 object-based restore, converters, Keras) expect V2 bundles.

    Fix: restore it once in TF (`tf.compat.v1.train.Saver` or `tf.train.load_checkpoint`) and
    save a V2 checkpoint, or better, the model in a current format.
    """
    if _d(artifact, "checkpoint_format") != "V1":
        return None
    return Hit(
        f"V1 checkpoint `{_d(artifact, 'prefix')}`: only TF's legacy tensor-slice reader opens it",
        "re-save it as a V2 checkpoint, or better as the model in a current format",
    )


@artifact_rule(
    "MIG126",
    "keras-npz-weights",
    title="`.keras` archive with `.npz` weights",
    severity="high",
    breaks_in="Keras 3.15 (checked): npz weights are loaded with `allow_pickle=False`, and every "
    "Keras npz store pickles its arrays, so the weights cannot be loaded",
    convert="keras2-to-keras3",
    formats=("keras-v3",),
)
def keras_npz_weights(artifact: Artifact) -> Hit | None:
    """The archive stores `model.weights.npz` instead of `model.weights.h5`.

    Early `.keras` writers could store weights with NumPy's npz format, which pickles one dict
    per layer. Keras versions that load them do so with `allow_pickle=True` (a code-execution
    path, see the security rules); Keras 3.15 refuses pickles and cannot load them at all.

    Fix: load the file only if you trust it, in the Keras version that wrote it, and re-save
    with the `.weights.h5` store; otherwise rebuild the model and retrain.
    """
    weights = _d(artifact, "weights") or {}
    if weights.get("format") != "npz":
        return None
    saved_by = artifact.producer.get("keras_version") or "an unknown Keras"
    return Hit(
        f"weights stored as {weights.get('member')} (npz, saved by Keras {saved_by}): current "
        "Keras will not unpickle them",
        "re-save from the Keras version that wrote it (only if you trust the file) so the "
        "weights are stored as model.weights.h5",
    )


@artifact_rule(
    "MIG128",
    "keras2-wrapper-layers",
    title="Keras 2 wrapper layers (TimeDistributed, Bidirectional) in an HDF5 model",
    severity="high",
    breaks_in=f"{KERAS3}: the legacy HDF5 loader rebuilds wrappers through the Keras 3 "
    "deserializer, which raises \"Could not locate class 'LSTM'\" for the wrapped layer",
    convert="h5-to-keras",
    formats=("keras-h5", "tfjs-layers"),
)
def keras2_wrapper_layers(artifact: Artifact) -> Hit | None:
    """A wrapper layer whose wrapped layer is serialized the Keras 2 way (no `module`).

    Keras 3 reads Keras 2 HDF5 configs with its legacy deserializer, except inside wrappers:
    `TimeDistributed.from_config` and `Bidirectional.from_config` hand the inner layer to the
    Keras 3 deserializer, which needs `module` keys and fails with "Could not locate class
    'Dense'" / "'LSTM'" (measured with Keras 3.3.3 and 3.15.1 on tf.keras 2.12 files). So every
    Keras 1/2 HDF5 model with a Bidirectional RNN or a TimeDistributed layer fails to load.

    Fix: convert it with `migrator convert --to keras`, which rewrites the wrapped layers for
    Keras 3; or rebuild the architecture in code and load the weights by layer.
    """
    found = model_config(artifact)
    if found is None:
        return None
    wrapped = []
    for path, entry in keras_config.iter_layers(found.config):
        config = entry.get("config")
        if not isinstance(config, Mapping) or "module" in entry:
            continue
        for key in ("layer", "backward_layer"):
            inner = config.get(key)
            if keras_config.is_layer_entry(inner) and "module" not in inner:
                wrapped.append(f"{path} ({entry['class_name']}({inner['class_name']}))")
                break
    if not wrapped:
        return None
    return Hit(
        f"{len(wrapped)} wrapper layer(s) with Keras 2 inner configs in {found.where}: "
        f"{short_list(wrapped)}: Keras 3's HDF5 loader cannot rebuild them",
        f"{_CONVERT_KERAS}, or rebuild the architecture in code and load the weights",
    )

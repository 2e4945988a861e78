"""Artifact rules about legacy and deployment formats (MIG121-MIG126, MIG128): SessionBundles,
TF.js/TFLite and other deployment exports, bare GraphDefs, Keras 2 architecture files, V1
checkpoints, `.npz` weights and Keras 2 wrapper layers.
"""

from __future__ import annotations

from collections.abc import Mapping

from migrator.facts import (
    model_config,
    short_list,
)
from migrator.formats import keras_config
from migrator.knowledge.keras3 import KERAS3
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.artifacts._common import (
    CONVERT_KERAS,
    detail,
    made_by,
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
    signatures = detail(artifact, "signatures")
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
    frozen = detail(artifact, "frozen")
    variables = detail(artifact, "variable_nodes", 0) or 0
    container = detail(artifact, "container") or "GraphDef"
    inputs = [i.get("name") for i in detail(artifact, "inputs") or [] if isinstance(i, Mapping)]
    names = f"inputs {short_list([str(i) for i in inputs], 3)}" if inputs else "no placeholders"
    if frozen:
        return Hit(
            f"frozen {container} ({detail(artifact, 'node_count', '?')} nodes, {names}): no signature, "
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
    if artifact.format == "keras-json" and detail(artifact, "config_style") == "keras3":
        return None  # Keras 3 (or tf.keras 2.13+) `to_json`: Keras 3 reads it
    major = detail(artifact, "keras_major")
    made = f"Keras {major}" if major else "Keras 1/2"
    if artifact.format == "keras-yaml":
        problem = (
            f"{made} YAML architecture ({made_by(artifact)}): `model_from_yaml` was removed in "
            "TF 2.6 and Keras 3 has no YAML loader"
        )
    else:
        problem = (
            f"{made} JSON architecture ({made_by(artifact)}): Keras 3 `model_from_json` cannot "
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
    if detail(artifact, "checkpoint_format") != "V1":
        return None
    return Hit(
        f"V1 checkpoint `{detail(artifact, 'prefix')}`: only TF's legacy tensor-slice reader opens it",
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
    weights = detail(artifact, "weights") or {}
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
        f"{CONVERT_KERAS}, or rebuild the architecture in code and load the weights",
    )

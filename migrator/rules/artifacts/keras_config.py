"""Artifact rules about Keras configs of every era and the files that carry them (MIG108-MIG114):
Keras 1 configs, Theano kernels, removed layers, tf.keras `.keras` configs, legacy HDF5 models and
weights, and names that send a file to the wrong Keras 3 loader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from migrator.facts import (
    extension_matches,
    keras3_config_issues,
    model_config,
    short_list,
)
from migrator.formats import keras_config
from migrator.knowledge.keras3 import KERAS3, REMOVED_LAYER_CLASSES
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.artifacts._common import (
    CONFIG_FORMATS,
    CONVERT_KERAS,
    detail,
    made_by,
    weights_remedy,
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
    if not markers and detail(artifact, "keras_major") != 1:
        return None
    what = short_list(markers, 5) if markers else "no Keras 2 markers"
    return Hit(
        f"Keras 1 model config ({made_by(artifact)}; {what}): tf.keras and Keras 3 cannot "
        "deserialize Keras 1 layer classes and arguments",
        f"{CONVERT_KERAS}, which renames them for Keras 3",
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
    for layer in detail(artifact, "weights") or []:  # weights-only files: kernels of rank 3 to 5
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
        f"Theano-backend file ({made_by(artifact)}) with convolution kernels in "
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
        f"{CONVERT_KERAS} (keras2-to-keras3), which rewrites them for Keras 3",
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
        f"legacy HDF5 full model ({made_by(artifact)}): Keras 3 reads it only through its "
        "frozen legacy loader",
        f"{CONVERT_KERAS} and keep the validated `.keras`",
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
    keras1 = detail(artifact, "weight_naming") == "keras1" or detail(artifact, "keras_major") == 1
    name = detail(artifact, "extension") or "(no extension)"
    problem = (
        f"legacy `save_weights` HDF5 ({made_by(artifact)}, {name} file, "
        f"{detail(artifact, 'weighted_layer_count', 0)} layers with weights): "
    )
    split = _split_gate_layers(artifact)
    if split:
        problem += (
            f"Keras 1 recurrent weights split per gate in {short_list(split)}, which Keras 3's "
            "loader cannot fuse (Weight count mismatch)"
        )
        return Hit(problem, weights_remedy(), severity="high")
    if keras1:
        problem += (
            "Keras 1 weights, which Keras 3 loads by layer order with no Keras 1 conversion "
            "(channels-first or Theano kernels stay as saved)"
        )
        return Hit(problem, weights_remedy(), severity="medium")
    problem += "Keras 3 loads it only by layer order through its legacy loader"
    return Hit(problem, weights_remedy())


# Keras 1 LSTM/GRU weights: one W/U/b triple per gate (`lstm_1_W_i`, `gru_1_U_z`...).
_SPLIT_GATE = re.compile(r"_(W|U|b)_[a-z]$")


def _split_gate_layers(artifact: Artifact) -> list[str]:
    out = []
    for layer in detail(artifact, "weights") or []:
        if not isinstance(layer, Mapping):
            continue
        names = [str(w.get("name")) for w in layer.get("weights") or [] if isinstance(w, Mapping)]
        if len(names) > 3 and sum(bool(_SPLIT_GATE.search(n)) for n in names) > 3:
            out.append(str(layer.get("layer")))
    return out


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
    if artifact.format == "keras-v3" and detail(artifact, "container") == "folder":
        return None  # unzipped `.keras` folders are named by their users
    name = detail(artifact, "extension") or "no extension"
    what = _WHAT_KERAS_DOES.get(artifact.format)
    problem = (
        f"{artifact.format} content under the name {name!r} (expected "
        f"{_EXPECTED_NAMES[artifact.format]})"
    )
    remedy = f"rename it to {_EXPECTED_NAMES[artifact.format].split(' ')[0]}"
    if what is None:  # JSON/YAML architectures: loaders take the text, the name only misleads
        return Hit(problem, remedy, severity="low")
    return Hit(f"{problem}: {what}", remedy)

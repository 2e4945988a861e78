"""Step: `.keras` written by tf.keras 2.12 with `save_format="keras_v3"` -> Keras 3 `.keras`.

tf.keras 2.12's experimental v3 format has the zip members of later `.keras` files
(`metadata.json`, `config.json`, `model.weights.h5`), but its weights file follows the 2.12
`saving_lib` walk: the model's attributes in `dir()` order, its layers under
`_layer_checkpoint_dependencies/<snake_case class>[_N]`, where the counter also runs over the
property's second entry for every layer with weights (`layer_with_weights-i` and `layer-i`).
tf.keras 2.13 changed the walk to `layers/...`, so tf.keras 2.13-2.15, tf_keras and Keras 3 all
find no weights in a 2.12 archive ("Layer 'hidden' expected 2 variables, but received 0").

Here the architecture is built from `config.json` by tf_keras, each variable's 2.12 path is
computed by the same walk over the tf_keras model (`keras/saving/saving_lib.py` of tf.keras 2.12:
`_save_state`, `_save_container_state`, `ATTR_SKIPLIST`), the arrays are read from those paths and
the model is then rebuilt for Keras 3 like a Keras SavedModel. Validation runs the source with
the tf.keras that reads its numbering: load_model, or, for a 2.13 Functional model whose config
names a class module 2.12 cannot import, tf.keras's own model_from_json + load_weights; a 2.14
Functional model is built by tf.keras 2.15 (or tf_keras), whose load_weights reads the weights
renamed to the `layers/` layout (`tf212_weights_layout`).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import NoFaithfulMapping, RuntimeUnavailable
from migrator.formats.keras_zip.container import WEIGHTS_H5

# keras/saving/saving_lib.py of tf.keras 2.12.0, ATTR_SKIPLIST: attributes the walk never enters.
_SKIP = frozenset(
    {
        "_callable_losses", "_captured_weight_regularizer", "_checkpoint_dependencies",
        "_deferred_dependencies", "_eager_losses", "_inbound_nodes", "_inbound_nodes_value",
        "_output_layers", "_input_layers", "_keras_api_names", "_keras_api_names_v1",
        "_name_based_restores", "_non_trainable_weights", "_outbound_nodes",
        "_outbound_nodes_value", "_saved_model_arg_spec", "_self_name_based_restores",
        "_self_saveable_object_factories", "_self_tracked_trackables", "_saved_model_inputs_spec",
        "_self_unconditional_checkpoint_dependencies",
        "_self_unconditional_deferred_dependencies", "_self_unconditional_dependency_names",
        "_tf_api_names", "_tf_api_names_v1", "_trainable_weights",
        "_unconditional_checkpoint_dependencies", "_unconditional_dependency_names", "_updates",
        "_layer_call_argspecs", "inbound_nodes", "outbound_nodes", "input_shape", "output_shape",
        "submodules", "weights", "non_trainable_weights", "trainable_weights", "variables",
        "non_trainable_variables", "trainable_variables", "updates",
    }
)  # fmt: skip


def snake_case(name: str) -> str:
    """keras.utils.generic_utils.to_snake_case of tf.keras 2.12 (how the walk names layers)."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


def tf212_paths(
    model: Any, layer_type: type, *, compact: bool = False
) -> Iterator[tuple[Any, str]]:
    """(variable, HDF5 dataset path) for every variable, in the order tf.keras 2.12-2.14 saved
    them. The property lists each layer with weights twice; 2.12 and 2.13 count the second
    listing too (`dense`, `dense_2`), 2.14 (`compact`) skips a layer already visited before
    numbering it (`dense`, `dense_1`)."""
    visited: set[int] = set()

    def join(head: str, tail: str) -> str:
        return f"{head}/{tail}" if head else tail

    def state(obj: Any, path: str) -> Iterator[tuple[Any, str]]:
        if id(obj) in visited:
            return
        if isinstance(obj, layer_type):
            own = list(obj._trainable_weights) + list(obj._non_trainable_weights)
            for i, var in enumerate(own):
                yield var, join(path, f"vars/{i}")
        visited.add(id(obj))
        for attr in dir(obj):
            if attr.startswith("__") or attr in _SKIP:
                continue
            try:
                child = getattr(obj, attr)
            except Exception:  # the 2.12 walk skips attributes that raise, so does this one
                continue
            if isinstance(child, layer_type):
                yield from state(child, join(path, attr))
            elif isinstance(child, (list, dict, tuple, set)):
                yield from container(child, join(path, attr))

    def container(items: Any, path: str) -> Iterator[tuple[Any, str]]:
        used: dict[str, int] = {}
        values = list(items.values()) if isinstance(items, dict) else list(items)
        for item in values:
            if not isinstance(item, layer_type) or (compact and id(item) in visited):
                continue
            name = snake_case(type(item).__name__)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            yield from state(item, join(path, name))

    yield from state(model, "")


@conversion_step(
    "tf212-keras-v3-to-keras",
    source="tf212-keras-v3",
    target="keras-v3",
    validate_with=("era", "tf_keras"),
    summary="`.keras` from tf.keras 2.12 `save_format='keras_v3'` -> Keras 3 `.keras`",
)
def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    import h5py

    try:
        import tf_keras
    except ImportError as exc:
        raise RuntimeUnavailable(
            src,
            "reading a tf.keras 2.12 keras_v3 archive needs tf-keras, which this runtime lacks",
            "pip install tf-keras matching your TensorFlow (e.g. tf-keras==2.21.0)",
        ) from exc
    from migrator.convert.keras3_build import explain_build_error, from_tf_keras_model
    from migrator.convert.keras_loading import import_custom_objects

    with zipfile.ZipFile(src) as archive:
        config = json.loads(archive.read("config.json"))
        weights = Path(out_dir) / "tf212.weights.h5"
        weights.write_bytes(archive.read(WEIGHTS_H5))
    objects = import_custom_objects(custom_objects, tf_keras)
    architecture = json.dumps({"class_name": config["class_name"], "config": config["config"]})
    try:
        model = tf_keras.models.model_from_json(architecture, custom_objects=objects)
    except Exception as exc:  # an unknown custom class: the user's classes are needed
        raise explain_build_error(exc, src, bool(custom_objects)) from exc
    with h5py.File(weights, "r") as h5:
        # The file does not say which release wrote it: the numbering whose every path holds a
        # tensor of the variable's shape is the one it used (knowledge.loaders numbering facts).
        for compact in (False, True):
            pairs = list(tf212_paths(model, tf_keras.layers.Layer, compact=compact))
            missing: list[str] = []
            for var, path in pairs:
                dataset = h5.get(path)
                if not isinstance(dataset, h5py.Dataset) or tuple(dataset.shape) != tuple(
                    var.shape
                ):
                    missing.append(f"{var.name} at {path}")
            if not missing:
                break
        if not missing:
            for var, path in pairs:
                var.assign(h5[path][()])
    weights.unlink()
    if missing or not pairs:
        raise NoFaithfulMapping(
            src,
            "the tf.keras 2.12-2.14 weights do not match the model built from config.json ("
            + (", ".join(missing[:4]) if missing else "no variables")
            + ")",
            "load it with the tf.keras that wrote it and save it as .h5, then convert that file",
        )
    result = from_tf_keras_model(
        model, Path(out_dir), subject=src, modules=custom_objects, unsafe=unsafe
    )
    result["notes"].append(
        "read tf.keras 2.12 keras_v3 weights (_layer_checkpoint_dependencies layout); optimizer "
        "state is not carried over"
    )
    # As tf.keras wrote it: validation can build the source from it in tf.keras 2.12-2.15 and
    # load the archive's weights there (`validation_runs`), where load_model cannot import
    # the class module a 2.13 or 2.14 config names.
    result["source_config_keras2"] = architecture
    compile_config = config.get("compile_config")
    if compile_config and not result.get("training_config"):
        result["training_config"] = compile_config
    return result

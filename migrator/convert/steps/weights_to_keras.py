"""Step: weights-only file + architecture -> Keras 3 `.keras` (and, chained, `.weights.h5`).

Weights come as a legacy HDF5 (`save_weights("x.h5")`, Keras 1 to tf.keras 2.x), a Keras 3
`.weights.h5`, or a TF-format checkpoint (`save_weights("prefix")` in tf.keras). The architecture
is a `to_json()`/`to_yaml()` file (read with the audit's safe parser: YAML never constructs
Python objects) or the user's `--model-factory module:function`.

- legacy HDF5: the architecture is rewritten for Keras 3 and the weights assigned with the same
  layout conversions as full-model HDF5 files (Keras 1 gates, Theano kernels, hard_sigmoid);
- `.weights.h5`: Keras 3 builds the architecture and loads the file itself;
- TF checkpoint: tf-keras builds the (Keras 2) architecture and restores the checkpoint, then the
  model is rebuilt in Keras 3 like a Keras SavedModel.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError, first_line


def read_architecture(path: Path) -> tuple[dict[str, Any], str | None]:
    """(model config, keras_version) of a JSON/YAML architecture file, parsed safely."""
    from migrator.errors import ArtifactError
    from migrator.formats import keras_arch
    from migrator.model import Candidate

    try:
        reading = keras_arch.read(Candidate(path, path.name, "keras_arch", (path.name,)))
    except ArtifactError as exc:
        raise ConversionError(
            path,
            f"the architecture file cannot be used: {exc.short}",
            "pass a model.to_json() file with --arch",
        ) from exc
    config = reading.raw.get("model_config")
    if not isinstance(config, dict):
        raise ConversionError(
            path,
            "the architecture file holds no model config",
            "pass a model.to_json() file with --arch",
        )
    return config, reading.producer.get("keras_version")


def weights_kind(src: Path) -> str:
    if Path(str(src) + ".index").exists() or src.suffix == ".index":
        return "tf-checkpoint"
    import h5py

    with h5py.File(src, "r") as f:
        if "layer_names" in f.attrs or "layer_names0" in f.attrs:
            return "legacy-h5"
    return "keras-v3-weights"


def load_v3_weights(model: Any, path: Path, subject: str) -> dict[str, Any]:
    """Keras 3's own `load_weights`; for files it cannot match (tf.keras 2.12 numbered layer
    groups differently), the groups are matched to layers by class and order instead."""
    from migrator.convert.keras3_build import read_v3_weights_by_class, set_layer_weights

    try:
        model.load_weights(str(path))
        return {"loaded_by": "keras.Model.load_weights"}
    except ValueError as exc:
        first = first_line(exc, 200)
        stored = read_v3_weights_by_class(path, model)
        layers = {layer.name: layer for layer in model.layers}
        for name in stored.order:
            set_layer_weights(layers[name], stored.layers[name], subject=subject, stored_name=name)
        return {"loaded_by": "layer groups matched by class", "keras_error": first}


def _factory(spec: str) -> Any:
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)()


@conversion_step(
    "weights-to-keras",
    source="keras-weights+arch",
    target="keras-v3",
    validate_with=("era", "tf_keras"),
    summary="weights-only HDF5 or TF weight checkpoint + architecture -> "
    "`.weights.h5` and `.keras`",
)
def run(
    src: str,
    out_dir: str,
    *,
    architecture: str | None = None,
    model_factory: str | None = None,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    from migrator.convert.config_rewrite import rewrite
    from migrator.convert.keras3_build import (
        assign_weights,
        build_model,
        built_result,
        embedding_vocab,
        from_tf_keras_model,
        read_h5_weights,
        save_keras,
        signature,
        uses_channels_first,
    )

    path = Path(src)
    if path.suffix == ".index":
        path = path.with_suffix("")
    kind = weights_kind(path)
    out = Path(out_dir)
    if model_factory:
        if kind == "tf-checkpoint":
            raise ConversionError(
                src,
                "Keras 3 cannot read TF-format weight checkpoints",
                "pass the architecture as JSON (--arch) instead of --model-factory, so tf-keras "
                "can restore the checkpoint",
            )
        model = _factory(model_factory)
        if kind == "keras-v3-weights":
            loaded_by = load_v3_weights(model, path, src)["loaded_by"]
        else:
            model.load_weights(str(path))
            loaded_by = "keras.Model.load_weights"
        return {
            "path": str(save_keras(model, out)),
            "changes": [],
            "notes": [f"architecture from --model-factory {model_factory}"],
            "signature": signature(model),
            "int_high": embedding_vocab(model),
            "channels_first": uses_channels_first(model.get_config()),
            "weights": {"loaded_by": loaded_by},
            "weight_transforms": {},
            "weights_kind": kind,
        }
    if not architecture:
        raise ConversionError(
            src,
            "a weights-only file needs its architecture",
            "put the model.to_json() file beside it, or pass --arch FILE or --model-factory",
        )
    config, arch_version = read_architecture(Path(architecture))
    if kind == "tf-checkpoint":
        import tf_keras

        rw2 = rewrite(config, keras_version=arch_version, unsafe=unsafe, target="keras2")
        tf_model = tf_keras.models.model_from_json(json.dumps(rw2.config))
        tf_model.load_weights(str(path)).expect_partial()
        result = from_tf_keras_model(
            tf_model, out, subject=src, modules=custom_objects, unsafe=unsafe
        )
        result["weights_kind"] = kind
        result["source_config_keras2"] = json.dumps(rw2.config)
        return result
    if kind == "keras-v3-weights":
        rw = rewrite(config, keras_version=arch_version or "3", unsafe=unsafe)
        model = build_model(rw.config, subject=src, modules=custom_objects, unsafe=unsafe)
        assigned = load_v3_weights(model, path, src)
        stored_backend = None
    else:
        stored = read_h5_weights(path)
        version = stored.keras_version or arch_version
        rw = rewrite(config, keras_version=version, unsafe=unsafe)
        model = build_model(
            rw.config, subject=src, modules=custom_objects, unsafe=unsafe, deferred=True
        )
        assigned = assign_weights(model, stored, rw, subject=src)
        stored_backend = stored.backend
    return {
        **built_result(
            save_keras(model, out),
            model,
            rw,
            assigned,
            [f"architecture from {Path(architecture).name}"],
        ),
        "weights_kind": kind,
        "source_keras_major": rw.source_keras_major,
        "source_config_keras2": json.dumps(
            rewrite(
                config,
                keras_version=(stored.keras_version if kind == "legacy-h5" else None)
                or arch_version,
                unsafe=True,
                target="keras2",
            ).config
        ),
        "theano": (stored_backend or "").lower() == "theano",
    }

"""Step: graph-mode Keras export with `assets/saved_model.json` -> Keras 3 `.keras`.

`tf.contrib.saved_model.save_keras_model` (TF 1.12-1.13) and
`tf.keras.experimental.export_saved_model` (TF 1.14-2.x) wrote a TF1 SavedModel plus the model's
`to_json()` in `assets/saved_model.json`. The JSON is rewritten for Keras 3 and built; the weights
are read from `variables/` (a name-based checkpoint: `<layer>/<weight>` keys, as Keras layers
named their variables in graph mode) with `tf.train.load_checkpoint`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError


def _checkpoint_key(keys: set[str], layer: str, index: int, weight_path: str) -> str | None:
    """The checkpoint key of one Keras 3 weight of the `index`-th layer with weights.

    Graph-mode exports are name-based (`dense/kernel`, `lstm/lstm_cell/kernel`); TF 1.13's
    `save_keras_model` wrote an object-based checkpoint
    (`layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`).
    """
    leaf = weight_path.rsplit("/", 1)[-1]
    candidates = [weight_path, f"{layer}/{leaf}"]
    candidates += sorted(k for k in keys if k.startswith(f"{layer}/") and k.endswith(f"/{leaf}"))
    prefix, suffix = f"layer_with_weights-{index}/", f"{leaf}/.ATTRIBUTES/VARIABLE_VALUE"
    candidates.append(prefix + suffix)
    candidates += sorted(k for k in keys if k.startswith(prefix) and k.endswith(f"/{suffix}"))
    for key in candidates:
        if key in keys:
            return key
    return None


@conversion_step(
    "tf1-keras-export-to-keras",
    source="tf1-keras-export",
    target="keras-v3",
    validate_with=("newest",),
    summary="tf.contrib / `tf.keras.experimental` export (graph-mode "
    "SavedModel with `assets/saved_model.json`) -> Keras 3 `.keras`",
)
def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    import tensorflow as tf

    from migrator.convert.config_rewrite import rewrite
    from migrator.convert.keras3_build import (
        StoredWeights,
        assign_weights,
        build_model,
        built_result,
        save_keras,
    )

    folder = Path(src)
    arch = folder / "assets" / "saved_model.json"
    try:
        config = json.loads(arch.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConversionError(
            arch,
            f"cannot read the Keras config ({exc})",
            "restore assets/saved_model.json from the original export",
        ) from exc
    version = config.get("keras_version") if isinstance(config, dict) else None
    rw = rewrite(config, keras_version=version, unsafe=unsafe)
    model = build_model(
        rw.config, subject=src, modules=custom_objects, unsafe=unsafe, deferred=True
    )
    reader = tf.train.load_checkpoint(str(folder / "variables" / "variables"))
    keys = set(reader.get_variable_to_shape_map())
    stored = StoredWeights(keras_version=version or "2", backend="tensorflow")
    missing = []
    for index, layer in enumerate(layer for layer in model.layers if layer.weights):
        arrays = []
        for weight in layer.weights:
            path = str(getattr(weight, "path", weight.name))
            key = _checkpoint_key(keys, layer.name, index, path)
            if key is None:
                missing.append(path)
                continue
            arrays.append(reader.get_tensor(key))
        stored.layers[layer.name] = arrays
        stored.order.append(layer.name)
    if missing:
        raise ConversionError(
            src,
            f"{len(missing)} weight(s) have no variable in the checkpoint: "
            + ", ".join(missing[:5]),
            "the export does not match its saved_model.json",
        )
    assigned = assign_weights(model, stored, rw, subject=src)
    return built_result(
        save_keras(model, Path(out_dir)),
        model,
        rw,
        assigned,
        ["architecture from assets/saved_model.json, weights from variables/"],
    )

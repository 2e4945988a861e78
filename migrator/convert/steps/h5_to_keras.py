"""Step: Keras full-model HDF5 (Keras 1, Keras 2, tf.keras, Keras 3 legacy) -> Keras 3 `.keras`.

The model config stored in the file is rewritten for Keras 3 (`config_rewrite`), built by Keras 3,
and given the file's weights read with h5py and converted to the Keras 3 layout
(`weight_layouts`: Keras 1 gates and kernels, Theano kernel flips, cuDNN RNNs, hard_sigmoid).
Neither `keras.models.load_model` nor the Lambda code in the file runs unless `--unsafe` is given.
The training config (optimizer, loss) is recorded but not compiled in, so the `.keras` loads
without the training code; optimizer state is not carried (see `notes`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.convert.config_rewrite import rewrite
from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError
from migrator.formats.hdf5 import attrs


def read_h5_config(
    path: Path, reading: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model config, file facts: keras_version, backend, training_config, optimizer weights).

    `reading` is what the audit's HDF5 reader already parsed (`Reading.raw` and a few details):
    its model_config is joined from `model_config0..N` chunks (Keras splits attributes over
    HDF5's 64 KB header limit). Without it (a caller outside the converter), the attributes are
    read here with the reader's own helpers, chunks included.
    """
    import h5py

    reading = reading or {}
    with h5py.File(path, "r") as f:
        config = reading.get("model_config")
        if config is None:
            config = _json_attr(f, "model_config", path)
        if config is None:
            raise ConversionError(
                path,
                "the HDF5 file has no model_config (it holds weights only)",
                "convert it together with its architecture (a JSON/YAML beside it, --arch, or "
                "--model-factory)",
            )
        facts: dict[str, Any] = {}
        for key in ("keras_version", "backend"):
            value, _ = attrs.text_attr(f, key)
            if value is not None:
                facts[key] = value
        training = reading.get("training_config")
        if training is None:
            training = _json_attr(f, "training_config", path)
        if training is not None:
            facts["training_config"] = training
        facts["optimizer_weights"] = "optimizer_weights" in f
    return config, facts


def _json_attr(f: Any, name: str, path: Path) -> Any:
    """A JSON attribute (joined from chunks), parsed; None when absent."""
    text, _ = attrs.text_attr(f, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConversionError(
            path, f"{name} is not valid JSON ({exc})", "the file is damaged; re-export it"
        ) from exc


@conversion_step(
    "h5-to-keras",
    source="keras-h5",
    target="keras-v3",
    validate_with=("era", "tf_keras"),
    summary="Keras HDF5 model (Keras 1/2, tf.keras, Keras 3 legacy) -> Keras 3 `.keras`",
)
def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    reading: Mapping[str, Any] | None = None,
    **_: Any,
) -> dict[str, Any]:
    from migrator.convert.keras3_build import (
        assign_weights,
        build_model,
        built_result,
        read_h5_weights,
        save_keras,
    )

    path = Path(src)
    config, facts = read_h5_config(path, reading)
    rw = rewrite(config, keras_version=facts.get("keras_version"), unsafe=unsafe)
    model = build_model(
        rw.config, subject=src, modules=custom_objects, unsafe=unsafe, deferred=True
    )
    stored = read_h5_weights(path)
    if stored.backend is None:
        stored.backend = facts.get("backend")
    assigned = assign_weights(model, stored, rw, subject=src)
    out = save_keras(model, Path(out_dir))
    notes = []
    if facts.get("optimizer_weights"):
        notes.append(
            "optimizer state in the source is not carried over (Keras 3 optimizers "
            "lay out their slots differently); recompile to continue training"
        )
    if facts.get("training_config"):
        notes.append(
            "training config (optimizer, loss, metrics) recorded in metadata, not "
            "compiled into the .keras file"
        )
    return {
        **built_result(out, model, rw, assigned, notes),
        "source_keras_major": rw.source_keras_major,
        "training_config": facts.get("training_config"),
        # How validation can load the source in an older runtime (Keras 1 needs the Keras 2 form).
        "source_config_keras2": (
            json.dumps(
                rewrite(
                    config, keras_version=facts.get("keras_version"), unsafe=True, target="keras2"
                ).config
            )
            if rw.source_keras_major == 1
            else None
        ),
        "theano": (stored.backend or "").lower() == "theano",
    }

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
from pathlib import Path
from typing import Any

from migrator.convert import ConversionError
from migrator.convert.config_rewrite import rewrite


def read_h5_config(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model config, file facts: keras_version, backend, training_config, optimizer weights)."""
    import h5py

    with h5py.File(path, "r") as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise ConversionError(
                path,
                "the HDF5 file has no model_config (it holds weights only)",
                "convert it together with its architecture (a JSON/YAML beside it, --arch, or "
                "--model-factory)",
            )
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        try:
            config = json.loads(text)
        except ValueError as exc:
            raise ConversionError(
                path, f"model_config is not valid JSON ({exc})", "the file is damaged; re-export it"
            ) from exc
        facts: dict[str, Any] = {}
        for key in ("keras_version", "backend"):
            if key in f.attrs:
                value = f.attrs[key]
                facts[key] = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        training = f.attrs.get("training_config")
        if training is not None:
            facts["training_config"] = json.loads(
                training.decode("utf-8") if isinstance(training, bytes) else str(training)
            )
        facts["optimizer_weights"] = "optimizer_weights" in f
    return config, facts


def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    from migrator.convert.keras3_build import (
        assign_weights,
        build_model,
        embedding_vocab,
        read_h5_weights,
        save_keras,
        signature,
        uses_channels_first,
    )

    path = Path(src)
    config, facts = read_h5_config(path)
    rw = rewrite(config, keras_version=facts.get("keras_version"), unsafe=unsafe)
    model = build_model(rw.config, subject=src, modules=custom_objects, unsafe=unsafe)
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
        "path": str(out),
        "changes": rw.changes,
        "notes": notes,
        "weights": assigned,
        "weight_transforms": rw.weight_transforms,
        "signature": signature(model),
        "int_high": embedding_vocab(model),
        "channels_first": uses_channels_first(rw.config),
        "lambdas": rw.lambdas,
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

"""Keras 2 configs that a CPU runtime can run: cuDNN RNN layers as the LSTM/GRU they equal.

`CuDNNLSTM`/`CuDNNGRU` only run on a GPU, so a validation runtime without one cannot run a source
that uses them. tf.keras' own legacy weight loader (`hdf5_format._convert_rnn_weights`, kept in
tf.keras 2.12-2.15 and tf-keras 2.16+) converts cuDNN weights when they are loaded into an `LSTM`
(recurrent_activation sigmoid) or a `GRU` (reset_after=True, recurrent_activation sigmoid), the
configurations that compute the same function. Renaming the class in the Keras 2 form of the
config therefore lets tf.keras run the source with its own conversion, independent of migrator's
(`weight_layouts`), which is what makes the comparison a check.
"""

from __future__ import annotations

from typing import Any

from migrator.convert.config_rewrite.result import Config, Rewrite
from migrator.knowledge.keras2_to_3 import RENAMED_CLASSES


def portable_rnns(config: Config, rw: Rewrite) -> Config:
    """Rename cuDNN RNN layers (at any nesting, wrappers included) to their portable twins."""
    from migrator.formats.keras_config import iter_layers, layer_name

    entries: list[Any] = [layer for _, layer in iter_layers(config)]
    for entry in entries:
        cls = entry.get("class_name")
        if cls not in RENAMED_CLASSES or not isinstance(entry.get("config"), dict):
            continue
        new = RENAMED_CLASSES[cls]
        cfg = entry["config"]
        cfg.setdefault("recurrent_activation", "sigmoid")
        if new == "GRU":
            cfg["reset_after"] = True
        entry["class_name"] = new
        rw.note(f"{layer_name(entry)}: {cls} -> {new} for CPU runtimes (tf.keras converts weights)")
    return config

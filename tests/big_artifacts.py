"""Big artifacts built from small real ones, without TensorFlow: for the bounded-read tests.

Each grows the first Dense kernel of a corpus model to `size` bytes (the input dimension grows
with it, so config and weights agree), writing real bytes: what an audit must not move.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import h5py
import numpy as np

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "generated"
SMALL_H5 = CORPUS / "tf215" / "keras" / "sequential" / "save-h5" / "model.h5"
SMALL_KERAS = CORPUS / "tf221" / "keras" / "sequential" / "save-keras" / "model.keras"
SMALL_SAVEDMODEL = CORPUS / "tf215" / "keras" / "sequential" / "tf-saved-model" / "saved_model"
UNITS = 8  # the hidden Dense layer of the corpus "sequential" model
_ROWS_PER_WRITE = 1 << 20


def _rows(size: int) -> int:
    return max(4, size // (4 * UNITS))


def _fill(dataset: h5py.Dataset) -> None:
    block = np.full((_ROWS_PER_WRITE, UNITS), 0.25, dtype="float32")
    for start in range(0, dataset.shape[0], _ROWS_PER_WRITE):
        stop = min(start + _ROWS_PER_WRITE, dataset.shape[0])
        dataset[start:stop] = block[: stop - start]


def _grow_input(config: dict, rows: int, key: str) -> None:
    """The InputLayer's feature dimension becomes `rows` (the kernel's first axis)."""
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"][key] = [None, rows]


def big_h5(dst: Path, size: int) -> Path:
    """A Keras 2 full-model `.h5` of about `size` bytes (tf.keras 2.15, corpus 'sequential')."""
    shutil.copyfile(SMALL_H5, dst)
    rows = _rows(size)
    with h5py.File(dst, "a") as h5:
        config = json.loads(h5.attrs["model_config"])
        _grow_input(config, rows, "batch_input_shape")
        h5.attrs["model_config"] = json.dumps(config)
        group = h5["model_weights/hidden/hidden"]
        del group["kernel:0"]
        _fill(group.create_dataset("kernel:0", shape=(rows, UNITS), dtype="float32"))
    return dst


def big_keras(dst: Path, size: int) -> Path:
    """A Keras 3 `.keras` of about `size` bytes; model.weights.h5 stored, as Keras writes it."""
    rows = _rows(size)
    with zipfile.ZipFile(SMALL_KERAS) as small:
        config = json.loads(small.read("config.json"))
        metadata = small.read("metadata.json")
        weights = small.read("model.weights.h5")
    _grow_input(config, rows, "batch_shape")
    weights_path = dst.with_name(dst.name + ".weights.h5")
    weights_path.write_bytes(weights)
    with h5py.File(weights_path, "a") as h5:
        del h5["layers/dense/vars/0"]
        _fill(h5["layers/dense/vars"].create_dataset("0", shape=(rows, UNITS), dtype="float32"))
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
        out.writestr("metadata.json", metadata)
        out.writestr("config.json", json.dumps(config))
        out.write(weights_path, "model.weights.h5")
    weights_path.unlink()
    return dst


def big_savedmodel(dst: Path, size: int) -> Path:
    """A SavedModel folder whose variables data shard is about `size` bytes longer (as a big
    model's shard is): the graph, index and Keras metadata stay the small real ones."""
    shutil.copytree(SMALL_SAVEDMODEL, dst)
    shard = next((dst / "variables").glob("variables.data-*"))
    block = bytes(1 << 20)
    with open(shard, "ab") as fh:
        for _ in range(size >> 20):
            fh.write(block)
    return dst

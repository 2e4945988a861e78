"""What the two legacy layouts (``model.save`` and ``save_weights`` to ``.h5``) share.

Both list layers in a ``layer_names`` attribute and each layer's datasets in ``weight_names``;
both record ``keras_version`` and ``backend`` (Keras 2+). Keras 1 weight names
(``<layer>_W``, ``<layer>_b``, ``param_0``) differ from Keras 2's ``<layer>/kernel:0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from migrator.formats import LazyModule
from migrator.formats.hdf5.attrs import list_attr, text
from migrator.formats.hdf5.files import RECOPY, V3_WEIGHTS_SUFFIX
from migrator.formats.hdf5.tree import dtype_name, nbytes, resolve

h5py = LazyModule("h5py")

LEGACY_SUFFIXES = (".h5", ".hdf5")
# Keras 1 weight names: <layer>_W, <layer>_b, <layer>_W_i (LSTM gates), <layer>_gamma,
# <layer>_running_std, ... with an optional _<n> uniquifier and TensorFlow's :0 suffix.
KERAS1_WEIGHT = re.compile(
    r"^(?:param_\d+|.+_(?:W|U|V|b|W_[a-z]|U_[a-z]|b_[a-z]|gamma|beta|running_mean|running_std)"
    r"(?:_\d+)?)(?::\d+)?$"
)


def layer_weights(
    group: h5py.Group,
    layer_names: list[str],
    where: str,
    errors: list[str],
    chunked: dict[str, int],
) -> list[dict[str, Any]]:
    """[{layer, weights: [{name, shape, dtype}]}] from each layer group's ``weight_names``."""
    out: list[dict[str, Any]] = []
    missing_layers: list[str] = []
    missing_weights: list[str] = []
    for name in layer_names:
        layer = resolve(group, name)
        if not isinstance(layer, h5py.Group):
            missing_layers.append(name)
            continue
        names, chunks = list_attr(layer, "weight_names")
        if chunks:
            chunked[_join(where, name, "weight_names")] = chunks
        items = []
        for weight in names:
            ds = resolve(layer, weight)
            if isinstance(ds, h5py.Dataset):
                items.append(
                    {"name": weight, "shape": list(ds.shape or ()), "dtype": dtype_name(ds)}
                )
            else:
                missing_weights.append(f"{name}/{weight}")
        out.append({"layer": name, "weights": items})
    if missing_layers:
        errors.append(
            f"{len(missing_layers)} layer(s) listed in {_join(where, 'layer_names')} have no "
            f"group (first: {missing_layers[0]!r}); the weights are incomplete, {RECOPY}"
        )
    if missing_weights:
        errors.append(
            f"{len(missing_weights)} weight(s) listed in weight_names are not datasets in the "
            f"file (first: {missing_weights[0]!r}); the weights are incomplete, {RECOPY}"
        )
    return out


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def weight_totals(weights: list[dict[str, Any]]) -> tuple[int, int]:
    """(weight count, bytes from shape x dtype) over `layer_weights` output."""
    count = sum(len(layer["weights"]) for layer in weights)
    size = sum(nbytes(w["shape"], w["dtype"]) for layer in weights for w in layer["weights"])
    return count, size


def producer_of(h5: h5py.File, evidence: list[str]) -> dict[str, str]:
    """``keras_version`` and ``backend``, verbatim: root first, then the model_weights group."""
    producer: dict[str, str] = {}
    weights_group = resolve(h5, "model_weights")
    for key in ("keras_version", "backend"):
        for obj, where in ((h5, "root"), (weights_group, "model_weights group")):
            if isinstance(obj, h5py.Group) and key in obj.attrs:
                value = text(obj.attrs[key])
                if value is not None:
                    producer[key] = value
                    evidence.append(f"{where} attribute {key}={value!r}")
                    break
    return producer


def legacy_extension_evidence(name: str, extension: str, weights_only: bool) -> str | None:
    """Why this legacy HDF5 content is under a name Keras 3 will not open as legacy HDF5."""
    if extension == ".keras":
        return (
            "named .keras but the bytes are HDF5, not a zip: tf.keras before the .keras zip "
            "format saved '.keras' paths as HDF5; Keras 3 expects a zip under that name and "
            "cannot load it; rename the file to .h5"
        )
    if weights_only and extension == V3_WEIGHTS_SUFFIX:
        return (
            "named .weights.h5 but holds legacy layer_names weights: Keras 3 reads .weights.h5 "
            "as its new layout and fails; rename the file to .h5"
        )
    if extension not in LEGACY_SUFFIXES:
        return (
            f"named {name!r}: Keras 3 opens legacy HDF5 only under a .h5 or .hdf5 name; "
            "rename the file"
        )
    return None


def tf_keras(version: str | None) -> bool:
    """The ``-tf`` suffix of the Keras bundled in TensorFlow 1.x/2.0 (``2.2.4-tf``)."""
    return bool(version) and str(version).endswith("-tf")


def weight_naming(names: Iterable[str]) -> str | None:
    """ "keras2" (``<layer>/kernel:0``), "keras1" (``<layer>_W``, ``param_0``) or None."""
    names = list(names)
    if not names:
        return None
    if any("/" in n for n in names):
        return "keras2"
    if any(KERAS1_WEIGHT.match(n) for n in names):
        return "keras1"
    return None


def loss_summary(loss: Any) -> Any:
    """The loss as recorded: a name, a serialized loss object's class, per-output dict or list."""
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Mapping):
        if isinstance(loss.get("class_name"), str):
            if loss["class_name"] == "function" and isinstance(loss.get("config"), str):
                return loss["config"]
            return loss["class_name"]
        return {str(k): loss_summary(v) for k, v in loss.items()}
    if isinstance(loss, list | tuple):
        return [loss_summary(v) for v in loss]
    return str(loss)

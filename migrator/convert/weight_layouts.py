"""Weight layout conversions between Keras eras, in numpy (no TensorFlow).

What changed in how Keras laid out weights, and the conversion that keeps each layer computing
the same function (the same facts Keras 2's `preprocess_weights_for_loading` encoded):

- Keras 1 kept one weight per LSTM/GRU gate (`W_i, U_i, b_i, W_c, ...`, 12 or 9 arrays); Keras 2
  fuses them into `kernel`, `recurrent_kernel`, `bias` with LSTM gates ordered i, f, c, o (Keras 1
  listed i, c, f, o) and GRU gates z, r, h.
- Keras 1 channels-first ("th") convolution kernels are (filters, in, rows, cols); Keras 2 stores
  (rows, cols, in, filters) in every data format. Keras 1 Conv1D kernels carried a dummy axis.
- Theano computes a true convolution, TensorFlow a correlation: kernels trained with Theano are
  flipped along every spatial axis (Keras 2's `convert_kernel`).
- CuDNNLSTM/CuDNNGRU stored per-gate transposed kernels and split biases.
- Keras 3 redefined hard_sigmoid; `config_rewrite` records per-layer `scale`/`scale_gates`
  transforms that `apply_transforms` applies here.

Every function checks the shapes it is given and raises `NoFaithfulMapping` rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from migrator.errors import NoFaithfulMapping
from migrator.knowledge.keras1 import THEANO_FLIPPED_KERNEL_CLASSES


def flip_kernel(kernel: np.ndarray) -> np.ndarray:
    """Reverse every spatial axis (all but the last two) of a convolution kernel."""
    if kernel.ndim < 3:
        raise ValueError(f"not a convolution kernel: shape {kernel.shape}")
    index = tuple(slice(None, None, -1) for _ in range(kernel.ndim - 2)) + (slice(None),) * 2
    return np.ascontiguousarray(kernel[index])


def keras1_layout(
    name: str, cls: str, config: Mapping[str, Any], arrays: list[np.ndarray]
) -> list[np.ndarray]:
    """Keras 1 weights of layer `name` (now a Keras 2/3 `cls`) in the Keras 2 layout."""
    arrays = list(arrays)
    data_format = config.get("data_format") or "channels_last"
    if cls == "Conv1D" and arrays and arrays[0].ndim == 4:
        kernel = arrays[0]
        size = _first(config.get("kernel_size"))
        if kernel.shape[1] == 1 and kernel.shape[0] == size:  # (length, 1, in, filters)
            arrays[0] = kernel[:, 0, :, :]
        elif kernel.shape[3] == 1 and kernel.shape[2] == size:  # Keras 1.1: (filters, in, len, 1)
            arrays[0] = np.transpose(kernel, (2, 3, 1, 0))[:, 0, :, :]
        else:
            raise _layout_error(name, cls, kernel.shape)
    elif cls in ("Conv2D", "SeparableConv2D") and data_format == "channels_first" and arrays:
        if cls == "Conv2D":
            arrays[0] = np.transpose(arrays[0], (2, 3, 1, 0))
    elif cls == "Conv2DTranspose" and arrays:
        order = (0, 1, 3, 2) if data_format == "channels_last" else (2, 3, 0, 1)
        arrays[0] = np.transpose(arrays[0], order)
    elif cls == "Conv3D" and data_format == "channels_first" and arrays:
        arrays[0] = np.transpose(arrays[0], (2, 3, 4, 1, 0))
    elif cls == "GRU" and len(arrays) == 9:
        arrays = [
            np.concatenate([arrays[i], arrays[i + 3], arrays[i + 6]], axis=-1) for i in range(3)
        ]
    elif cls in ("LSTM", "ConvLSTM2D") and len(arrays) == 12:
        # Keras 1 order i, c, f, o -> Keras 2 order i, f, c, o
        arrays = [
            np.concatenate([arrays[i], arrays[i + 6], arrays[i + 3], arrays[i + 9]], axis=-1)
            for i in range(3)
        ]
        if cls == "ConvLSTM2D" and data_format == "channels_first":
            arrays[0] = np.transpose(arrays[0], (2, 3, 1, 0))
            arrays[1] = np.transpose(arrays[1], (2, 3, 1, 0))
    return arrays


def _first(value: Any) -> int | None:
    if isinstance(value, (list, tuple)):
        return int(value[0]) if value else None
    return int(value) if isinstance(value, int) else None


def _layout_error(name: str, cls: str, shape: tuple[int, ...]) -> NoFaithfulMapping:
    return NoFaithfulMapping(
        name,
        f"weights of layer {name!r} ({cls}) have shape {tuple(shape)}, which matches no known "
        "Keras 1 layout (no faithful mapping)",
        "load the model in the Keras version that wrote it and re-save it with Keras 2",
    )


def theano_flip(cls: str, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Flip the kernels of a convolution trained with Theano (Keras 2's `_need_convert_kernel`)."""
    if cls not in THEANO_FLIPPED_KERNEL_CLASSES or not arrays:
        return arrays
    arrays = list(arrays)
    arrays[0] = flip_kernel(arrays[0])
    if cls == "ConvLSTM2D" and len(arrays) > 1:
        arrays[1] = flip_kernel(arrays[1])
    return arrays


def cudnn_to_native(name: str, cls: str, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """CuDNNLSTM/CuDNNGRU weights in the LSTM / GRU(reset_after=True) layout."""
    if len(arrays) != 3:
        raise _layout_error(name, cls, tuple(a.shape for a in arrays))  # type: ignore[arg-type]
    kernel, recurrent, bias = arrays
    gates = 4 if cls == "LSTM" else 3
    units = recurrent.shape[0]

    def per_gate(matrix: np.ndarray, fn: Any) -> np.ndarray:
        return np.hstack([fn(part) for part in np.hsplit(matrix, gates)])

    # cuDNN kept each gate's input kernel in Fortran order.
    kernel = per_gate(kernel, lambda k: k.T.reshape(k.shape, order="F"))
    recurrent = per_gate(recurrent, lambda k: k.T)
    if bias.shape != (2 * units * gates,):
        raise _layout_error(name, cls, bias.shape)
    if cls == "LSTM":
        bias = bias[: units * gates] + bias[units * gates :]
    else:
        bias = bias.reshape(2, -1)
    return [kernel, recurrent, bias]


def apply_transforms(
    name: str, arrays: list[np.ndarray], transforms: Sequence[Mapping[str, Any]]
) -> list[np.ndarray]:
    """Apply `config_rewrite`'s recorded weight transforms (hard_sigmoid rescaling)."""
    arrays = [np.array(a, copy=True) for a in arrays]
    for spec in transforms:
        halves = [arrays]
        if spec.get("bidirectional"):
            half = len(arrays) // 2
            halves = [arrays[:half], arrays[half:]]
        out: list[np.ndarray] = []
        for part in halves:
            out.extend(_transform(name, part, spec))
        arrays = out
    return arrays


def _transform(name: str, arrays: list[np.ndarray], spec: Mapping[str, Any]) -> list[np.ndarray]:
    factor = np.float64(spec["factor"])
    arrays = list(arrays)
    for index in spec["indices"]:
        if index >= len(arrays):
            raise NoFaithfulMapping(
                name,
                f"layer {name!r} has {len(arrays)} weights; expected at least {index + 1}",
                "check that the architecture matches the weights",
            )
        value = arrays[index]
        if spec["op"] == "scale":
            arrays[index] = (value * factor).astype(value.dtype)
        elif spec["op"] == "scale_gates":
            gates = int(spec["gates"])
            width = value.shape[-1] // gates
            if width * gates != value.shape[-1]:
                raise NoFaithfulMapping(
                    name,
                    f"weight {index} of layer {name!r} has {value.shape[-1]} columns, "
                    f"not a multiple of {gates} gates",
                    "check the architecture",
                )
            scaled = value.astype(np.float64)
            for gate in spec["which"]:
                scaled[..., gate * width : (gate + 1) * width] *= factor
            arrays[index] = scaled.astype(value.dtype)
        else:
            raise ValueError(f"unknown weight transform {spec['op']!r}")
    return arrays


def convert_layer(
    name: str,
    source_class: str,
    target_class: str,
    config: Mapping[str, Any],
    arrays: list[np.ndarray],
    *,
    keras1: bool,
    theano: bool,
    transforms: Sequence[Mapping[str, Any]] = (),
) -> list[np.ndarray]:
    """One layer's stored weights in the layout its Keras 3 counterpart expects."""
    arrays = [np.asarray(a) for a in arrays]
    inner_cls, inner_cfg = target_class, config
    if target_class == "TimeDistributed" and isinstance(config.get("layer"), Mapping):
        inner_cls = str(config["layer"].get("class_name"))
        inner_cfg = config["layer"].get("config") or {}
    if target_class == "Bidirectional" and isinstance(config.get("layer"), Mapping):
        inner_cls = str(config["layer"].get("class_name"))
        inner_cfg = config["layer"].get("config") or {}
        half = len(arrays) // 2
        parts = [arrays[:half], arrays[half:]]
        converted = []
        for part in parts:
            converted.extend(
                _convert_one(
                    name, source_class, inner_cls, inner_cfg, part, keras1=keras1, theano=theano
                )
            )
        return apply_transforms(name, converted, transforms) if transforms else converted
    converted = _convert_one(
        name, source_class, inner_cls, inner_cfg, arrays, keras1=keras1, theano=theano
    )
    return apply_transforms(name, converted, transforms) if transforms else converted


def _convert_one(
    name: str,
    source_class: str,
    cls: str,
    config: Mapping[str, Any],
    arrays: list[np.ndarray],
    *,
    keras1: bool,
    theano: bool,
) -> list[np.ndarray]:
    if keras1:
        arrays = keras1_layout(name, cls, config, arrays)
    if theano:
        arrays = theano_flip(cls, arrays)
    if source_class in ("CuDNNLSTM", "CuDNNGRU"):
        arrays = cudnn_to_native(name, cls, arrays)
    return arrays

"""MIG109 (theano-conv-kernels) positive case: the rule must fire here.

An artifact with the pattern: Convolution kernels trained with the Theano backend.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential

THEANO_CONV = sequential(
    {
        "class_name": "Conv2D",
        "config": {
            "name": "conv2d_1",
            "filters": 4,
            "kernel_size": [3, 3],
            "data_format": "channels_first",
            "batch_input_shape": [None, 1, 8, 8],
        },
    },
    {"class_name": "Flatten", "config": {"name": "flatten_1"}},
    dense("dense_1", 2),
)


def build(folder: Path) -> Path:
    target = folder / "theano_conv.h5"
    return keras_h5(
        target,
        THEANO_CONV,
        keras_version="2.0.8",
        backend="theano",
        layers={"conv2d_1": [("conv2d_1/kernel:0", (4, 1, 3, 3))]},
    )

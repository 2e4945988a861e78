"""MIG109 (theano-conv-kernels) positive case: the rule must fire here.

An artifact with the pattern: Convolution kernels trained with the Theano backend.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import weights_h5


def build(folder: Path) -> Path:
    target = folder / "theano_conv_weights.h5"
    return weights_h5(
        target,
        {"conv2d_1": [("conv2d_1/kernel:0", (4, 1, 3, 3)), ("conv2d_1/bias:0", (4,))]},
        keras_version="2.0.8",
        backend="theano",
    )

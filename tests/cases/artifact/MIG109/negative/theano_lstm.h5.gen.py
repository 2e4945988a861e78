"""MIG109 (theano-conv-kernels) negative case: the rule must stay silent here.

Close to, but not: Convolution kernels trained with the Theano backend.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential

THEANO_LSTM = sequential(
    {
        "class_name": "LSTM",
        "config": {"name": "lstm_1", "units": 4, "batch_input_shape": [None, 5, 3]},
    },
    dense("dense_1", 1),
)


def build(folder: Path) -> Path:
    target = folder / "theano_lstm.h5"
    return keras_h5(target, THEANO_LSTM, keras_version="2.0.8", backend="theano")

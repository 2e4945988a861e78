"""MIG110 (layers-removed-in-keras3) positive case: the rule must fire here.

An artifact with the pattern: Layer classes Keras 3 removed (TF-op layers, CuDNN RNNs,
LocallyConnected...).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cases._writers import sequential


def build(folder: Path) -> Path:
    target = folder / "cudnn_lstm.json"
    target.write_text(
        json.dumps(
            {
                **sequential(
                    {"class_name": "CuDNNLSTM", "config": {"name": "cu_dnnlstm", "units": 4}}
                ),
                "keras_version": "2.2.4",
                "backend": "tensorflow",
            }
        ),
        encoding="utf-8",
    )
    return target

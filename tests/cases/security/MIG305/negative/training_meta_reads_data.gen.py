"""MIG305 (unsafe-graph-ops) negative case: the rule must stay silent here.

Close to, but not: TensorFlow ops that read or write files, reach the network or run Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint, meta_with, node, string_const


def build(folder: Path) -> Path:
    target = folder / "training_meta_reads_data"
    return checkpoint(
        target,
        PLAIN_SAVER_CKPT,
        meta=meta_with(
            [
                string_const("files", "/data/train-00000.tfrecord"),
                node("TFRecordDataset", "TFRecordDatasetV2", ["files"]),
            ]
        ),
    )

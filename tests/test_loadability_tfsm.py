"""TFSMLayer on exports whose endpoint takes several inputs, predicted and (in TF 2.21) measured.

TFSMLayer calls its endpoint with one positional argument (`keras/src/export/tfsm_layer.py`).
model.export traces `serve` with one argument (a list of tensors for a multi-input model), but
an ExportArchive endpoint can take several, whatever it is called: the prediction must follow the
endpoint's traced arguments, not its name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.loadability import predict_cells
from migrator.model import Artifact, Reading

SPEC = {"t": "tensor_spec", "name": "a", "shape": [None, 4], "dtype": "float32", "bounded": False}


def _export(endpoint: str, args: list, signature_inputs: tuple[str, ...]) -> Artifact:
    """A TF2 SavedModel reading as the savedmodel reader gives it: one MetaGraph whose root has
    the function `endpoint` traced with positional `args`, and signatures `endpoint` and
    serving_default (ExportArchive aliases its first endpoint)."""
    signature = {"inputs": {name: {"dtype": "DT_FLOAT"} for name in signature_inputs}}
    meta = {"tags": ["serve"], "signatures": {endpoint: signature, "serving_default": signature}}
    raw = {
        "concrete_functions": [
            {"name": endpoint, "options": [{"function": "f", "args": {"t": "tuple", "v": args}}]}
        ]
    }
    reading = Reading("saved-model", details={"era": "tf2", "meta_graphs": [meta]}, raw=raw)
    return Artifact("export", Path("/nowhere/export"), reading)


def test_a_serve_endpoint_of_two_positional_inputs_fails():
    cells = predict_cells(_export("serve", [SPEC, dict(SPEC, name="b")], ("a", "b")))
    for line in ("2.16", "2.21"):
        cell = cells[f"{line}/keras.layers.TFSMLayer"]
        assert cell.verdict == "fails"
        assert "`serve` endpoint takes 2 positional arguments" in cell.reason
        assert cells[f"{line}/tf.saved_model.load"].verdict == "loads"


def test_a_serve_endpoint_taking_one_list_of_inputs_loads():
    # model.export of a two-input model: one argument, a list; the signature flattens it to two
    cells = predict_cells(_export("serve", [{"t": "list", "v": [SPEC, SPEC]}], ("a", "b")))
    assert cells["2.21/keras.layers.TFSMLayer"].verdict == "loads"


def test_a_custom_endpoint_of_several_inputs_fails_like_a_multi_input_serving_default():
    cells = predict_cells(_export("predict", [SPEC, SPEC, SPEC], ("a", "b", "c")))
    cell = cells["2.21/keras.layers.TFSMLayer"]
    assert cell.verdict == "fails"
    assert "3 named inputs" in cell.reason
    single = predict_cells(_export("predict", [SPEC], ("a",)))
    assert single["2.21/keras.layers.TFSMLayer"].needs == ("call_endpoint",)


# --- measured: the real TFSMLayer on a real export (tox env tf221)


_WRITE_AND_CALL = """
import sys, numpy as np, tensorflow as tf, keras
out, endpoint = sys.argv[1], sys.argv[2]
a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
model = keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Concatenate()([a, b])))
archive = keras.export.ExportArchive()
archive.track(model)
archive.add_endpoint(
    endpoint,
    lambda x, y: model([x, y]),
    input_signature=[tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None, 3), tf.float32)],
)
archive.write_out(out)
try:
    layer = keras.layers.TFSMLayer(out, call_endpoint=endpoint)
    layer([np.ones((1, 4), "float32"), np.ones((1, 3), "float32")])
    print("loads")
except Exception as exc:
    print("fails", type(exc).__name__)
"""


@pytest.mark.tf
@pytest.mark.parametrize("endpoint", ["serve", "predict"])
def test_tfsm_layer_on_a_two_argument_endpoint_fails_as_predicted(tmp_path, endpoint):
    pytest.importorskip("tensorflow")
    if not metadata.version("keras").startswith("3."):
        pytest.skip("TFSMLayer is Keras 3's (tox envs tf216 and tf221)")
    out = tmp_path / "export"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1"}
    done = subprocess.run(
        [sys.executable, "-c", _WRITE_AND_CALL, str(out), endpoint],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    measured = done.stdout.strip().splitlines()[-1].split()[0]
    (artifact,) = audit([out]).artifacts
    cells = predict_cells(artifact)
    predicted = cells["2.21/keras.layers.TFSMLayer"]
    assert measured == "fails"
    assert predicted.verdict == "fails", predicted.reason

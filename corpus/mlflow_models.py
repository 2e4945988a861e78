"""Write the MLflow model folders of `corpus/mlflow/` with the real `mlflow` package.

Run it in a TF env that has mlflow installed; each MLflow line writes the folders its own save
APIs produce, so the TF-free tests audit what MLflow really writes rather than our idea of it:

    # MLflow 1.x: `mlflow.keras` (flavor `keras`, save_format h5 / tf) and `mlflow.tensorflow`
    # (a SavedModel dir with meta_graph_tags and signature_def_key), tf.keras 2.12
    PYTHONPATH=/tmp/mlflow130 .tox/tf212/bin/python corpus/mlflow_models.py corpus/mlflow
    # MLflow 2.x before the Keras 3 flavor: `mlflow.tensorflow` for Keras models (model_type
    # keras, save_format tf / h5) and tf.Module (model_type tf2-module), tf.keras 2.15
    PYTHONPATH=/tmp/mlflow210 .tox/tf215/bin/python corpus/mlflow_models.py corpus/mlflow
    # MLflow 3.x: the Keras 3 flavor (`.keras`, or an exported SavedModel) and `mlflow.tensorflow`
    .tox/tf221/bin/python corpus/mlflow_models.py corpus/mlflow

(`pip install --target /tmp/mlflow130 mlflow-skinny==1.30.1 "pandas<2.1"` with only the env's
numpy/protobuf/TF pins as constraints: old MLflow pins `packaging` below what the envs carry.)

Every folder is `mlflow<major><minor>_<api>_<save format>/` and `manifest.json` records, per
folder, the MLflow, TensorFlow and Keras versions and the call that wrote it. The model is one
Dense layer with fixed weights, so the folders stay a few hundred KB; `mlflow` infers no
requirements (they are given explicitly as the versions of this env, which is what inference
writes for this model) so regeneration does not depend on a subprocess import scan.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _model() -> Any:
    import numpy as np
    import tensorflow as tf

    keras = tf.keras
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="dense")])
    kernel = np.arange(6, dtype="float32").reshape(3, 2) / 10.0
    model.get_layer("dense").set_weights([kernel, np.array([0.5, -0.5], dtype="float32")])
    return model


def _requirements() -> list[str]:
    import mlflow
    import tensorflow as tf

    out = [f"mlflow=={mlflow.__version__}", f"tensorflow=={tf.__version__}"]
    try:
        import keras

        if keras.__version__.split(".")[0] == "3":
            out.append(f"keras=={keras.__version__}")
    except ImportError:
        pass
    return out


def _calls(line: str) -> dict[str, Any]:
    """name -> function(path) writing one folder, for the MLflow line installed."""
    import mlflow
    import tensorflow as tf

    reqs = _requirements()
    calls: dict[str, Any] = {}
    if line == "1":

        def tf_savedmodel(path: str) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                export = os.path.join(tmp, "export")
                _model().save(export, save_format="tf")
                mlflow.tensorflow.save_model(
                    tf_saved_model_dir=export,
                    tf_meta_graph_tags=["serve"],
                    tf_signature_def_key="serving_default",
                    path=path,
                    pip_requirements=reqs,
                )

        calls["keras_h5"] = lambda p: mlflow.keras.save_model(
            _model(), p, save_format="h5", pip_requirements=reqs
        )
        calls["keras_tf"] = lambda p: mlflow.keras.save_model(
            _model(), p, save_format="tf", pip_requirements=reqs
        )
        calls["tensorflow_savedmodel"] = tf_savedmodel
    elif line == "2":

        class Module(tf.Module):
            def __init__(self) -> None:
                self.w = tf.Variable([[1.0], [2.0], [3.0]])

            @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
            def __call__(self, x: Any) -> Any:
                return tf.matmul(x, self.w)

        calls["tensorflow_keras_tf"] = lambda p: mlflow.tensorflow.save_model(
            _model(), p, keras_model_kwargs={"save_format": "tf"}, pip_requirements=reqs
        )
        calls["tensorflow_keras_h5"] = lambda p: mlflow.tensorflow.save_model(
            _model(), p, keras_model_kwargs={"save_format": "h5"}, pip_requirements=reqs
        )
        calls["tensorflow_module"] = lambda p: mlflow.tensorflow.save_model(
            Module(), p, pip_requirements=reqs
        )
    else:
        import numpy as np
        from mlflow.models import infer_signature

        example = np.ones((1, 3), dtype="float32")
        signature = infer_signature(example, _model()(example).numpy())
        calls["keras_keras"] = lambda p: mlflow.keras.save_model(_model(), p, pip_requirements=reqs)
        calls["keras_exported"] = lambda p: mlflow.keras.save_model(
            _model(), p, save_exported_model=True, signature=signature, pip_requirements=reqs
        )
        calls["tensorflow_keras_keras"] = lambda p: mlflow.tensorflow.save_model(
            _model(), p, pip_requirements=reqs
        )
    return calls


def main(out: Path) -> int:
    import mlflow
    import tensorflow as tf

    line = mlflow.__version__.split(".")[0]
    tag = "mlflow" + "".join(mlflow.__version__.split(".")[:2])
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for name, call in _calls(line).items():
        folder = out / f"{tag}_{name}"
        if folder.exists():
            shutil.rmtree(folder)
        call(str(folder))
        manifest[folder.name] = {
            "mlflow": mlflow.__version__,
            "tensorflow": tf.__version__,
            "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else None,
            "call": name,
        }
        print(folder)
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus/mlflow")))

"""Write the MLflow model folders of `corpus/mlflow/` with the real `mlflow` package.

Run it where a real MLflow sits beside a TensorFlow; each MLflow line writes the folders its own
save APIs produce, so the TF-free tests audit what MLflow really writes rather than our idea of
it. What a line offers depends on the MLflow and on the Keras installed (checked in each line's
sources: `mlflow/keras.py` of 0.9.1 and 1.30.1, `mlflow/keras/__init__.py` of 2.10.2, 2.11.4,
2.22.5 and 3.17.2, `mlflow/tensorflow/__init__.py` of each):

    # MLflow 0.9.1 (the last 0.x): `mlflow.keras` writes `model.h5` at the folder root
    # (`data: model.h5`, no `mlflow_version`). Its generated protos predate protobuf 4, hence
    # the pure-Python protobuf. Written with tf.keras 2.12: the TF 1.x / Keras 2.2 of its era
    # have no wheels for Python >= 3.8, and its `mlflow.tensorflow` needs TF 1.x (`tf.Session`).
    PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python PYTHONPATH=/tmp/mlflow09 \
        .tox/tf212/bin/python corpus/mlflow_models.py corpus/mlflow
    # MLflow 1.x: `mlflow.keras` (flavor `keras`, save_format h5 / tf) and `mlflow.tensorflow`
    # (a SavedModel dir with meta_graph_tags and signature_def_key), tf.keras 2.12
    PYTHONPATH=/tmp/mlflow130 .tox/tf212/bin/python corpus/mlflow_models.py corpus/mlflow
    # MLflow 2.x before the Keras 3 flavor: `mlflow.tensorflow` for Keras models (model_type
    # keras, save_format tf / h5) and tf.Module (model_type tf2-module), tf.keras 2.15
    PYTHONPATH=/tmp/mlflow210 .tox/tf215/bin/python corpus/mlflow_models.py corpus/mlflow
    # MLflow >= 2.11 with Keras 2 (TF <= 2.15): `mlflow.keras` is `mlflow.tensorflow` (its
    # save_model writes a `tensorflow` flavor), the rest as 2.10
    PYTHONPATH=/tmp/mlflow222-tf215 .tox/tf215/bin/python corpus/mlflow_models.py corpus/mlflow
    # MLflow >= 2.11 with Keras 3: the Keras 3 flavor (`.keras`, or an exported SavedModel) and
    # `mlflow.tensorflow` (data/model.keras for its default save_format tf, or data/model.h5)
    PYTHONPATH=/tmp/mlflow222-tf216 .tox/tf216/bin/python corpus/mlflow_models.py corpus/mlflow
    .tox/tf221/bin/python corpus/mlflow_models.py corpus/mlflow --only tensorflow_keras3_h5

(Each `/tmp/mlflowNN` is `uv pip install --python <that env's python> --target /tmp/mlflowNN
mlflow-skinny==X pandas` -- `mlflow==0.9.1` for 0.9 -- with the env's numpy, protobuf, TF and
Keras pins as constraints: the exact runs are in `mlflow/manifest.json` and `mlflow/README.md`.)
`--only NAME[,NAME]` writes only those calls and leaves the other folders of that line as they
are.

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


def _keras_major() -> int:
    import tensorflow as tf

    return int(str(getattr(tf.keras, "__version__", "2")).split(".")[0])


def _savedmodel_calls(mlflow: Any, reqs: list[str], **env: Any) -> dict[str, Any]:
    """`mlflow.tensorflow.save_model` of a `model.save(dir)` SavedModel (MLflow 0.x / 1.x)."""

    def tf_savedmodel(path: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            export = os.path.join(tmp, "export")
            _model().save(export, save_format="tf")
            mlflow.tensorflow.save_model(
                tf_saved_model_dir=export,
                tf_meta_graph_tags=["serve"],
                tf_signature_def_key="serving_default",
                path=path,
                **env,
            )

    return {"tensorflow_savedmodel": tf_savedmodel}


def _conda_file(reqs: list[str]) -> str:
    """A conda.yaml pinning this env (MLflow 0.x takes an environment only as a conda file)."""
    import yaml

    python = ".".join(map(str, sys.version_info[:3]))
    env = {"name": "mlflow-env", "channels": ["defaults"],
           "dependencies": [f"python={python}", "pip", {"pip": reqs}]}  # fmt: skip
    handle, name = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(handle, "w") as fh:
        yaml.safe_dump(env, fh, default_flow_style=False)
    return name


def _tf_module() -> Any:
    import tensorflow as tf

    class Module(tf.Module):
        def __init__(self) -> None:
            self.w = tf.Variable([[1.0], [2.0], [3.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: Any) -> Any:
            return tf.matmul(x, self.w)

    return Module()


def _calls(version: tuple[int, int]) -> dict[str, Any]:
    """name -> function(path) writing one folder, for the MLflow line and Keras installed."""
    import mlflow
    import mlflow.keras  # MLflow 0.x does not import its flavors with the package
    import mlflow.tensorflow

    reqs = _requirements()
    calls: dict[str, Any] = {}
    if version[0] == 0:
        conda = _conda_file(reqs)
        # its `mlflow.tensorflow.save_model` validates the SavedModel with `tf.Session`, which
        # only TF 1.x has (no wheels for Python >= 3.8): only the Keras flavor can be written
        calls["keras_h5"] = lambda p: mlflow.keras.save_model(_model(), p, conda_env=conda)
    elif version[0] == 1:
        calls["keras_h5"] = lambda p: mlflow.keras.save_model(
            _model(), p, save_format="h5", pip_requirements=reqs
        )
        calls["keras_tf"] = lambda p: mlflow.keras.save_model(
            _model(), p, save_format="tf", pip_requirements=reqs
        )
        calls.update(_savedmodel_calls(mlflow, reqs, pip_requirements=reqs))
    elif _keras_major() < 3:
        # MLflow 2.x with tf.keras 2: `mlflow.tensorflow` saves Keras models as a SavedModel
        # (save_format tf, the default) or HDF5; from 2.11 `mlflow.keras` is the same function
        calls["tensorflow_keras_tf"] = lambda p: mlflow.tensorflow.save_model(
            _model(), p, keras_model_kwargs={"save_format": "tf"}, pip_requirements=reqs
        )
        calls["tensorflow_keras_h5"] = lambda p: mlflow.tensorflow.save_model(
            _model(), p, keras_model_kwargs={"save_format": "h5"}, pip_requirements=reqs
        )
        calls["tensorflow_module"] = lambda p: mlflow.tensorflow.save_model(
            _tf_module(), p, pip_requirements=reqs
        )
        if version >= (2, 11):
            calls["keras_via_tensorflow_tf"] = lambda p: mlflow.keras.save_model(
                _model(), p, pip_requirements=reqs
            )
    else:
        # Keras 3 (MLflow >= 2.11): the Keras 3 flavor writes data/model.keras or, with
        # save_exported_model, model.export()'s SavedModel; `mlflow.tensorflow` writes
        # data/model.keras for its default save_format "tf" (TF >= 2.16) or data/model.h5
        import numpy as np
        from mlflow.models.signature import ModelSignature
        from mlflow.types.schema import Schema, TensorSpec

        # what infer_signature gives for a float32 batch (stated: mlflow-skinny lacks the scipy
        # infer_signature imports); save_exported_model requires a TensorSpec signature
        signature = ModelSignature(
            inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 3))]),
            outputs=Schema([TensorSpec(np.dtype("float32"), (-1, 2))]),
        )
        calls["keras_keras"] = lambda p: mlflow.keras.save_model(_model(), p, pip_requirements=reqs)
        calls["keras_exported"] = lambda p: mlflow.keras.save_model(
            _model(), p, save_exported_model=True, signature=signature, pip_requirements=reqs
        )
        calls["tensorflow_keras_keras"] = lambda p: mlflow.tensorflow.save_model(
            _model(), p, pip_requirements=reqs
        )
        calls["tensorflow_keras3_h5"] = lambda p: mlflow.tensorflow.save_model(
            _model(), p, keras_model_kwargs={"save_format": "h5"}, pip_requirements=reqs
        )
    return calls


def main(out: Path, only: frozenset[str] = frozenset()) -> int:
    import mlflow
    import tensorflow as tf

    major, minor = (int(part) for part in mlflow.__version__.split(".")[:2])
    tag = f"mlflow{major}{minor}"
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    calls = _calls((major, minor))
    unknown = only - set(calls)
    if unknown:
        print(f"--only: {', '.join(sorted(unknown))} not offered here; offered: {', '.join(calls)}")
        return 2
    for name, call in calls.items():
        if only and name not in only:
            continue
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
    args = sys.argv[1:]
    picked: frozenset[str] = frozenset()
    if "--only" in args:
        at = args.index("--only")
        picked = frozenset(args[at + 1].split(","))
        del args[at : at + 2]
    sys.exit(main(Path(args[0] if args else "corpus/mlflow"), picked))

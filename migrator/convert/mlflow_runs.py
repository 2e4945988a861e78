"""Validation's run of a converted MLflow folder: `mlflow.pyfunc.load_model`, in the newest runtime.

The folder's model is first run as Keras runs it (`runner.run_keras` on `data/model.keras`: its
weights and outputs are what validation compares with the source's); then the whole folder is
loaded the way serving loads it, with `mlflow.pyfunc.load_model`, and its `predict` must give
the same outputs. A folder MLflow cannot load, or whose pyfunc outputs differ, fails validation
and nothing is published.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from migrator.errors import RuntimeUnavailable, ValidationFailed


def run_mlflow(path: str, inputs: str | None, out: str, **kwargs: Any) -> dict[str, Any]:
    """`run_keras` on the folder's `.keras`, then pyfunc's predictions compared with its outputs."""
    from migrator.convert.runner import run_keras

    info = run_keras(os.path.join(path, "data", "model.keras"), "keras", inputs, out, **kwargs)
    try:
        import mlflow.pyfunc
    except ImportError:
        raise RuntimeUnavailable(
            path,
            "validating an MLflow folder needs mlflow in the newest runtime",
            "install it there: <runtime python> -m pip install mlflow",
        ) from None
    try:
        model = mlflow.pyfunc.load_model(path)
    except Exception as exc:  # MLflow's own refusal: the folder does not serve
        raise ValidationFailed(
            path,
            f"mlflow.pyfunc.load_model refuses the converted folder ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:200]})",
            "report this folder to the migrator maintainers",
        ) from None
    info["pyfunc"] = "mlflow.pyfunc.load_model"
    if inputs is None:
        return info
    with np.load(inputs, allow_pickle=False) as data:
        x = [data[f"in_{i}"] for i in range(len(data.files))]
    predicted = np.asarray(model.predict(x[0] if len(x) == 1 else x))
    with np.load(f"{out}.outputs.npz", allow_pickle=False) as data:
        expected = [data[f"out_{i}"] for i in range(len(data.files))]
    if len(expected) != 1 or predicted.shape != expected[0].shape:
        shapes = [e.shape for e in expected]
        raise ValidationFailed(
            path,
            f"pyfunc predict gives shape {predicted.shape}, the model {shapes}",
            "report this folder to the migrator maintainers",
        )
    diff = float(np.max(np.abs(predicted.astype("float64") - expected[0].astype("float64"))))
    if diff > 1e-5:
        raise ValidationFailed(
            path,
            f"pyfunc predict differs from the model by {diff:.3g}",
            "report this folder to the migrator maintainers",
        )
    info["pyfunc_max_abs_diff"] = diff
    return info

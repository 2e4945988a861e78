"""An MLflow model folder as a conversion source: the model inside, converted by its own steps,
then put back into a copy of the folder by `keras-to-mlflow`.

`classify` hands an `mlflow-model` artifact here. The Convertible is the inner model's (its
kinds, location and parsed metadata, so the first step and the validation of the source run
exactly as for the same model on its own), named after the folder, with the facts
`keras-to-mlflow` needs: the folder and the model's place in it. A folder that already holds the
Keras 3 flavor's `data/model.keras` with nothing the rules flag is current.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from migrator.convert import Convertible, Options
from migrator.errors import ConversionError
from migrator.model import Artifact, Reading

# The layouts whose model the converter can reach (other flavors hold no TF/Keras model).
_KERAS_LAYOUTS = ("keras2-flavor", "keras3-flavor", "tensorflow-keras")


def classify_mlflow(
    artifact: Artifact, options: Options, classify: Callable[..., Convertible]
) -> Convertible:
    """The conversion view of an MLflow folder (see the module docstring)."""
    d = artifact.details
    inner = artifact.reading.raw.get("model_reading")
    model_rel = d.get("model_path")
    if d.get("layout") not in _KERAS_LAYOUTS or not model_rel:
        return _no_path(
            artifact,
            f"the MLflow folder holds no Keras model (flavors {', '.join(d.get('flavors') or [])}, "
            f"layout {d.get('layout')})",
            "a tensorflow-flavor SavedModel converts on its own: "
            f"`migrator convert {artifact.path}/{d.get('model_path') or '<model>'}`",
        )
    if d.get("save_exported_model"):  # the Keras 3 flavor's `model.export()`: current
        return replace(_no_path(artifact, "", ""), kinds=("mlflow-keras3",), facts={})
    if not isinstance(inner, Reading):
        raise ConversionError(
            artifact.path,
            f"the model inside ({model_rel}) cannot be read: {d.get('model_error') or 'unknown'}",
            "fix the folder first (see `migrator audit`)",
        )
    location = artifact.location / str(model_rel)
    # Classified as a model given on its own ("."), so it is not skipped as the folder's model.
    source = classify(Artifact(".", location, inner), options)
    facts: dict[str, Any] = {
        **source.facts,
        "mlflow_folder": str(artifact.location),
        "mlflow_model_path": str(model_rel),
        "publish_as": str(artifact.location),
    }
    kinds = source.kinds
    if d.get("layout") == "keras3-flavor" and kinds[:1] == ("keras-v3",) and _current(artifact):
        kinds = ("mlflow-keras3",)
    return replace(source, rel=artifact.path, format=artifact.format, kinds=kinds, facts=facts)


def _current(artifact: Artifact) -> bool:
    """Nothing an MLflow rule flags: the Keras 3 flavor with pins that install today."""
    from migrator.rules import check_artifact

    judged = check_artifact(artifact)
    return not any(f.rule.startswith("MIG15") for f in judged.findings)


def skip_model_of_folder(artifact: Artifact) -> Convertible | None:
    """A no-path source for the model of an MLflow folder this conversion handles, else None."""
    folder = enclosing_folder(artifact)
    if folder is None:
        return None
    return _no_path(
        artifact,
        f"handled with its MLflow folder {folder.name}/ (published under the folder's name)",
        "convert this path on its own for a bare .keras",
    )


def _no_path(artifact: Artifact, problem: str, remedy: str) -> Convertible:
    """A source with nothing to convert and why (the planner's `no_path` fact)."""
    return Convertible(
        location=artifact.location,
        rel=artifact.path,
        format=artifact.format,
        kinds=(),
        producer=artifact.producer,
        details=artifact.details,
        files=artifact.files,
        facts={"no_path": (problem, remedy)},
    )


def _converts_with_folder(folder: Path) -> bool:
    """The folder's MLmodel puts a Keras model in data/ that `keras-to-mlflow` rewrites."""
    from migrator.errors import ArtifactError
    from migrator.formats.mlflow.mlmodel import MLMODEL, parse_mlmodel

    try:
        flavors = parse_mlmodel(folder / MLMODEL)["flavors"]
    except ArtifactError:
        return False
    if "keras" in flavors:
        return flavors["keras"].get("save_exported_model") is not True
    settings = flavors.get("tensorflow") or {}
    return "tensorflow" in flavors and not settings.get("saved_model_dir")


def enclosing_folder(artifact: Artifact) -> Path | None:
    """The MLflow folder of this conversion that holds `artifact` as its model, or None.

    In a tree, the model under `data/` is also an artifact of its own; converting the folder
    already converts it, so it is skipped. Only when the folder lies inside the converted tree:
    a model converted on its own (or from a tree rooted inside the folder) is converted as asked.
    """
    depth = len(Path(artifact.path).parts) if artifact.path != "." else 0
    if depth == 0:
        return None
    root = artifact.location.parents[depth - 1]
    for folder in list(artifact.location.parents)[:3]:
        if folder != root and root not in folder.parents:
            return None
        if (folder / "MLmodel").is_file():
            return folder if _converts_with_folder(folder) else None
    return None

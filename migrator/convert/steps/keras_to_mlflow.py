"""Step: Keras 3 `.keras` -> MLflow model folder of the Keras 3 flavor, the source folder kept.

The model inside an MLflow folder is converted by the usual steps (h5-to-keras,
savedmodel-to-keras...); this last hop puts the `.keras` back where the current `mlflow.keras`
loader opens it (`data/model.keras`, `data/keras_module.txt` = `keras`) and rewrites what named
the old model: `MLmodel`'s flavors (the `keras` flavor as mlflow 3.17.2 `mlflow/keras/save.py`
writes it: data, keras_backend, keras_version, save_exported_model; `python_function` with
`loader_module: mlflow.keras` and this runtime's Python), and the TensorFlow/Keras/MLflow pins of
`requirements.txt`, `conda.yaml` and `python_env.yaml` (this runtime's versions). Everything else
the folder holds (signature, input example, code/, artifacts of a custom pyfunc, run ids) is
copied as is. Left out: the old model, `save_format.txt`, the pickled custom objects (the Keras
3 flavor never reads them; the `.keras` carries its classes by name) and `metadata/` (MLflow's
copy of the old MLmodel and environment). YAML is read with the audit's bounded safe loader and
written with `yaml.safe_dump`, as MLflow writes it.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError

# What the old flavors kept beside the model and the Keras 3 flavor does not read.
_DROPPED = (
    "data/save_format.txt",
    "data/custom_objects.cloudpickle",
    "data/global_custom_objects.cloudpickle",
    "metadata",
)
_PIN = re.compile(
    r"^\s*(tensorflow(-cpu|-gpu|-macos|-intel)?|tf[-_]keras|keras|mlflow(-skinny)?)\b"
)


def _current_versions() -> dict[str, str | None]:
    import keras
    import tensorflow as tf

    try:
        import mlflow

        mlflow_version: str | None = mlflow.__version__
    except ImportError:
        mlflow_version = None
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "mlflow": mlflow_version,
        "python": ".".join(str(p) for p in sys.version_info[:3]),
    }


def repin(lines: list[str], versions: Mapping[str, str | None]) -> list[str]:
    """pip requirement lines with the TensorFlow/Keras/MLflow pins replaced by `versions`."""
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        match = _PIN.match(line)
        if match is None:
            out.append(line)
            continue
        name = match.group(1).lower().replace("_", "-")
        if name == "tf-keras":
            continue  # the Keras 3 flavor does not need it
        key = "tensorflow" if name.startswith("tensorflow") else name.split("-")[0]
        if key in seen or versions.get(key) is None:
            continue
        seen.add(key)
        out.append(f"{'tensorflow' if key == 'tensorflow' else key}=={versions[key]}")
    for key in ("mlflow", "tensorflow", "keras"):
        if key not in seen and versions.get(key):
            out.append(f"{key}=={versions[key]}")
    return out


def _yaml(path: Path, subject: str) -> Any:
    from migrator.formats.keras_arch import load_bounded_yaml

    try:
        return load_bounded_yaml(path.read_text(encoding="utf-8-sig"))
    except Exception as exc:  # unreadable, not YAML, hostile (the audit refused it already)
        raise ConversionError(
            subject,
            f"{path.name} cannot be read ({type(exc).__name__})",
            "fix the MLflow folder first (see `migrator audit`)",
        ) from None


def _dump(path: Path, data: Any) -> None:
    import yaml

    path.write_text(yaml.safe_dump(data, default_flow_style=False), encoding="utf-8")


def rewrite_mlmodel(mlmodel: Mapping[str, Any], versions: Mapping[str, str | None]) -> dict:
    """The MLmodel of the Keras 3 flavor, keeping every top-level key MLflow or the user wrote."""
    out = dict(mlmodel)
    flavors = {
        k: v
        for k, v in dict(mlmodel.get("flavors") or {}).items()
        if k not in ("keras", "tensorflow")
    }
    pyfunc = dict(flavors.get("python_function") or {})
    for key in ("data", "model_type", "code"):
        pyfunc.pop(key, None)
    pyfunc["loader_module"] = "mlflow.keras"
    pyfunc["python_version"] = versions["python"]
    if isinstance(pyfunc.get("env"), str):  # MLflow 1.x: `env: conda.yaml`
        pyfunc["env"] = {"conda": pyfunc["env"]}
    flavors["python_function"] = pyfunc
    flavors["keras"] = {
        "data": "data",
        "keras_backend": versions["backend"],
        "keras_version": versions["keras"],
        "save_exported_model": False,
    }
    out["flavors"] = dict(sorted(flavors.items()))
    if versions.get("mlflow"):
        out["mlflow_version"] = versions["mlflow"]
    return out


def _environment(folder: Path, versions: Mapping[str, str | None], subject: str) -> list[str]:
    """Rewrite the env files of the copied folder in place; the changes, one line each."""
    changes: list[str] = []
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        lines = requirements.read_text(encoding="utf-8-sig").splitlines()
        requirements.write_text("\n".join(repin(lines, versions)) + "\n", encoding="utf-8")
        changes.append("requirements.txt: TensorFlow/Keras/MLflow pins set to the runtime's")
    conda = folder / "conda.yaml"
    if conda.is_file():
        data = _yaml(conda, subject)
        if isinstance(data, Mapping) and isinstance(data.get("dependencies"), list):
            deps: list[Any] = []
            for entry in data["dependencies"]:
                if isinstance(entry, str) and re.match(r"^\s*python\s*[=<>]", entry):
                    deps.append(f"python={versions['python']}")
                elif isinstance(entry, Mapping) and isinstance(entry.get("pip"), list):
                    deps.append({**entry, "pip": repin([str(x) for x in entry["pip"]], versions)})
                elif isinstance(entry, str) and _PIN.match(entry):
                    continue  # a conda-channel tensorflow: pip pins it now
                else:
                    deps.append(entry)
            _dump(conda, {**data, "dependencies": deps})
            changes.append("conda.yaml: Python and pip pins set to the runtime's")
    python_env = folder / "python_env.yaml"
    if python_env.is_file():
        data = _yaml(python_env, subject)
        if isinstance(data, Mapping):
            _dump(python_env, {**data, "python": versions["python"]})
            changes.append(f"python_env.yaml: python {versions['python']}")
    return changes


# What the step rewrites is the source's MLflow folder (`mlflow_source` records it): any other
# source is refused by the planner with this, before a runtime loads it for the earlier steps.
NOT_AN_MLFLOW_FOLDER = (
    "--to mlflow rewrites an MLflow model folder (a folder with an MLmodel file) and this "
    "artifact is not in one",
    "convert the MLflow folder itself, or choose --to keras or --to saved-model",
)


@conversion_step(
    "keras-to-mlflow",
    source="keras-v3",
    target="mlflow-keras3",
    validate_with=("newest",),
    summary="Keras 3 `.keras` -> MLflow model folder of the Keras 3 flavor (`data/model.keras`, "
    "MLmodel and requirements updated, the rest of the source folder kept)",
    requires={"mlflow_folder": NOT_AN_MLFLOW_FOLDER},
)
def run(
    src: str,
    out_dir: str,
    *,
    facts: Mapping[str, Any] | None = None,
    custom_objects: list[str] | tuple[str, ...] = (),
    **_: Any,
) -> dict:
    import importlib

    from migrator.convert.keras3_build import signature

    facts = facts or {}
    source = Path(str(facts.get("mlflow_folder") or ""))
    model_rel = str(facts.get("mlflow_model_path") or "")
    if not (source / "MLmodel").is_file() or not model_rel:
        raise ConversionError(src, *NOT_AN_MLFLOW_FOLDER)
    versions = _current_versions()
    target = Path(out_dir) / source.name
    skip = {model_rel, *_DROPPED}
    shutil.copytree(
        source,
        target,
        symlinks=False,
        ignore=lambda folder, names: [
            n for n in names if (Path(folder) / n).relative_to(source).as_posix() in skip
        ],
    )
    data = target / "data"
    data.mkdir(exist_ok=True)
    shutil.copyfile(src, data / "model.keras")
    (data / "keras_module.txt").write_text("keras", encoding="utf-8")
    mlmodel = _yaml(source / "MLmodel", str(source))
    rewritten = rewrite_mlmodel(mlmodel, versions)
    env = rewritten["flavors"]["python_function"].get("env")
    if isinstance(env, dict) and "virtualenv" not in env and (target / "python_env.yaml").is_file():
        env["virtualenv"] = "python_env.yaml"  # MLflow >= 2.0 names both env files
    _dump(target / "MLmodel", rewritten)
    changes = [
        f"model: {model_rel} -> data/model.keras (Keras {versions['keras']})",
        "MLmodel: keras flavor of the Keras 3 `mlflow.keras` (loader_module mlflow.keras)",
        *_environment(target, versions, str(source)),
    ]
    dropped = [d for d in _DROPPED if (source / d).exists()]
    notes = (
        [f"left out: {', '.join(dropped)} (the Keras 3 flavor does not read them)"]
        if dropped
        else []
    )
    import keras

    for module in custom_objects:  # the user's classes register themselves on import
        importlib.import_module(module)
    model = keras.saving.load_model(data / "model.keras", compile=False)
    return {"path": str(target), "changes": changes, "notes": notes, "signature": signature(model)}

"""The mlflow-model reader: MLmodel, the environment files and the model inside, assembled.

Where the model sits depends on the flavor and the MLflow that wrote it (checked in each line's
sources and in `corpus/mlflow/`):

- `keras` flavor, MLflow 1.x (`mlflow.keras`): `data/model.h5` (save_format h5) or the SavedModel
  `data/model/` (save_format tf), with `data/keras_module.txt` and `data/save_format.txt`;
  the flavor records `keras_module`, `keras_version`, `save_format`;
- `keras` flavor, MLflow >= 2.11 (Keras 3): `data/model.keras`, or the `model.export()` SavedModel
  `data/model/` with `save_exported_model: true`; records `keras_version`, `keras_backend`;
- `tensorflow` flavor with `model_type: keras` (MLflow 2.x/3.x `mlflow.tensorflow`): like the
  1.x keras flavor, `data/model.keras` from TF 2.16 on (still recording `save_format: tf`);
- `tensorflow` flavor with `saved_model_dir` (MLflow 1.x SavedModels, `tf2-module`): that folder.

The model inside is read by the reader that claims it, exactly as discovery would; discovery also
reports it as its own artifact (`<folder>/data/model.keras`), since this reader owns only MLmodel
and the environment files. Nothing is loaded or unpickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import reader_names, readers
from migrator.formats.details import UNSET
from migrator.formats.mlflow.details import MLflowDetails
from migrator.formats.mlflow.environment import FILES, REQUIREMENTS, read_environment
from migrator.formats.mlflow.mlmodel import (
    FORMAT,
    MLMODEL,
    check_artifact_path,
    error,
    inside,
    parse_mlmodel,
    text_field,
)
from migrator.knowledge.mlflow import PICKLED_FILES, TF_PYFUNC_DEFAULT_SAVE_FORMAT
from migrator.model import Candidate, Reading
from migrator.payload.pickles import disassemble
from migrator.storage import entries as list_entries

_MODEL_NAMES = ("model.keras", "model.h5", "model")  # what MLflow's keras savers write in data/
_SIDE_FILES = ("keras_module.txt", "save_format.txt")
_MAX_SIDE_FILE = 256


def read(candidate: Candidate) -> Reading:
    location = candidate.location
    root = location.parent if location.name == MLMODEL and location.is_file() else location
    mlmodel_path = root / MLMODEL
    if not mlmodel_path.is_file():
        raise error(
            mlmodel_path, f"{MLMODEL} is missing", "point migrator at an MLflow model folder"
        )
    data = parse_mlmodel(mlmodel_path)
    flavors: Mapping[str, Mapping[str, Any]] = data["flavors"]
    errors: list[str] = []
    evidence = [f"{MLMODEL} (YAML) with flavors {', '.join(flavors)}"]

    pyfunc = flavors.get("python_function", {})
    loader_module = text_field(mlmodel_path, pyfunc, "loader_module", "flavors.python_function")
    mlflow_version = text_field(mlmodel_path, data, "mlflow_version", "top level")
    for key in ("run_id", "artifact_path"):
        text_field(mlmodel_path, data, key, "top level")
    if data.get("artifact_path") is not None:
        check_artifact_path(mlmodel_path, str(data["artifact_path"]))
    _check_env_paths(mlmodel_path, root, pyfunc)

    flavor, settings = _model_flavor(flavors)
    recorded = _recorded(mlmodel_path, flavor, settings)
    model_rel, layout = _model_place(mlmodel_path, root, flavor, settings, recorded)
    model_format, model_error, inner = _read_inner(root, model_rel)
    loader_paths = _loader_paths(root, flavor, settings, pyfunc, recorded) if model_rel else {}
    if model_rel is not None:
        evidence.append(
            f"{flavor} flavor model at {model_rel}"
            + (f" read as {model_format}" if model_format else "")
        )

    present = frozenset(name for name in FILES if (root / name).is_file())
    python, pins = read_environment(root, present, errors)
    python = text_field(mlmodel_path, pyfunc, "python_version", "flavors.python_function") or python

    producer = {"mlflow_version": mlflow_version} if mlflow_version else {}
    if flavor == "keras" and recorded.get("keras_version"):
        producer["keras_version"] = recorded["keras_version"]
    tf_pin = pins.get(REQUIREMENTS, {}).get("tensorflow") or pins.get(REQUIREMENTS, {}).get(
        "tensorflow-cpu"
    )
    if tf_pin and tf_pin.startswith("==") and "*" not in tf_pin:
        producer["tensorflow_version"] = tf_pin[2:]
    if python:
        producer["python_version"] = python

    details = MLflowDetails(
        flavors=list(flavors),
        model_flavor=flavor,
        loader_module=loader_module,
        mlflow_version=mlflow_version,
        **{k: v for k, v in recorded.items() if v is not None},
        model_path=model_rel,
        model_format=model_format,
        model_error=model_error if model_error else UNSET,
        layout=layout,
        loader_paths=loader_paths or UNSET,
        python_version=python,
        pins=pins,
        environment_files=sorted(present),
        signature=isinstance(data.get("signature"), Mapping),
        input_example=isinstance(data.get("saved_input_example_info"), Mapping),
        pickled_files=_pickled(mlmodel_path, root, pyfunc, model_rel),
        run_id=str(data["run_id"]) if data.get("run_id") is not None else UNSET,
        artifact_path=str(data["artifact_path"]) if data.get("artifact_path") else UNSET,
        flavor_settings={name: _scalars(s) for name, s in flavors.items()},
    )
    return Reading(
        FORMAT,
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={"mlmodel": data, "model_reading": inner},
    )


def _model_flavor(
    flavors: Mapping[str, Mapping[str, Any]],
) -> tuple[str | None, Mapping[str, Any]]:
    """The TF/Keras flavor the model is stored under (keras first, as mlflow.tensorflow reads)."""
    for name in ("keras", "tensorflow"):
        if name in flavors:
            return name, flavors[name]
    return None, {}


def _recorded(path: Path, flavor: str | None, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The flavor's settings the details report, type-checked."""
    where = f"flavors.{flavor}"
    out: dict[str, Any] = {}
    for key in (
        "keras_version",
        "keras_backend",
        "keras_module",
        "save_format",
        "model_type",
        "saved_model_dir",
        "signature_def_key",
    ):
        out[key] = text_field(path, settings, key, where)
    exported = settings.get("save_exported_model")
    if exported is not None and not isinstance(exported, bool):
        raise error(
            path,
            f"{MLMODEL} {where}.save_exported_model is {exported!r}, not true or false",
            "re-save the model with mlflow (the MLmodel file is damaged)",
        )
    out["save_exported_model"] = exported
    tags = settings.get("meta_graph_tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise error(
                path,
                f"{MLMODEL} {where}.meta_graph_tags is not a list of tag strings",
                "re-save the model with mlflow (the MLmodel file is damaged)",
            )
        out["meta_graph_tags"] = list(tags)
    return out


def _model_place(
    path: Path,
    root: Path,
    flavor: str | None,
    settings: Mapping[str, Any],
    recorded: dict[str, Any],
) -> tuple[str | None, str | None]:
    """(the model's POSIX path inside the folder, the layout), or (None, None) for other models."""
    if flavor is None:
        return None, None
    where = f"flavors.{flavor}"
    saved_model_dir = recorded.get("saved_model_dir")
    if flavor == "tensorflow" and saved_model_dir:
        rel = inside(path, root, saved_model_dir, f"{where}.saved_model_dir")
        _must_exist(path, root / rel, f"{where}.saved_model_dir", rel)
        return rel, "tensorflow-savedmodel"
    data = text_field(path, settings, "data", where) or "data"
    data_rel = inside(path, root, data, f"{where}.data")
    data_path = root / data_rel
    _must_exist(path, data_path, f"{where}.data", data_rel)
    if data_path.is_file():
        model_rel = data_rel  # MLflow 0.x: `data: model.h5` names the file itself
    else:
        found = next((n for n in _MODEL_NAMES if (data_path / n).exists()), None)
        if found is None:
            raise error(
                path,
                f"{MLMODEL} {where}.data {data_rel!r} holds none of "
                f"{', '.join(_MODEL_NAMES)}: the model file is missing",
                "restore the model files from where the model was logged (the folder is incomplete)",
            )
        model_rel = f"{data_rel}/{found}"
        for side in _SIDE_FILES:
            value = _side_file(data_path / side)
            key = side.removesuffix(".txt")
            if value and not recorded.get(key):
                recorded[key] = value
    if flavor == "tensorflow":
        return model_rel, "tensorflow-keras"
    legacy = bool(settings.get("keras_module") or settings.get("save_format"))
    legacy = legacy or not model_rel.endswith(".keras") and not recorded.get("save_exported_model")
    return model_rel, "keras2-flavor" if legacy else "keras3-flavor"


def _loader_paths(
    root: Path,
    flavor: str | None,
    settings: Mapping[str, Any],
    pyfunc: Mapping[str, Any],
    recorded: Mapping[str, Any],
) -> dict[str, str]:
    """{loader: the POSIX path it opens}, computed as each loader computes it from the folder
    (`knowledge.mlflow.KERAS_FLAVOR_NEEDS_KERAS`, `TF_PYFUNC_DEFAULT_SAVE_FORMAT`): pyfunc hands
    a loader `<folder>/<python_function.data>` (the folder itself without one)."""
    if flavor == "tensorflow" and recorded.get("model_type") != "keras":
        return {}  # a SavedModel the flavor names by saved_model_dir
    base = PurePosixPath(str(pyfunc.get("data") or "."))
    out: dict[str, str] = {}
    if flavor == "keras":
        # Keras 3 flavor: <base>/<keras.data or "model">, its `model` inside a folder, + .keras
        target = base / str(settings.get("data") or "model")
        if (root / target).is_dir():
            target = target / "model"
        out["mlflow.keras"] = _posix(
            target, "" if recorded.get("save_exported_model") else ".keras"
        )
    # mlflow.tensorflow's Keras loader: <base>/model when <base> is a folder; .h5 for the save
    # format of <base>/save_format.txt (h5 when absent), else .keras when that file exists
    target = base / "model" if (root / base).is_dir() else base
    save_format = _side_file(root / base / "save_format.txt") or TF_PYFUNC_DEFAULT_SAVE_FORMAT
    if save_format == "h5":
        out["mlflow.tensorflow"] = _posix(target, ".h5")
    else:
        keras = (root / _posix(target, ".keras")).exists()
        out["mlflow.tensorflow"] = _posix(target, ".keras" if keras else "")
    return out


def _posix(path: PurePosixPath, suffix: str) -> str:
    return PurePosixPath(str(path) + suffix).as_posix()


def _must_exist(path: Path, target: Path, where: str, rel: str) -> None:
    if not target.exists():
        raise error(
            path,
            f"{MLMODEL} {where} names {rel!r}, which is missing",
            "restore the model files from where the model was logged (the folder is incomplete)",
        )


def _side_file(path: Path) -> str | None:
    """`data/keras_module.txt` / `save_format.txt`: one short word MLflow wrote, or None."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_SIDE_FILE:
            return None
        text = path.read_bytes().decode("utf-8", "replace").strip()
    except OSError:
        return None
    return text if text and all(c.isalnum() or c in "._-" for c in text) else None


def _read_inner(root: Path, rel: str | None) -> tuple[str | None, str | None, Reading | None]:
    """(format id, error line, reading) of the model inside, read by the reader claiming it."""
    if rel is None:
        return None, None, None
    location = root / rel
    try:
        name = _claiming_reader(location)
        if name is None:
            return None, f"{rel}: no reader recognises it", None
        reading = dict(readers())[name].read(Candidate(location, rel, name, (rel,)))
    except ArtifactError as exc:
        return exc.format if exc.format != "unknown" else None, f"{rel}: {exc.short}", None
    except Exception as exc:  # a hostile inner model must not hide the folder's facts
        return None, f"{rel}: its reader failed ({type(exc).__name__})", None
    return reading.format, None, reading


def _claiming_reader(location: Path) -> str | None:
    own = __name__.split(".")[-2]
    for name, module in readers():
        if name == own or name not in reader_names():
            continue
        if location.is_dir():
            claim = getattr(module, "claim_dir", None)
            if claim is None:
                continue
            entries = frozenset(
                e.name + ("/" if e.is_dir() else "") for e in list_entries(location)
            )
            if claim(location, entries):
                return name
        else:
            claim = getattr(module, "claim_file", None)
            if claim is None:
                continue
            with location.open("rb") as fh:  # Path.open: a store path answers it too
                head = fh.read(64)
            if claim(location, head):
                return name
    return None


def _check_env_paths(path: Path, root: Path, pyfunc: Mapping[str, Any]) -> None:
    """python_function.env (a file name in 1.x, {conda, virtualenv} since 2.0) stays inside."""
    env = pyfunc.get("env")
    values = env.values() if isinstance(env, Mapping) else [env]
    for value in values:
        if isinstance(value, str):
            inside(path, root, value, "flavors.python_function.env")
    for key in ("data", "code", "python_model"):
        value = pyfunc.get(key)
        if isinstance(value, str):
            inside(path, root, value, f"flavors.python_function.{key}")


def _pickled(
    path: Path, root: Path, pyfunc: Mapping[str, Any], model_rel: str | None
) -> list[dict[str, Any]]:
    """Files `mlflow.pyfunc.load_model` would unpickle: {path, imports, calls, protocol, error}.

    Each is disassembled from its opcodes (`migrator.payload.pickles`), never loaded.
    """
    found: set[str] = set()
    folders = {"", "data"}
    if model_rel and "/" in model_rel:
        folders.add(model_rel.rsplit("/", 1)[0])
    for folder in folders:
        for name in PICKLED_FILES:
            rel = f"{folder}/{name}" if folder else name
            if (root / rel).is_file():
                found.add(rel)
    python_model = pyfunc.get("python_model")
    if isinstance(python_model, str) and (root / python_model).is_file():
        found.add(inside(path, root, python_model, "flavors.python_function.python_model"))
    out = []
    for rel in sorted(found):
        try:
            with (root / rel).open("rb") as fh:
                calls = disassemble(fh).as_dict()
        except OSError as exc:
            calls = {"imports": [], "calls": 0, "protocol": None, "error": str(exc.strerror)}
        out.append({"path": rel, **calls})
    return out


def _scalars(settings: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, str):
            out[str(key)] = value[:200]
        elif isinstance(value, (bool, int, float)) or value is None:
            out[str(key)] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[str(key)] = [v[:200] for v in value[:20]]
    return out

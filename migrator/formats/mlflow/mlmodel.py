"""Parsing an `MLmodel` file: bounded safe YAML, checked field by field.

`MLmodel` is written by `mlflow.models.Model.save` with `yaml.safe_dump`: a mapping with
`flavors` (flavor name -> its settings), `mlflow_version`, `model_uuid`, `utc_time_created`,
`run_id` and `artifact_path` (when logged to a run), `signature`, `saved_input_example_info`, and
from MLflow 2.x `model_size_bytes`, `metadata`, ... (checked: mlflow 1.30.1, 2.10.2 and 3.17.2
`mlflow/models/model.py`, and the folders of `corpus/mlflow/`). MLflow never writes anchors,
Python tags, absolute paths or `..`; a file that has them is refused with one line, because a
loader given that file would open what the paths name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import LazyModule
from migrator.formats.keras_arch import load_bounded_yaml

yaml = LazyModule("yaml")

FORMAT = "mlflow-model"
MLMODEL = "MLmodel"
# A real MLmodel is a few KB (the largest hold long signatures); anything past this is not one.
MAX_BYTES = 4 * 1024 * 1024
HOSTILE = "treat the folder as hostile and do not load it with mlflow"


def error(path: Path, problem: str, remedy: str) -> ArtifactError:
    return ArtifactError(path, problem, remedy, format=FORMAT)


def read_yaml(path: Path, what: str, remedy: str) -> Any:
    """Parse a YAML file of the folder (MLmodel, conda.yaml, python_env.yaml), bounded and safe."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(
                path,
                f"{what} is {size / 2**20:.1f} MB, more than the {MAX_BYTES // 2**20} MB MLflow "
                "ever writes",
                remedy,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise error(
            path, f"cannot read {what} ({exc.strerror or exc})", "check permissions"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            path, f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})", remedy
        ) from None
    try:
        return load_bounded_yaml(text)
    except ValueError as exc:
        raise error(path, f"{what}: {exc}; MLflow never writes aliases", HOSTILE) from None
    except RecursionError:
        raise error(path, f"{what} is nested too deeply to be MLflow's", HOSTILE) from None
    except yaml.YAMLError as exc:
        text = " ".join(str(exc).split())
        text = text if len(text) <= 200 else text[:197] + "..."
        if "python/" in text or "could not determine a constructor" in text:
            raise error(
                path,
                f"{what} uses a YAML tag that would construct Python objects ({text})",
                HOSTILE,
            ) from None
        raise error(path, f"{what} is not valid YAML ({text})", remedy) from None


def parse_mlmodel(path: Path) -> dict[str, Any]:
    """The MLmodel mapping, with `flavors` checked to be a mapping of mappings."""
    remedy = "re-save the model with mlflow (the MLmodel file is damaged)"
    data = read_yaml(path, MLMODEL, remedy)
    if not isinstance(data, Mapping):
        raise error(path, f"{MLMODEL} holds {_kind(data)}, not a mapping of settings", remedy)
    flavors = data.get("flavors")
    if not isinstance(flavors, Mapping) or not flavors:
        raise error(
            path,
            f"{MLMODEL} has no `flavors` mapping (found {_kind(flavors)}); every MLflow model "
            "names at least one flavor",
            remedy,
        )
    for name, settings in flavors.items():
        if not isinstance(name, str) or not isinstance(settings, Mapping):
            raise error(
                path,
                f"{MLMODEL} flavor {name!r} has {_kind(settings)} where its settings mapping "
                "belongs",
                remedy,
            )
    return {str(k): v for k, v in data.items()}


def text_field(path: Path, settings: Mapping[str, Any], key: str, where: str) -> str | None:
    """A scalar setting as text (versions may be written unquoted: 2.15 parses as a float)."""
    value = settings.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise error(
            path,
            f"{MLMODEL} {where}.{key} is {_kind(value)}, not a string",
            "re-save the model with mlflow (the MLmodel file is damaged)",
        )
    return str(value)


def inside(path: Path, root: Path, value: str, where: str) -> str:
    """`value` as a POSIX path inside `root`; an absolute path, `..` or a link out is refused."""
    pure = PurePosixPath(value.replace("\\", "/"))
    if not value or pure.is_absolute() or ".." in pure.parts or ":" in pure.parts[0]:
        raise error(
            path,
            f"{MLMODEL} {where} is {value!r}, a path outside the model folder (MLflow writes "
            "relative paths inside it)",
            HOSTILE,
        )
    target = root / pure
    try:
        real_root = root.resolve()
        real = target.resolve()
    except (OSError, RuntimeError):
        raise error(path, f"{MLMODEL} {where} {value!r} is a symlink loop", HOSTILE) from None
    if real != real_root and real_root not in real.parents:
        raise error(
            path,
            f"{MLMODEL} {where} {value!r} leads outside the model folder through a symlink",
            HOSTILE,
        )
    return pure.as_posix()


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")


def check_artifact_path(path: Path, value: str) -> None:
    """`artifact_path` says where the model was logged, never a file of this folder: run-relative
    (`model`, MLflow 1.x/2.x) or an artifact URI (`mlflow-artifacts:/0/models/m-.../artifacts`,
    MLflow 3.x). MLflow never writes `..` in it or an absolute local path; a tool that registers
    `runs:/<run_id>/<artifact_path>` would then reach another part of the store."""
    rest = _URI.sub("", value, count=1) if _URI.match(value) else value
    pure = PurePosixPath(rest.replace("\\", "/"))
    if ".." in pure.parts or (pure.is_absolute() and not _URI.match(value)):
        raise error(
            path,
            f"{MLMODEL} artifact_path is {value!r}, a path outside the model folder (MLflow "
            "writes a run-relative path or an artifact URI without `..`)",
            HOSTILE,
        )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__} ({str(value)[:40]!r})"

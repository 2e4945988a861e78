"""The environment an MLflow folder pins: Python version and TensorFlow/Keras/MLflow requirements.

MLflow writes three files beside `MLmodel` (checked: mlflow 1.30.1, 2.10.2, 3.17.2 and the folders
of `corpus/mlflow/`): `requirements.txt` (pip lines, `mlflow==X`, `tensorflow==Y`...),
`conda.yaml` (`dependencies: [python=3.11.7, pip<=..., {pip: [...]}]`) and `python_env.yaml`
(`python: 3.11.7`, `build_dependencies`, `dependencies: [-r requirements.txt]`). `mlflow models
serve` and `mlflow.pyfunc.spark_udf(env_manager=...)` rebuild the model's environment from them,
so a pin that no longer installs breaks serving even when the model itself loads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats.mlflow.mlmodel import MAX_BYTES, read_yaml

REQUIREMENTS = "requirements.txt"
CONDA = "conda.yaml"
PYTHON_ENV = "python_env.yaml"
FILES = (REQUIREMENTS, CONDA, PYTHON_ENV)

# The distributions whose pins say which TensorFlow/Keras (and MLflow) the model needs.
_TRACKED = re.compile(r"^(tensorflow(-cpu|-gpu|-macos|-intel)?|tf-keras|keras|mlflow(-skinny)?)$")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")
# conda's `name=1.2` is pip's `name==1.2`; `<=`, `>=`, `==` are left alone.
_CONDA_EQUALS = re.compile(r"(?<![<>=!~])=(?!=)")
_CONDA_PYTHON = re.compile(r"^\s*python\s*[=<>!~]*\s*([0-9][0-9.]*)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_of(lines: list[str]) -> dict[str, str]:
    """{distribution: specifier} for the tracked distributions among pip requirement lines."""
    out: dict[str, str] = {}
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith(("-", "git+", "http:", "https:", "file:")):
            continue
        match = _REQUIREMENT.match(text)
        if match and _TRACKED.match(normalize(match.group(1))):
            out[normalize(match.group(1))] = match.group(3).strip().replace(" ", "")
    return out


def read_environment(
    root: Path, present: frozenset[str], errors: list[str]
) -> tuple[str | None, dict[str, dict[str, str]]]:
    """(Python version, {file: pins}) from the environment files present in `root`.

    A damaged environment file is one reading error (the model itself may still load), except
    hostile YAML, which raises like a hostile MLmodel.
    """
    pins: dict[str, dict[str, str]] = {}
    python: str | None = None
    if REQUIREMENTS in present:
        path = root / REQUIREMENTS
        try:
            if path.stat().st_size > MAX_BYTES:
                raise OSError(f"more than {MAX_BYTES // 2**20} MB")
            text = path.read_bytes().decode("utf-8-sig", "replace")
            pins[REQUIREMENTS] = pins_of(text.splitlines())
        except OSError as exc:
            errors.append(
                f"{REQUIREMENTS}: cannot read ({getattr(exc, 'strerror', None) or exc}); "
                "the pins it holds are not reported"
            )
    for name in (PYTHON_ENV, CONDA):
        if name not in present:
            continue
        data = _yaml(root / name, name, errors)
        if data is None:
            continue
        found_python, found_pins = _python_and_pins(data)
        python = python or found_python
        if found_pins:
            pins[name] = found_pins
    return python, pins


def _yaml(path: Path, name: str, errors: list[str]) -> Mapping[str, Any] | None:
    try:
        data = read_yaml(path, name, "re-save the model with mlflow")
    except ArtifactError as exc:
        if "hostile" in exc.remedy:
            raise
        errors.append(f"{name}: {exc.short}")
        return None
    if not isinstance(data, Mapping):
        errors.append(f"{name}: holds no mapping; the environment it should pin is unknown")
        return None
    return data


def _python_and_pins(data: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """python_env.yaml's `python:` and `dependencies`, or conda.yaml's python=... and pip list."""
    python: str | None = None
    lines: list[str] = []
    value = data.get("python")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        python = str(value)
    for entry in data.get("dependencies") or []:
        if isinstance(entry, str):
            match = _CONDA_PYTHON.match(entry)
            if match and python is None:
                python = match.group(1)
            elif not match:
                lines.append(_CONDA_EQUALS.sub("==", entry, count=1))
        elif isinstance(entry, Mapping) and isinstance(entry.get("pip"), list):
            lines.extend(str(x) for x in entry["pip"] if isinstance(x, (str, int, float)))
    return python, pins_of(lines)

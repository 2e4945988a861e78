"""Measure `mlflow.pyfunc.load_model` on every folder of `corpus/mlflow/` in several runtimes.

Each runtime is a TensorFlow interpreter with a real MLflow importable beside it (the env's own,
or a `--target` overlay put first on ``PYTHONPATH``, so the TF envs themselves stay free of
MLflow), given as ``NAME=PYTHON[:OVERLAY]``. Every folder is copied to a scratch folder (the
corpus stays untouched) and loaded in one fresh process per runtime and `TF_USE_LEGACY_KERAS`
setting (TensorFlow reads it at import; the setting only exists from TF 2.16 on), each folder in
its own ``try``, as serving would load it. The cells go to ``corpus/mlflow/measured.json``;
`tests/test_mlflow_measured.py` compares migrator's predictions with every one of them.

    python corpus/mlflow_measure.py \\
        tf212-mlflow317=.tox/tf212/bin/python:/tmp/mlflow317-tf212 \\
        tf215-mlflow317=.tox/tf215/bin/python:/tmp/mlflow317-tf215 ...

(`corpus/mlflow/README.md` has the exact runs and how each overlay was installed.) A runtime
already in the file is measured again and replaces its cells; the others are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "mlflow"
OUT = CORPUS / "measured.json"

# Run by the runtime's interpreter: what it really imports, then one JSON line per folder.
_LOAD = """
import json, sys, importlib
versions = {}
for module in ("mlflow", "tensorflow", "keras", "tf_keras"):
    try:
        versions[module] = importlib.import_module(module).__version__
    except Exception:
        versions[module] = None
print(json.dumps(["versions", versions]), flush=True)
import mlflow.pyfunc
for path in sys.argv[1:]:
    try:
        mlflow.pyfunc.load_model(path)
        print(json.dumps([path, True, ""]), flush=True)
    except BaseException as exc:
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(json.dumps([path, False, text[:300]]), flush=True)
"""


def _run(python: str, overlay: str | None, folders: list[Path], legacy: bool) -> tuple[dict, dict]:
    """({folder name: (loaded, error)}, versions) from one fresh process; a folder that kills
    the process is loaded again on its own so one crash costs one cell."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_USE_LEGACY_KERAS": "1" if legacy else "0"}
    env.pop("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", None)  # serving's default
    if overlay:
        env["PYTHONPATH"] = overlay
    done = subprocess.run(
        [python, "-c", _LOAD, *map(str, folders)],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    versions: dict = {}
    out: dict = {}
    for line in done.stdout.splitlines():
        if not line.startswith("["):
            continue
        first, *rest = json.loads(line)
        if first == "versions":
            versions = rest[0]
        else:
            out[Path(first).name] = (rest[0], rest[1])
    missing = [f for f in folders if f.name not in out]
    if missing and len(folders) == 1:
        tail = " ".join(done.stderr.split()[-30:])
        return {folders[0].name: (False, f"process died (exit {done.returncode}): {tail}"[:300])}, (
            versions
        )
    for folder in missing:
        single, _ = _run(python, overlay, [folder], legacy)
        out.update(single)
    return out, versions


def main(specs: list[str]) -> int:
    data = json.loads(OUT.read_text()) if OUT.exists() else {"runtimes": {}, "cells": []}
    names = sorted(p.name for p in CORPUS.iterdir() if (p / "MLmodel").is_file())
    with tempfile.TemporaryDirectory() as tmp:
        folders = []
        for name in names:
            shutil.copytree(CORPUS / name, Path(tmp) / name)
            folders.append(Path(tmp) / name)
        for spec in specs:
            runtime, _, where = spec.partition("=")
            python, _, overlay = where.partition(":")
            plain, versions = _run(python, overlay or None, folders, legacy=False)
            settings = [(False, plain)]
            tf = tuple(int(p) for p in (versions.get("tensorflow") or "0.0").split(".")[:2])
            if tf >= (2, 16) and versions.get("tf_keras"):
                settings.append((True, _run(python, overlay or None, folders, legacy=True)[0]))
            data["runtimes"][runtime] = versions
            data["cells"] = [c for c in data["cells"] if c["runtime"] != runtime]
            for legacy, results in settings:
                for name in names:
                    loaded, why = results[name]
                    data["cells"].append(
                        {
                            "folder": name,
                            "runtime": runtime,
                            "legacy_keras": legacy,
                            "loaded": loaded,
                            "error": why,
                        }  # fmt: skip
                    )
            print(
                runtime, versions, sum(r[0] for _, res in settings for r in res.values()), "loaded"
            )
    data["cells"].sort(key=lambda c: (c["runtime"], c["folder"], c["legacy_keras"]))
    data["runtimes"] = dict(sorted(data["runtimes"].items()))
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

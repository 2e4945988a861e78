"""The matrix's records: which artifacts and cells there are, and how measured columns become
`matrix.json`.

The probe (`corpus.probe`) measures cells inside a TF env; everything here is plain data over the
generated manifests and measured columns, and imports neither NumPy nor TensorFlow, so the
`tox -e matrix` driver (`corpus.extended`), the disagreement list and the core tests use it
without a TF env.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from corpus import ENVS, GENERATED
from migrator.knowledge.runtimes import RUNTIMES, MeasuredRuntime
from migrator.loadability import LOADERS, LOADERS_BY_FORMAT, NEEDS

TOLERANCE = 1e-5
SCHEMA_VERSION = 1


# The loaders `_Probe.run` knows how to call (LOADERS also has loaders of formats the generated
# corpus does not hold, such as MLflow's).
PROBED_LOADERS = (
    "keras.load_model",
    "tf_keras.load_model",
    "keras.load_weights",
    "tf_keras.load_weights",
    "tf.saved_model.load",
    "keras.layers.TFSMLayer",
)


def manifests(corpus: Path = GENERATED, *, extended: bool = False) -> list[dict[str, Any]]:
    """Every env's generated.json, in env order: the four CI lines', or (`extended`) those of
    every measured runtime that has generated (`migrator.knowledge.runtimes`)."""
    out = []
    envs = [r.name for r in RUNTIMES] if extended else list(ENVS.values())
    names = ("generated.json", "generated_extended.json") if extended else ("generated.json",)
    for env in envs:
        for name in names:
            path = corpus / env / name
            if path.is_file():
                out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def matrix_row(entry: dict[str, Any]) -> dict[str, Any]:
    """A matrix's record of one manifest entry, with no cells measured yet (both matrices)."""
    keys = ("format", "framework", "model", "api", "path")
    return {**{k: entry[k] for k in keys}, "cells": {}}


def artifacts(corpus: Path = GENERATED, *, extended: bool = False) -> list[dict[str, Any]]:
    """Every generated artifact (API errors excluded), sorted by id."""
    found = []
    for manifest in manifests(corpus, extended=extended):
        for entry in manifest["artifacts"]:
            if "path" in entry:
                found.append(entry)
    return sorted(found, key=lambda e: e["id"])


def runtime_loaders(fmt: str, runtime: MeasuredRuntime) -> tuple[str, ...]:
    """The loaders a runtime of the extended matrix measures on format `fmt`, in LOADERS order.

    Those the runtime has (tf_keras's where installed, TFSMLayer with Keras 3) and the format
    takes; a Keras overlay measures only `keras.*`, the one thing it changes (its TF and tf_keras
    loaders are its base line's, measured there).
    """
    wanted = set(LOADERS_BY_FORMAT.get(fmt, ()))
    out = []
    for loader in LOADERS:
        if loader not in wanted or loader not in PROBED_LOADERS:
            continue
        if loader.startswith("tf_keras.") and (runtime.tf_keras is None or runtime.overlay):
            continue
        if loader == "keras.layers.TFSMLayer" and not runtime.keras3:
            continue
        if loader == "tf.saved_model.load" and runtime.overlay:
            continue
        out.append(loader)
    return tuple(out)


def merge(columns: Iterable[dict[str, Any]], corpus: Path = GENERATED) -> dict[str, Any]:
    """Combine measured env columns into the matrix, with the artifact list from the manifests."""
    envs: dict[str, Any] = {}
    table: dict[str, dict[str, Any]] = {}
    for entry in artifacts(corpus):
        table[entry["id"]] = matrix_row(entry)
    for column in columns:
        envs[column["tf"]] = {"env": column["env"], "versions": column["versions"]}
        for artifact, cells_ in column["cells"].items():
            if artifact not in table:
                raise SystemExit(
                    f"measured artifact {artifact} is not in the manifests under {corpus}"
                )
            table[artifact]["cells"].update(cells_)
    total = sum(len(a["cells"]) for a in table.values())
    verdicts: dict[str, int] = {}
    for entry in table.values():
        for record in entry["cells"].values():
            verdicts[record["verdict"]] = verdicts.get(record["verdict"], 0) + 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tolerance": TOLERANCE,
        "loaders": list(LOADERS),
        "envs": dict(sorted(envs.items())),
        "size": {
            "artifacts": len(table),
            "envs": len(envs),
            "loaders": len(LOADERS),
            "cells": total,
            "verdicts": dict(sorted(verdicts.items())),
        },
        "needs": NEEDS,
        "artifacts": {
            k: {**v, "cells": dict(sorted(v["cells"].items()))} for k, v in sorted(table.items())
        },
    }


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(
        json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    os.replace(tmp, path)


def compare(measured: dict[str, Any], matrix: dict[str, Any]) -> list[str]:
    """Cells of one measured column that disagree with the committed matrix (verdict and needs)."""
    problems = []
    tf_line = measured["tf"]
    expected = {
        (artifact, key): record
        for artifact, entry in matrix["artifacts"].items()
        for key, record in entry["cells"].items()
        if key.startswith(f"{tf_line}/")
    }
    got = {
        (artifact, key): record
        for artifact, column in measured["cells"].items()
        for key, record in column.items()
    }
    for cell in sorted(set(expected) | set(got)):
        name = f"{cell[0]} x {cell[1]}"
        if cell not in got:
            problems.append(f"{name}: in matrix.json but not measured")
        elif cell not in expected:
            problems.append(f"{name}: measured but missing from matrix.json")
        else:
            want, have = expected[cell], got[cell]
            if (want["verdict"], want["needs"]) != (have["verdict"], have["needs"]):
                problems.append(
                    f"{name}: matrix.json says {want['verdict']} {want['needs']}, measured "
                    f"{have['verdict']} {have['needs']} ({have.get('error')})"
                )
    return problems

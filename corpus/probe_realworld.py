"""Measure the real-world artifacts (`../shared/realworld`) where that is cheap and safe.

    python -m corpus.probe_realworld measure --out FILE   # in one TF env
    python -m corpus.probe_realworld merge FILE...         # -> corpus/realworld_matrix.json

The generated corpus has reference outputs; these artifacts do not, so a cell here says whether
the loader takes the artifact and what that needed, not whether outputs survive:

- `keras.load_model`, `tf_keras.load_model`: plain, then `compile=False`; the result must be a
  Keras model (Keras 2 returns a bare restored object for a SavedModel without Keras objects,
  which counts as failing, as in the generated corpus where it cannot be called); for a model that
  records a training config, whether the loaded optimizer kept its iteration count
  (`optimizer_reset` when it is 0);
- `tf.saved_model.load`: plain, then `tags=['serve']`; then whether `serving_default` exists;
- `keras.layers.TFSMLayer`: plain, then `call_endpoint='serving_default'`, then one call on
  zeros (empty strings for string inputs) shaped by the signature; a binding error is the
  loader failing, an error raised by the graph on the synthetic data is not.

`load_weights` needs the architecture in code and is not measured here. Never measured: entries
tagged `malicious`, artifacts carrying marshalled Python code (no foreign bytecode is run: the
probe never passes `safe_mode=False`), and cells that need the artifact's custom classes (we do
not have them). Each cell runs in its own forked process, as in `corpus.probe`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus import CORPUS, ENVS, forked
from corpus.probe import CELL_TIMEOUT, current_tf_line
from corpus.records import write_json
from migrator.loadability import LOADERS, applicable

REALWORLD_MATRIX = CORPUS / "realworld_matrix.json"
MEASURED_LOADERS = (
    "keras.load_model",
    "tf_keras.load_model",
    "tf.saved_model.load",
    "keras.layers.TFSMLayer",
)


def default_root() -> Path:
    return Path(os.environ.get("MIGRATOR_REALWORLD", CORPUS.parent.parent / "shared" / "realworld"))


@dataclass(frozen=True)
class RealCell:
    artifact: str  # "<entry id>/<artifact path>"
    tf: str
    loader: str
    load_path: str
    trained: bool  # the artifact records a training config with optimizer state

    @property
    def key(self) -> str:
        return f"{self.tf}/{self.loader}"


def plan(root: Path, tf_line: str) -> tuple[list[RealCell], dict[str, str]]:
    """The measurable cells, and why the other artifacts are left out."""
    from migrator.audit import audit
    from migrator.facts import model_config, training_config
    from migrator.formats import keras_config
    from migrator.loadability import LOADERS_BY_FORMAT

    manifest = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
    todo: list[RealCell] = []
    skipped: dict[str, str] = {}
    for entry in manifest:
        report = audit([root / "artifacts" / entry["id"]])
        for artifact in report.artifacts:
            name = f"{entry['id']}/{artifact.path}"
            if artifact.errors or artifact.format not in LOADERS_BY_FORMAT:
                continue
            if "malicious" in entry.get("tags", []):
                skipped[name] = "tagged malicious: never loaded"
                continue
            config = model_config(artifact)
            if config and any(x["marshalled"] for x in keras_config.lambda_layers(config.config)):
                skipped[name] = "carries marshalled Python code: never loaded"
                continue
            loaders = [x for x in applicable(artifact.format, tf_line) if x in MEASURED_LOADERS]
            if not loaders:
                skipped[name] = "only load_weights applies (needs the architecture in code)"
                continue
            training = training_config(artifact)
            trained = bool(training) and bool(
                artifact.details.get("optimizer_weights") or artifact.format == "saved-model"
            )
            for loader in loaders:
                todo.append(RealCell(name, tf_line, loader, str(artifact.location), trained))
    return todo, skipped


def measure_cell(cell: RealCell) -> dict[str, Any]:
    """One real-world cell, in a forked child."""
    placeholders = {cell.load_path: "<artifact>"}
    errors: list[str] = []

    def failed() -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": "fails",
            "needs": [],
            "error": errors[0] if errors else None,
        }
        if errors and errors[-1] != errors[0]:
            out["last_error"] = errors[-1]
        return out

    def ok(needs: list[str]) -> dict[str, Any]:
        verdict = "loads-with-changes" if needs else "loads"
        error = errors[0] if needs and errors else None
        return {"verdict": verdict, "needs": sorted(needs), "error": error}

    if cell.loader.endswith(".load_model"):
        if cell.loader.startswith("tf_keras."):
            import tf_keras as keras
        else:
            import keras
        for needs, kwargs in (([], {}), (["compile=False"], {"compile": False})):
            try:
                model = keras.models.load_model(cell.load_path, **kwargs)
            except Exception as exc:
                errors.append(forked.describe(exc, placeholders))
                continue
            if not isinstance(model, keras.Model):
                # Keras 2 load_model hands back tf.saved_model.load's object for a SavedModel
                # without Keras objects: not a model anyone can call like one
                errors.append(f"returned a {type(model).__name__}, not a Keras model")
                return failed()
            if cell.trained and not _optimizer_kept(model):
                needs = [*needs, "optimizer_reset"]
            return ok(needs)
        return failed()
    if cell.loader == "tf.saved_model.load":
        import tensorflow as tf

        for needs, kwargs in (([], {}), (["tags"], {"tags": ["serve"]})):
            try:
                loaded = tf.saved_model.load(cell.load_path, **kwargs)
            except Exception as exc:
                errors.append(forked.describe(exc, placeholders))
                continue
            if "serving_default" not in loaded.signatures:
                errors.append(f"no serving_default signature: {sorted(loaded.signatures)}")
                return failed()
            return ok(needs)
        return failed()
    import keras

    for needs, kwargs in (([], {}), (["call_endpoint"], {"call_endpoint": "serving_default"})):
        try:
            layer = keras.layers.TFSMLayer(cell.load_path, **kwargs)
        except Exception as exc:
            errors.append(forked.describe(exc, placeholders))
            continue
        try:
            layer(_synthetic_inputs(layer))
        except Exception as exc:
            text = forked.describe(exc, placeholders)
            if "Binding inputs" in text or "positional argument" in text:
                errors.append(text)
                return failed()
        return ok(needs)
    return failed()


def _optimizer_kept(model: Any) -> bool:
    import numpy as np

    optimizer = getattr(model, "optimizer", None)
    try:
        return optimizer is not None and int(np.asarray(optimizer.iterations)) > 0
    except Exception:
        return False


def _synthetic_inputs(layer: Any) -> Any:
    """Zeros (or empty strings) shaped by the endpoint's input signature; unknown sizes = 1."""
    import tensorflow as tf

    fn = layer.call_endpoint_fn
    signature = getattr(fn, "structured_input_signature", None)
    specs = list((signature[1] if signature else {}).values())
    values = []
    for spec in specs:
        shape = (
            [1 if d is None else d for d in spec.shape.as_list()]
            if spec.shape.rank is not None
            else [1]
        )
        if spec.dtype == tf.string:
            values.append(tf.fill(shape, ""))
        else:
            values.append(tf.zeros(shape, dtype=spec.dtype))
    return values[0] if len(values) == 1 else values


def measure(root: Path, *, jobs: int = 2) -> dict[str, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # noqa: F401  (imported once, before forking)
    import tensorflow as tf  # noqa: F401

    try:
        import tf_keras  # noqa: F401
    except ImportError:
        pass
    from corpus.generate import versions

    tf_line = current_tf_line()
    todo, skipped = plan(root, tf_line)
    started = time.monotonic()
    results = forked.run_all(measure_cell, todo, jobs=jobs, timeout=CELL_TIMEOUT)
    cells: dict[str, dict[str, Any]] = {}
    for cell, result in zip(todo, results, strict=True):
        if result["status"] == "ok":
            record = result["value"]
        else:
            record = {
                "verdict": "fails",
                "needs": [],
                "error": f"{result['status']}: {result.get('error')}",
            }
        cells.setdefault(cell.artifact, {})[cell.key] = record
    return {
        "tf": tf_line,
        "env": ENVS[tf_line],
        "versions": versions(),
        "seconds": round(time.monotonic() - started, 1),
        "cells": cells,
        "skipped": skipped,
    }


def merge(columns: list[dict[str, Any]]) -> dict[str, Any]:
    artifacts: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for column in columns:
        for name, cells in column["cells"].items():
            artifacts.setdefault(name, {}).update(cells)
        skipped.update(column["skipped"])
    return {
        "schema_version": 1,
        "what": (
            "real-world artifacts (../shared/realworld) measured by corpus/probe_realworld.py: "
            "loads or not and what that needed; outputs are not compared (no references)"
        ),
        "loaders": list(LOADERS),
        "envs": {
            c["tf"]: {"env": c["env"], "versions": c["versions"]}
            for c in sorted(columns, key=lambda c: c["tf"])
        },
        "cells": sum(len(c) for c in artifacts.values()),
        "artifacts": {k: dict(sorted(v.items())) for k, v in sorted(artifacts.items())},
        "skipped": dict(sorted(skipped.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="measure this env's column")
    m.add_argument("--root", type=Path, default=None, help="real-world folder (MANIFEST.json)")
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--jobs", type=int, default=2)
    g = sub.add_parser("merge", help="merge measured columns into corpus/realworld_matrix.json")
    g.add_argument("columns", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "measure":
        root = args.root or default_root()
        if not (root / "MANIFEST.json").is_file():
            print(f"no real-world artifacts at {root}; nothing to measure", file=sys.stderr)
            return 0
        column = measure(root, jobs=args.jobs)
        write_json(args.out, column)
        print(
            f"[{column['tf']}] {sum(len(c) for c in column['cells'].values())} cells in {column['seconds']}s"
        )
        return 0
    merged = merge([json.loads(p.read_text(encoding="utf-8")) for p in args.columns])
    write_json(REALWORLD_MATRIX, merged)
    print(f"wrote {REALWORLD_MATRIX}: {merged['cells']} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure which loader of which TF env loads which corpus artifact: the data behind `matrix.json`.

    python -m corpus.probe measure [--out FILE]   # in one TF env: every applicable loader on
                                                  # every generated artifact of every env
    python -m corpus.probe merge FILE...          # measured columns -> corpus/matrix.json
    python -m corpus.probe measure --extended     # in one runtime: its cells on every
                                                  # runtime's artifacts (corpus/extended.py)

A cell is (artifact, TF line, loader). The probe tries the loader the way a user would, first
plainly, then with the changes a user can make (`safe_mode=False`, `compile=False`, registering
the custom class, `tags=['serve']`, `call_endpoint='serving_default'`), and runs what loaded on
the reference inputs. The measured verdict is `loads` (plain call, outputs within tolerance,
optimizer state intact), `loads-with-changes` (`needs` names what had to change or was lost) or
`fails` (`error` is the exception type and the first line of its message).

Each cell runs in its own forked process with a timeout (see `forked.py`); the parent imports
TensorFlow once. The `regenerate` driver imports neither NumPy nor TensorFlow: it runs the
generator and this probe with each tox env's interpreter. Which artifacts and cells there are, and
how measured columns become the matrix, is plain data in `corpus.records`.
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

from corpus import ENVS, GENERATED, MATRIX, forked
from corpus.records import TOLERANCE, artifacts, merge, runtime_loaders, write_json
from migrator.knowledge.runtimes import MeasuredRuntime, identify
from migrator.loadability import applicable

CELL_TIMEOUT = 120.0


@dataclass(frozen=True)
class Cell:
    artifact: str  # artifact id, e.g. "tf212/keras/sequential/save-h5"
    tf: str  # TF line of the measuring env, "2.12"
    loader: str
    model: str
    framework: str
    api: str
    load_path: str  # absolute path handed to the loader
    reference: str  # absolute path of reference.json
    column: str = ""  # the cell key's first part: the TF line (matrix.json) or runtime name

    @property
    def key(self) -> str:
        return f"{self.column or self.tf}/{self.loader}"


def cells(
    tf_line: str,
    corpus: Path = GENERATED,
    only: str | None = None,
    runtime: MeasuredRuntime | None = None,
) -> list[Cell]:
    """The cells to measure: this CI line's on the CI lines' artifacts, or (`runtime`) that
    runtime's on every runtime's artifacts, keyed by the runtime's name."""
    out = []
    wanted = only.split(",") if only else []
    for entry in artifacts(corpus, extended=runtime is not None):
        if wanted and not any(text in entry["id"] for text in wanted):
            continue
        if runtime is None:
            loaders = applicable(entry["format"], tf_line)
        else:
            loaders = runtime_loaders(entry["format"], runtime)
        for loader in loaders:
            out.append(
                Cell(
                    artifact=entry["id"],
                    tf=tf_line,
                    loader=loader,
                    model=entry["model"],
                    framework=entry["framework"],
                    api=entry["api"],
                    load_path=str(corpus / entry["load_path"]),
                    reference=str(corpus / entry["reference"]),
                    column=runtime.name if runtime else "",
                )
            )
    return out


# --- inside the forked child: one cell


def measure_cell(cell: Cell) -> dict[str, Any]:
    """Run one loader on one artifact and say what happened (runs in a forked child)."""
    import numpy as np

    ref = json.loads(Path(cell.reference).read_text(encoding="utf-8"))
    inputs = {k: np.asarray(v, dtype="float32") for k, v in ref["inputs"].items()}
    expected = np.asarray(ref["outputs"], dtype="float32")
    probe = _Probe(cell, inputs, expected, ref.get("train_steps"))
    return probe.run()


class _Probe:
    def __init__(self, cell: Cell, inputs: dict[str, Any], expected: Any, train_steps: int | None):
        self.cell = cell
        self.inputs = inputs
        self.expected = expected
        self.train_steps = train_steps
        self.first_error: str | None = None
        self.last_error: str | None = None
        self.wrong: tuple[float | None, list[str]] | None = None
        corpus_root = str(Path(cell.reference).parents[3])
        self.placeholders = {cell.load_path: "<artifact>", corpus_root: "<corpus>"}

    def run(self) -> dict[str, Any]:
        loader = self.cell.loader
        if loader.endswith(".load_model"):
            return self._load_model(self._keras(loader))
        if loader.endswith(".load_weights"):
            return self._load_weights(self._keras(loader))
        if loader == "tf.saved_model.load":
            return self._saved_model_load()
        if loader == "keras.layers.TFSMLayer":
            return self._tfsm_layer()
        raise KeyError(loader)

    @staticmethod
    def _keras(loader: str) -> Any:
        if loader.startswith("tf_keras."):
            import tf_keras

            return tf_keras
        import keras

        return keras

    def _error(self, exc: BaseException) -> None:
        self.last_error = forked.describe(exc, self.placeholders)
        if self.first_error is None:
            self.first_error = self.last_error

    def _diff(self, out: Any) -> float | None:
        import numpy as np

        got = np.asarray(out, dtype="float32")
        if got.shape != self.expected.shape:
            return None
        return float(np.max(np.abs(got - self.expected)))

    def _result(self, diff: float | None, needs: list[str]) -> dict[str, Any]:
        if diff is not None and diff <= TOLERANCE:
            verdict = "loads-with-changes" if needs else "loads"
            return {
                "verdict": verdict,
                "needs": sorted(needs),
                "error": self.first_error if needs else None,
                "max_abs_diff": _round(diff),
            }
        return self._failed()

    def _failed(self) -> dict[str, Any]:
        if self.wrong is not None:
            diff, needs = self.wrong
            shown = "a different output shape" if diff is None else f"max abs diff {_round(diff)}"
            return {
                "verdict": "fails",
                "needs": sorted(needs),
                "error": f"loads but outputs differ from the reference ({shown})",
                "max_abs_diff": None if diff is None else _round(diff),
            }
        record = {"verdict": "fails", "needs": [], "error": self.first_error, "max_abs_diff": None}
        if self.last_error != self.first_error:
            record["last_error"] = self.last_error  # the attempt that got furthest
        return record

    def _accept(self, out: Any, needs: list[str]) -> float | None:
        """The diff if the outputs match; otherwise remember the first wrong load and say None."""
        diff = self._diff(out)
        if diff is not None and diff <= TOLERANCE:
            return diff
        if self.wrong is None:
            self.wrong = (diff, list(needs))
        return None

    # keras.load_model / tf_keras.load_model
    def _load_model(self, keras: Any) -> dict[str, Any]:
        from corpus import models

        option_sets: list[tuple[str, ...]] = [
            (),
            ("safe_mode=False",),
            ("compile=False",),
            ("safe_mode=False", "compile=False"),
        ]
        phases = [False, True] if self.cell.model == "custom" else [False]
        for register in phases:
            if register:
                models.custom_layer_class(keras)
            for options in option_sets:
                kwargs: dict[str, Any] = {}
                if "safe_mode=False" in options:
                    kwargs["safe_mode"] = False
                if "compile=False" in options:
                    kwargs["compile"] = False
                needs = [*options, *(["custom_objects"] if register else [])]
                try:
                    model = keras.models.load_model(self.cell.load_path, **kwargs)
                    out = models.call(model, self.inputs)
                except Exception as exc:
                    self._error(exc)
                    continue
                diff = self._accept(out, needs)
                if diff is None:
                    continue
                if self.train_steps is not None and not self._optimizer_intact(model):
                    needs.append("optimizer_reset")
                return self._result(diff, needs)
        return self._failed()

    def _optimizer_intact(self, model: Any) -> bool:
        import numpy as np

        optimizer = getattr(model, "optimizer", None)
        if optimizer is None:
            return False
        try:
            return int(np.asarray(optimizer.iterations)) == self.train_steps
        except Exception:
            return False

    # keras.load_weights / tf_keras.load_weights: into the same architecture built in code
    def _load_weights(self, keras: Any) -> dict[str, Any]:
        from corpus import models

        try:
            model = models.build(self.cell.model, keras, weights_seed=777)
            model.load_weights(self.cell.load_path)
            out = models.call(model, self.inputs)
        except Exception as exc:
            self._error(exc)
            return self._failed()
        diff = self._accept(out, [])
        return self._failed() if diff is None else self._result(diff, [])

    # tf.saved_model.load, then its serving_default signature
    def _saved_model_load(self) -> dict[str, Any]:
        import tensorflow as tf

        for needs, kwargs in (([], {}), (["tags"], {"tags": ["serve"]})):
            try:
                loaded = tf.saved_model.load(self.cell.load_path, **kwargs)
            except Exception as exc:
                self._error(exc)
                continue
            try:
                signature = loaded.signatures["serving_default"]
                specs = signature.structured_input_signature[1]
                feed = _feed({k: tuple(v.shape) for k, v in specs.items()}, self.inputs)
                out = _single_output(signature(**{k: tf.constant(v) for k, v in feed.items()}))
            except Exception as exc:
                self._error(exc)
                return self._failed()
            diff = self._accept(out, needs)
            return self._failed() if diff is None else self._result(diff, needs)
        return self._failed()

    # keras.layers.TFSMLayer: the Keras 3 way to call a SavedModel
    def _tfsm_layer(self) -> dict[str, Any]:
        import keras

        for needs, kwargs in (([], {}), (["call_endpoint"], {"call_endpoint": "serving_default"})):
            try:
                layer = keras.layers.TFSMLayer(self.cell.load_path, **kwargs)
            except Exception as exc:
                self._error(exc)
                continue
            values = list(self.inputs.values())
            try:
                out = _single_output(layer(values if len(values) > 1 else values[0]))
            except Exception as exc:
                self._error(exc)
                return self._failed()
            diff = self._accept(out, needs)
            return self._failed() if diff is None else self._result(diff, needs)
        return self._failed()


def _feed(specs: dict[str, tuple[Any, ...]], inputs: dict[str, Any]) -> dict[str, Any]:
    """Match signature inputs to the reference inputs as a user reading the signature would.

    By name; else, as many inputs as the model has, by shape where the shapes tell them apart
    (Keras 3 models saved with `tf.saved_model.save` name them `inputs`, `inputs_1`), else in
    order.
    """
    names = sorted(specs)
    if set(names) == set(inputs):
        return {name: inputs[name] for name in names}
    if len(names) != len(inputs):
        raise ValueError(f"signature inputs {names} do not match the model inputs {sorted(inputs)}")
    by_shape: dict[str, Any] = {}
    for name in names:
        fits = [k for k, v in inputs.items() if _shape_fits(specs[name], v.shape)]
        if len(fits) != 1 or fits[0] in by_shape.values():
            return dict(zip(names, inputs.values(), strict=True))
        by_shape[name] = fits[0]
    return {name: inputs[key] for name, key in by_shape.items()}


def _shape_fits(spec: tuple[Any, ...], shape: tuple[int, ...]) -> bool:
    return len(spec) == len(shape) and all(
        s is None or s == d for s, d in zip(spec, shape, strict=True)
    )


def _single_output(out: Any) -> Any:
    if isinstance(out, dict):
        if len(out) != 1:
            raise ValueError(f"expected one output, got {sorted(out)}")
        return next(iter(out.values()))
    if isinstance(out, (list, tuple)) and len(out) == 1:
        return out[0]
    return out


def _round(value: float) -> float:
    return float(f"{value:.3g}")


# --- in the env's parent process


def current_tf_line() -> str:
    import tensorflow as tf

    line = ".".join(tf.__version__.split(".")[:2])
    if line not in ENVS:
        raise SystemExit(
            f"TensorFlow {tf.__version__} is not a matrix env; expected one of {sorted(ENVS)}"
        )
    return line


def current_runtime() -> MeasuredRuntime:
    import keras
    import tensorflow as tf

    try:
        return identify(tf.__version__, keras.__version__)
    except KeyError as exc:
        raise SystemExit(f"not a matrix runtime: {exc.args[0]}") from None


def measure(
    corpus: Path = GENERATED,
    *,
    jobs: int = 2,
    only: str | None = None,
    verbose: bool = False,
    extended: bool = False,
    skip_ci_cells: bool = False,
    skip_measured: Path | None = None,
) -> dict[str, Any]:
    """Measure every applicable cell for this env; return its column of the matrix (`extended`:
    this runtime's cells on every runtime's artifacts, keyed by the runtime's name)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # noqa: F401  (imported once here, before forking)
    import tensorflow as tf  # noqa: F401

    try:
        import tf_keras  # noqa: F401
    except ImportError:
        pass
    from corpus.generate import versions

    runtime = current_runtime() if extended else None
    tf_line = runtime.line if runtime else current_tf_line()
    todo = cells(tf_line, corpus, only, runtime)
    if runtime is not None and runtime.ci and skip_ci_cells:
        committed = {a["id"] for a in artifacts(corpus)}  # matrix.json's, measured by CI
        todo = [cell for cell in todo if cell.artifact not in committed]
    if skip_measured is not None:  # resume a partial regeneration: only the cells still missing
        done = json.loads(skip_measured.read_text(encoding="utf-8"))["artifacts"]
        todo = [c for c in todo if c.key not in done.get(c.artifact, {}).get("cells", {})]
    started = time.monotonic()

    def progress(index: int, result: dict[str, Any]) -> None:
        if verbose:
            value = result.get("value") or {}
            shown = value.get("verdict") or result["status"]
            name = runtime.name if runtime else tf_line
            print(f"[{name}] {todo[index].artifact} {todo[index].loader}: {shown}", flush=True)

    results = forked.run_all(
        measure_cell, todo, jobs=jobs, timeout=CELL_TIMEOUT, on_result=progress
    )
    column: dict[str, dict[str, Any]] = {}
    for cell, result in zip(todo, results, strict=True):
        if result["status"] == "ok":
            record = result["value"]
        else:  # the probe itself died: a timeout or a crash is a failure to load
            record = {
                "verdict": "fails",
                "needs": [],
                "error": result.get("error"),
                "max_abs_diff": None,
            }
            record["error"] = f"{result['status']}: {record['error']}"
        column.setdefault(cell.artifact, {})[cell.key] = record
    return {
        "tf": tf_line,
        "env": runtime.name if runtime else ENVS[tf_line],
        "extended": extended,
        "versions": versions(),
        "seconds": round(time.monotonic() - started, 1),
        "cells": column,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="measure this env's column")
    m.add_argument("--corpus", type=Path, default=GENERATED)
    m.add_argument("--out", type=Path, help="write the column here (default: print a summary)")
    m.add_argument("--jobs", type=int, default=2)
    m.add_argument("--only", help="only artifacts whose id contains one of these (comma-separated)")
    m.add_argument("-v", "--verbose", action="store_true")
    m.add_argument(
        "--skip-ci-cells",
        action="store_true",
        help="with --extended: leave out the cells of matrix.json (a CI line on a CI artifact)",
    )
    m.add_argument(
        "--skip-measured",
        type=Path,
        metavar="MATRIX_EXTENDED",
        help="with --extended: leave out the cells this matrix file already holds (a resumed run)",
    )
    m.add_argument(
        "--extended",
        action="store_true",
        help="this runtime's cells on every runtime's artifacts (corpus/matrix_extended.json)",
    )
    g = sub.add_parser("merge", help="merge measured columns into corpus/matrix.json")
    g.add_argument("columns", nargs="+", type=Path)
    g.add_argument("--corpus", type=Path, default=GENERATED)
    args = parser.parse_args(argv)
    if args.command == "measure":
        column = measure(
            args.corpus,
            jobs=args.jobs,
            only=args.only,
            verbose=args.verbose,
            extended=args.extended,
            skip_ci_cells=args.skip_ci_cells,
            skip_measured=args.skip_measured,
        )
        if args.out:
            write_json(args.out, column)
        counts: dict[str, int] = {}
        for record in (r for c in column["cells"].values() for r in c.values()):
            counts[record["verdict"]] = counts.get(record["verdict"], 0) + 1
        print(f"[{column['env']}] {sum(counts.values())} cells in {column['seconds']}s: {counts}")
        return 0
    columns = [json.loads(p.read_text(encoding="utf-8")) for p in args.columns]
    matrix = merge(columns, args.corpus)
    write_json(MATRIX, matrix)
    print(f"wrote {MATRIX}: {matrix['size']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

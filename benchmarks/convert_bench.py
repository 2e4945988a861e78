"""Conversion time per model against what a careful user runs by hand, and a bare load + save.

For each model, measured in one run on this machine:

- careful (Keras 2 HDF5 models): what a careful user does for one model: in a process of the
  model's era (tf.keras 2.15) load it, run it on fixed inputs and save it; in a process of the
  newest runtime load the result, run it on the same inputs and compare the outputs. Both
  processes are started (TensorFlow imported) before the clock starts, as migrator's workers are;

- bare: in ONE latest-TF process, the time to load the model the plain way (Keras 3
  `keras.models.load_model` for HDF5, tf-keras for a Keras SavedModel, `tf.saved_model.load` for
  a TF1 SavedModel) and save it again (`.keras`, or `tf.saved_model.save`), models one after the
  other in the same process; "fails" when the plain way cannot do it;
- migrator: `Converter.convert` (plan, convert in the latest runtime, run the source in its
  own era's runtime and the output in the latest on the same inputs, compare outputs and every
  weight, publish with metadata.json), with workers already started (their one-time start-up,
  importing TensorFlow in each runtime, is printed separately).

    python benchmarks/convert_bench.py [--workdir DIR] [--big-mb 200] [--no-realworld]
        [--repeat N]

Models: the generated corpus' small tf.keras 2.15 Sequential HDF5, a generated large Dense HDF5
(`--big-mb` of float32 weights, written by tf.keras 2.15), and the real-world files
(../shared/realworld) of each kind when present.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrator.convert import Options, runtimes  # noqa: E402
from migrator.convert.pipeline import Converter, classify  # noqa: E402
from migrator.convert.runtime_pool import Pool  # noqa: E402

REALWORLD = Path(os.environ.get("MIGRATOR_REALWORLD", REPO.parent / "shared" / "realworld"))
REAL_MODELS = (
    "heart_tfk210_h5/heart_disease.h5",
    "yt_tfk212_lstm_h5/lstm_sentiment_model.h5",
    "oarriaga_k205_mini_xception_hdf5/fer2013_mini_XCEPTION.102-0.66.hdf5",
    "dl4j_k122_theano_lstm_trio/simple_lstm_th_keras_1_model.h5",
    "mnist0x7a_tf210_keras_savedmodel",
    "serving_hp2_cpu_tf114/saved_model_half_plus_two_cpu/00000123",
)

MAKE_BIG = r"""
import sys, numpy as np, tensorflow as tf
units = int(sys.argv[2])
inp = tf.keras.Input((units,), name="x")
h = tf.keras.layers.Dense(units, activation="relu", name="d1")(inp)
h = tf.keras.layers.Dense(units, activation="relu", name="d2")(h)
out = tf.keras.layers.Dense(10, name="out")(h)
model = tf.keras.Model(inp, out)
rng = np.random.default_rng(0)
model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.01 for w in model.weights])
model.save(sys.argv[1])
"""

BARE = r"""
import json, os, sys, tempfile, time, warnings
warnings.filterwarnings("ignore")
import tensorflow as tf, keras
jobs = json.loads(sys.argv[1])
out = {}
work = tempfile.mkdtemp()
for i, (path, kind) in enumerate(jobs):
    start = time.perf_counter()
    try:
        if kind == "keras-h5":
            model = keras.models.load_model(path, compile=False)
            model.save(os.path.join(work, f"m{i}.keras"))
        elif kind == "keras-savedmodel":
            import tf_keras
            model = tf_keras.models.load_model(path, compile=False)
            model.save(os.path.join(work, f"m{i}.keras"))
        else:
            loaded = tf.saved_model.load(path)
            tf.saved_model.save(loaded, os.path.join(work, f"sm{i}"),
                                signatures=loaded.signatures["serving_default"])
        out[path] = {"seconds": time.perf_counter() - start}
        if kind not in ("keras-h5", "keras-savedmodel"):  # does the re-saved model still run?
            fn = tf.saved_model.load(os.path.join(work, f"sm{i}")).signatures["serving_default"]
            spec = fn.structured_input_signature[1]
            try:
                fn(**{k: tf.zeros([d or 1 for d in (s.shape.as_list() if s.shape.rank is not None
                                                    else [1])], s.dtype) for k, s in spec.items()})
            except Exception as exc:
                out[path]["broken"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
    except Exception as exc:
        out[path] = {"seconds": time.perf_counter() - start,
                     "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:90]}"}
print("@@" + json.dumps(out))
"""


# The careful user's two processes: each reads job lines on stdin and answers one JSON line.
CAREFUL_ERA = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, tensorflow as tf
print("@@ready", flush=True)
for line in sys.stdin:
    path, saved, inputs = json.loads(line)
    start = time.perf_counter()
    try:
        model = tf.keras.models.load_model(path, compile=False)
        shapes = [[2] + [d or 1 for d in t.shape[1:]] for t in model.inputs]
        rng = np.random.default_rng(0)
        xs = [rng.standard_normal(s).astype("float32") for s in shapes]
        np.savez(inputs + ".npz", *xs, out=model.predict(xs, verbose=0))
        model.save(saved)
    except Exception:  # this simple recipe does not fit the model (e.g. Embedding inputs)
        print("@@null", flush=True)
        continue
    print("@@" + json.dumps(time.perf_counter() - start), flush=True)
"""
CAREFUL_NEW = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, keras
print("@@ready", flush=True)
for line in sys.stdin:
    saved, inputs = json.loads(line)
    start = time.perf_counter()
    try:
        model = keras.models.load_model(saved, compile=False)
        data = np.load(inputs + ".npz")
        xs = [data[f"arr_{i}"] for i in range(len(data.files) - 1)]
        diff = float(np.max(np.abs(model.predict(xs, verbose=0) - data["out"])))
    except Exception:  # Keras 3 cannot load this legacy .h5 the plain way: no baseline
        print("@@null", flush=True)
        continue
    print("@@" + json.dumps([time.perf_counter() - start, diff]), flush=True)
"""


class _Warm:
    """A started interpreter that runs one of the scripts above (TF imported before timing)."""

    def __init__(self, python: Path, script: str) -> None:
        self.proc = subprocess.Popen(
            [str(python), "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"},
        )
        self._reply()

    def _reply(self):  # type: ignore[no-untyped-def]
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@"):
                return json.loads(line[2:]) if line[2:].strip() != "ready" else None
        raise RuntimeError("benchmark process died")

    def ask(self, *args: str):  # type: ignore[no-untyped-def]
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def careful(sources: list, era: runtimes.Runtime, latest: runtimes.Runtime, work: Path) -> dict:
    """Seconds per Keras 2 HDF5 model of the careful user's load/run/save/load/run/compare."""
    keras_h5 = [s for s in sources if s.kind == "keras-h5"]
    if not keras_h5:
        return {}
    old, new = _Warm(era.python, CAREFUL_ERA), _Warm(latest.python, CAREFUL_NEW)
    out = {}
    try:
        for i, source in enumerate(keras_h5):
            saved, inputs = str(work / f"careful{i}.h5"), str(work / f"careful{i}")
            first = old.ask(str(source.location), saved, inputs)
            if first is None:
                continue  # the careful recipe does not fit this model: no baseline
            answer = new.ask(saved, inputs)
            if answer is None:
                continue
            second, diff = answer
            out[str(source.location)] = {"seconds": first + second, "diff": diff}
    finally:
        old.close()
        new.close()
    return out


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _artifact(path: Path):  # type: ignore[no-untyped-def]
    from migrator.audit import read_candidate
    from migrator.discover import discover

    found = discover(path)
    (candidate,) = [c for c in found.candidates if c.rel == "."]
    return read_candidate(candidate)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of careful + migrator; medians are shown"
    )
    parser.add_argument(
        "--no-realworld", action="store_true", help="only the small and the large model"
    )
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="convert-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    latest = runtimes.latest()
    keras2 = [r for r in runtimes.available() if r.keras_major == 2]

    models: list[Path] = []
    small = (
        REPO / "corpus" / "generated" / "tf215" / "keras" / "sequential" / "save-h5" / "model.h5"
    )
    if small.is_file():
        models.append(small)
    if keras2:
        big = work / "big_dense.h5"
        if not big.exists():
            # three Dense layers of `units` x `units` float32 weights ~ big_mb
            units = int((args.big_mb * 1024 * 1024 / 4 / 2) ** 0.5)
            subprocess.run(
                [str(keras2[-1].python), "-c", MAKE_BIG, str(big), str(units)],
                check=True,
                capture_output=True,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            )
        models.append(big)
    if not args.no_realworld:
        models += [
            REALWORLD / "artifacts" / m
            for m in REAL_MODELS
            if (REALWORLD / "artifacts" / m).exists()
        ]

    options = Options()
    sources = []
    for path in models:
        artifact = _artifact(path)
        sources.append(classify(artifact, options))

    bare_jobs = [[str(s.location), s.kind] for s in sources]
    started = time.perf_counter()
    proc = subprocess.run(
        [str(latest.python), "-c", BARE, json.dumps(bare_jobs)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=True,
    )
    bare_process = time.perf_counter() - started
    bare = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("@@"))[2:])
    # Rounds alternate the careful recipe and migrator, so a slow spell of this VM hits both;
    # each figure below is the median of its rounds.
    careful_runs: dict[str, list[float]] = {}
    migrator_runs: dict[str, list[float]] = {}
    outcomes = {}
    pool = Pool()
    try:
        warm = time.perf_counter()
        pool.start({latest, *keras2})  # each runtime's fork server imports TF once
        startup = time.perf_counter() - warm
        for _round in range(args.repeat):
            by_hand = careful(sources, keras2[-1], latest, work) if keras2 else {}
            for key, value in by_hand.items():
                careful_runs.setdefault(key, []).append(value["seconds"])
            converter = Converter(
                Path(tempfile.mkdtemp(prefix="out-", dir=work)), options, pool=pool
            )
            for source in sources:
                start = time.perf_counter()
                outcome = converter.convert(source, single=False)
                seconds = time.perf_counter() - start
                migrator_runs.setdefault(str(source.location), []).append(seconds)
                outcomes[str(source.location)] = outcome
    finally:
        pool.close()
    rows = [
        (s, outcomes[str(s.location)], statistics.median(migrator_runs[str(s.location)]))
        for s in sources
    ]
    by_hand = {k: {"seconds": statistics.median(v)} for k, v in careful_runs.items()}

    print(
        f"latest runtime: {latest.describe()}; source runtimes: "
        + ", ".join(r.describe() for r in keras2)
    )
    print(f"bare process (one {latest.name} process, TF import included): {bare_process:.1f} s")
    print(
        f"migrator worker start-up, once per batch ({len({latest, *keras2})} runtimes): "
        f"{startup:.1f} s"
    )
    header = (
        f"{'model':<50} {'kind':<17} {'MB':>7} {'bare s':>7} {'careful s':>9} {'migrator s':>10}"
        f" {'vs bare':>7} {'vs careful':>10}  result"
    )
    print(header)
    print("-" * len(header))
    for source, outcome, seconds in rows:
        b = bare[str(source.location)]
        name = str(source.location).replace(str(REALWORLD / "artifacts") + "/", "")[-50:]
        c = by_hand.get(str(source.location))
        careful_s = f"{c['seconds']:.2f}" if c else "-"
        vs_careful = f"{seconds / c['seconds']:.2f}x" if c else "-"
        if outcome.status == "converted":
            diffs = [o.get("max_abs_diff") for o in outcome.outputs]
            result = f"converted, validated (max diff {max(d or 0 for d in diffs):.1e})"
        else:
            result = f"{outcome.status}: {outcome.reason[:60]}"
        bare_s = f"{b['seconds']:.2f}" + ("*" if "error" in b or "broken" in b else "")
        ratio = f"{seconds / b['seconds']:.1f}x" if "error" not in b else "-"
        print(
            f"{name:<50} {source.kind:<17} {_size(source.location) / 1e6:>7.1f} {bare_s:>7} "
            f"{careful_s:>9} {seconds:>10.2f} {ratio:>7} {vs_careful:>10}  {result}"
        )
    if args.repeat > 1:
        for source in sources:
            key = str(source.location)
            mine = ", ".join(f"{x:.2f}" for x in migrator_runs[key])
            theirs = ", ".join(f"{x:.2f}" for x in careful_runs.get(key, []))
            print(f"rounds of {source.location.name}: migrator {mine}; careful {theirs or '-'}")
    for source in sources:
        b = bare[str(source.location)]
        if "error" in b:
            print(f"* bare load/save fails for {source.location.name}: {b['error']}")
        if "broken" in b:
            print(f"* bare re-save of {source.location.name} runs no more: {b['broken']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

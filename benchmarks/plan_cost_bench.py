"""The per-model cost and the runtime start-up that `migrator convert --plan` estimates with.

Runs the real command line, `migrator convert TREE -o OUT` at --jobs 1, twice: on a tree of one
small Keras 2 HDF5 model and on a tree of N (copies of the corpus's tf.keras 2.15 `save-h5`
models: functional, sequential, recurrent, trained). Both runs start the same runtimes (the
Keras 2 era runtime and the newest), so

    per model  = (T(N) - T(1)) / (N - 1)
    start-up   = (T(1) - per model) / number of runtimes started

The runtimes are the ones migrator finds as usual (MIGRATOR_RUNTIME_<ENV>, [tool.migrator]
runtimes, or `migrator runtimes install`). Put the figures in `migrator/convert/plan.py`
(SECONDS_PER_MODEL, SECONDS_PER_RUNTIME_START).

    python benchmarks/plan_cost_bench.py [--count 12] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus" / "generated" / "tf215" / "keras"
MODELS = ("functional", "sequential", "recurrent", "trained")


def make_tree(root: Path, count: int) -> Path:
    """`count` small Keras 2 HDF5 models, cycling through the corpus's kinds."""
    for i in range(count):
        kind = MODELS[i % len(MODELS)]
        target = root / f"m{i:03d}-{kind}" / "model.h5"
        target.parent.mkdir(parents=True)
        shutil.copyfile(CORPUS / kind / "save-h5" / "model.h5", target)
    return root


def timed_convert(tree: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "migrator.cli", "convert", str(tree), "-o", str(out), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"convert failed: {done.stderr[-2000:]}{done.stdout[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=12, help="models in the larger tree")
    parser.add_argument("--workdir", type=Path, help="where to build the trees (default: temp)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="migrator-plan-bench-"))
    one = make_tree(work / "one", 1)
    many = make_tree(work / "many", args.count)
    t1 = timed_convert(one, work / "out-one")
    tn = timed_convert(many, work / "out-many")
    per_model = (tn - t1) / (args.count - 1)
    runtimes_started = 2  # the Keras 2 era runtime and the newest
    startup = max(t1 - per_model, 0.0) / runtimes_started
    print(f"T(1) = {t1:.1f} s, T({args.count}) = {tn:.1f} s (wall, --jobs 1)")
    print(f"per model: {per_model:.2f} s; runtime start-up: {startup:.2f} s per runtime")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

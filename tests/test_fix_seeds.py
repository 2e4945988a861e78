"""The seeds' scripts under TF 2.21 / Keras 3.15: after `migrator fix --unsafe-fixes` each runs to
the end, where the legacy ones fail as written, and what it saves loads back.

The scripts are article code: some use names the article defines elsewhere (`model`,
`make_model`, `x_train`). Each copy gets the same mechanical changes, and only these:
- `PRELUDE` is prepended: tiny data and a tiny model for the names the articles leave undefined
  (a script that defines the name itself overrides it);
- `epochs=10` becomes `epochs=1` and `/tmp/` becomes the test's own folder;
- the script runs with the test's folder as working directory, so relative saves stay there.
The original and the fixed copy get exactly the same treatment; only `migrator fix` differs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.cli import main

SEEDS = Path(__file__).parent / "cases" / "seeds"

PRELUDE = """\
import numpy as _np
import tensorflow as _tf

x_train = _np.random.RandomState(0).rand(8, 784).astype("float32")
y_train = _np.eye(10, dtype="float32")[_np.arange(8) % 10]
x_test = x_train[:2]


def make_model():
    return _tf.keras.Sequential([_tf.keras.Input((32,)), _tf.keras.layers.Dense(4)])


model = make_model()
model.compile(optimizer="adam", loss="mse")
"""

# Seeds whose code, as written, stops under TF 2.21 / Keras 3.15 (the others only use APIs that
# still run: `.h5` saves are legacy but work, with a warning).
FAILS_AS_WRITTEN = {"003_35032612f6cf8bd1.py", "004_171a17abf0a5cbd9.py"}

LOAD_BACK = """\
import sys
from pathlib import Path

import keras
import tensorflow as tf

loaded = 0
for path in sorted(Path(sys.argv[1]).rglob("*")):
    if path.name.endswith((".keras", ".h5", ".hdf5")) and not path.name.endswith(".weights.h5"):
        keras.models.load_model(path, compile=False)
    elif path.name == "saved_model.pb":
        tf.saved_model.load(str(path.parent))
    else:
        continue
    loaded += 1
    print("loaded", path.relative_to(sys.argv[1]))
sys.exit(0 if loaded else 3)
"""

pytestmark = [pytest.mark.tf, pytest.mark.latest]


def _prepare(seed: Path, folder: Path) -> Path:
    folder.mkdir()
    text = seed.read_text(encoding="utf-8")
    text = text.replace("epochs=10", "epochs=1").replace("'/tmp/", f"'{folder}/")
    script = folder / seed.name
    script.write_text(PRELUDE + text, encoding="utf-8")
    return script


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.py")), ids=lambda p: p.stem)
def test_fixed_seed_runs_and_its_saves_load(seed: Path, tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    original = _prepare(seed, tmp_path / "original")
    fixed = _prepare(seed, tmp_path / "fixed")

    assert main(["fix", "--unsafe-fixes", str(fixed)]) == 0
    assert main(["fix", "--unsafe-fixes", "--diff", str(fixed)]) == 0  # nothing left to do

    before = _run([original.name], original.parent)
    if seed.name in FAILS_AS_WRITTEN:
        assert before.returncode != 0, before.stdout[-2000:]
    after = _run([fixed.name], fixed.parent)
    assert after.returncode == 0, after.stderr[-4000:]

    loads = _run(["-c", LOAD_BACK, str(fixed.parent)], fixed.parent)
    assert loads.returncode == 0, (loads.stdout, loads.stderr[-4000:])

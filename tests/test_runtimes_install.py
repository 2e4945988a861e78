"""A real `migrator runtimes install` from an empty cache, then a conversion that uses it.

tf215 (tf.keras 2.15, the runtime of Keras 2 sources) is installed by the CLI into a temporary
cache through the configured index, with uv (the test env has it: the `test` extra); a Keras 2
`.h5` of the corpus is then converted with the newest runtime (tox's tf221, named by
`MIGRATOR_RUNTIME_TF221`) and the managed tf215, and the `.keras` it writes is loaded and run by
plain Keras 3 in a fresh process. Then the install is damaged in two ways (marker gone,
TensorFlow's metadata gone) and must not be used. Last, the same line is installed again on a
PATH without uv: venv + pip make it, with the same pins.

Runs in tox's tf221 env (`latest`), which sets the MIGRATOR_RUNTIME_* variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.convert import managed
from migrator.knowledge import tf_lines
from tests.test_runtimes import path_without_uv, uv_executable

pytestmark = [pytest.mark.tf, pytest.mark.latest]

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "corpus" / "generated" / "tf215" / "keras" / "functional" / "save-h5" / "model.h5"


def _cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "migrator.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    newest = os.environ.get("MIGRATOR_RUNTIME_TF221")
    if not newest:
        pytest.skip("MIGRATOR_RUNTIME_TF221 is not set (tox -e tf221 sets it)")
    uv = uv_executable()
    assert uv is not None, "uv is missing from the test env (it is in the `test` extra)"
    cache = tmp_path_factory.mktemp("managed") / "runtimes"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATOR_RUNTIME_")}
    env.update(
        {
            "MIGRATOR_RUNTIME_TF221": newest,
            managed.ENV_DIR: str(cache),
            "PYTHONPATH": str(REPO),
            "PATH": os.pathsep.join([str(Path(uv).parent), path_without_uv()]),
        }
    )
    before = _cli(env, "runtimes", "path", "tf215")
    assert before.returncode == 2 and "migrator runtimes install tf215" in before.stderr
    done = _cli(env, "runtimes", "install", "tf215", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "tf215: creating the env with uv" in done.stderr
    assert "tf215: installing tensorflow-cpu==2.15.1 with uv" in done.stderr
    assert "tf215: installed in" in done.stderr
    return cache, env


def test_install_from_an_empty_cache(installed: tuple[Path, dict[str, str]]) -> None:
    cache, env = installed
    marker = json.loads((cache / "tf215" / managed.MARKER).read_text(encoding="utf-8"))
    line = tf_lines.by_env("tf215")
    assert marker["versions"]["tensorflow"] == line.tensorflow
    assert marker["versions"]["keras"] == line.keras
    assert marker["tool"] == "uv"
    assert "uv = " in (cache / "tf215" / "pyvenv.cfg").read_text(encoding="utf-8")  # uv made it
    assert [p.name for p in cache.iterdir()] == ["tf215"]  # no partial build left
    path = _cli(env, "runtimes", "path", "tf215")
    assert path.returncode == 0 and path.stdout.strip() == str(managed.interpreter(cache / "tf215"))
    listed = " ".join(_cli(env, "runtimes", "list").stdout.split())
    assert "tensorflow 2.15.1, keras 2.15.0" in listed and "GiB" in listed


def test_convert_with_the_managed_runtime_and_load_in_keras3(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _cache, env = installed
    out = tmp_path / "out"
    done = _cli(env, "convert", str(SOURCE), "-o", str(out), "--json", timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (keras_file,) = out.glob("*/keras/v1/model.keras")
    meta = json.loads((keras_file.parent / "metadata.json").read_text(encoding="utf-8"))
    assert " in tf215 (tensorflow 2.15.1" in meta["validation"]["source_run"]
    probe = (
        "import sys, numpy as np, keras\n"
        "m = keras.models.load_model(sys.argv[1])\n"
        "xs = [np.ones((2,) + tuple(t.shape[1:]), 'float32') for t in m.inputs]\n"
        "y = m.predict(xs, verbose=0)\n"
        "print(keras.__version__, m.compiled_loss is None if hasattr(m, 'compiled_loss') else '',"
        " np.asarray(y).shape)\n"
    )
    loaded = subprocess.run(
        [env["MIGRATOR_RUNTIME_TF221"], "-c", probe, str(keras_file)],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in env.items() if k != "PYTHONPATH"},
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split()[0].startswith("3.")


def test_a_damaged_install_is_not_used(installed: tuple[Path, dict[str, str]]) -> None:
    cache, env = installed
    root = cache / "tf215"
    (dist,) = root.glob("lib/python*/site-packages/tensorflow_cpu-*.dist-info")
    hidden = dist.with_name(dist.name + ".hidden")
    dist.rename(hidden)  # TensorFlow's metadata gone: the probe no longer finds it
    try:
        broken = _cli(env, "runtimes", "path", "tf215")
        assert broken.returncode == 2 and "not available" in broken.stderr
    finally:
        hidden.rename(dist)
    marker = root / managed.MARKER
    saved = marker.read_bytes()
    marker.unlink()  # as if the install had been killed before its last write
    try:
        assert _cli(env, "runtimes", "path", "tf215").returncode == 2
        listed = _cli(env, "runtimes", "list").stdout
        assert "no completion marker" in " ".join(listed.split())
    finally:
        marker.write_bytes(saved)
    assert _cli(env, "runtimes", "path", "tf215").returncode == 0


def test_without_uv_venv_and_pip_install_the_same_pins(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _cache, env = installed
    cache = tmp_path / "runtimes"
    env = {**env, managed.ENV_DIR: str(cache), "PATH": path_without_uv()}
    done = _cli(env, "runtimes", "install", "tf215", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "tf215: creating the env with venv" in done.stderr
    assert "tf215: installing tensorflow-cpu==2.15.1 with pip" in done.stderr
    marker = json.loads((cache / "tf215" / managed.MARKER).read_text(encoding="utf-8"))
    assert marker["tool"] == "pip"
    assert marker["versions"]["tensorflow"] == tf_lines.by_env("tf215").tensorflow
    assert "uv = " not in (cache / "tf215" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert _cli(env, "runtimes", "path", "tf215").stdout.strip() == str(
        managed.interpreter(cache / "tf215")
    )

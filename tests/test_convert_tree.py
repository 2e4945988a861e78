"""Whole-tree conversion with real runtimes (tox `tf221`): killed and resumed, parallel, complete.

- A batch is SIGKILLed (its whole process group) while it converts; the rerun converts exactly
  what was left, every source ends with one version, and no partial or empty version folder nor
  staging folder stays behind.
- `--jobs 2` publishes the same versions and files as `--jobs 1`.
- Every artifact of the generated corpus (every runtime's tree) converts and validates, is
  skipped (already current, weights without an architecture, a tf.train.Checkpoint, needing the
  user's classes) or is a Lambda refusal: no other failure (issue 9).
- A tf.keras 2.12 `save_format="keras_v3"` archive, written by the tf212 runtime, converts.
- A tf.keras 2.13 Functional `.keras` is validated by tf.keras 2.12 from its stored config, a
  2.14 one by tf.keras 2.15 (without it, tf_keras) from its config and its weights renamed to
  the `layers/` layout; a source no installed runtime can run fails in one line that says what
  each runtime answered and where it loads.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from migrator.convert import Options
from migrator.convert import ledger as ld
from migrator.convert import publish as pub
from migrator.convert.tree import convert_path
from tests.conftest import REPO

pytestmark = [pytest.mark.tf, pytest.mark.latest]

GENERATED = Path(os.environ.get("MIGRATOR_CORPUS_GENERATED", REPO / "corpus" / "generated"))
# Small convertible models from three TF lines (Keras 2 HDF5, tf_keras HDF5, a Keras SavedModel).
TREE_SOURCES = (
    "tf212/keras/sequential/save-h5/model.h5",
    "tf212/keras/functional/save-dir/model",
    "tf215/keras/sequential/save-h5/model.h5",
    "tf215/keras/functional/save-h5/model.h5",
    "tf215/keras/recurrent/save-h5/model.h5",
    "tf216/tf_keras/sequential/save-h5/model.h5",
    "tf221/tf_keras/functional/save-h5/model.h5",
)


@pytest.fixture(autouse=True, scope="module")
def _latest_env_only() -> None:
    from migrator.convert import runtimes

    try:
        latest = runtimes.latest()
    except Exception:
        pytest.skip("the conversion tests run under the latest TF env (tox -e tf221)")
    here = runtimes.current()
    if here is None or not here.has_keras3 or here.tf_line < latest.tf_line:
        pytest.skip("the conversion tests run under the latest TF env (tox -e tf221)")


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for rel in TREE_SOURCES:
        src = GENERATED / rel
        if not src.exists():
            pytest.skip(f"{src} not generated; run the corpus generators first")
        dest = tree / rel.replace("/", "_", 3)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest)
        else:
            shutil.copy2(src, dest)
    return tree


def _versions(out: Path) -> dict[str, list[str]]:
    """{model/format folder: [version folder names]} of everything published under OUT."""
    found: dict[str, list[str]] = {}
    for meta in out.rglob("metadata.json"):
        version = meta.parent
        if pub.STAGING in version.parts:
            continue
        found.setdefault(version.parent.relative_to(out).as_posix(), []).append(version.name)
    return {k: sorted(v) for k, v in sorted(found.items())}


def _no_partial_versions(out: Path) -> None:
    for folder in out.rglob("v*"):
        if folder.is_dir() and folder.name[1:].isdigit():
            assert (folder / "metadata.json").is_file(), f"partial version {folder}"
    staging = out / pub.STAGING
    assert not staging.exists() or not any(staging.iterdir()), list(staging.iterdir())


def _cli(tree: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return subprocess.Popen(
        [sys.executable, "-m", "migrator", "convert", str(tree), "-o", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: the kill below is the whole group's
    )


def test_a_batch_killed_mid_way_resumes_and_converts_each_source_once(tmp_path):
    tree, out = _tree(tmp_path), tmp_path / "out"
    proc = _cli(tree, out, "--jobs", "2")
    deadline = time.monotonic() + 600
    try:
        while not _versions(out) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert _versions(out), "nothing was published within 10 minutes"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    done_before = _versions(out)
    assert len(done_before) < len(TREE_SOURCES)  # killed mid-way
    status = ld.summary(out)
    assert status["counts"]["converted"] < len(TREE_SOURCES)

    report = convert_path(tree, out, Options(), jobs=2)
    outcomes = {o.path: o for o in report.outcomes}
    assert len(outcomes) == len(TREE_SOURCES)
    assert all(o.status in ("converted", "skipped") for o in outcomes.values()), [
        (o.path, o.reason) for o in outcomes.values() if o.status == "failed"
    ]
    redone = [o for o in outcomes.values() if o.status == "converted"]
    assert redone, "the rerun converted nothing"
    for outcome in outcomes.values():
        if outcome.status == "skipped":  # finished before the kill: reported, not redone
            assert "already converted" in outcome.reason
    versions = _versions(out)
    assert len(versions) == len(TREE_SOURCES)
    assert all(v == ["v1"] for v in versions.values()), versions  # each source converted once
    _no_partial_versions(out)
    after = ld.summary(out)
    assert after["counts"]["running"] == 0
    assert after["counts"]["converted"] == len(TREE_SOURCES)


def _published(out: Path) -> dict[str, dict]:
    """Everything published, `created_at` aside (and payload hashes: `.keras` zips record their
    save time inside)."""
    result = {}
    for meta in sorted(out.rglob("metadata.json")):
        if pub.STAGING in meta.parts:
            continue
        data = json.loads(meta.read_text())
        data.pop("created_at")
        for entry in data["files"]:
            entry.pop("sha256")
            entry.pop("bytes")
        data["source"].pop("path")
        result[meta.parent.relative_to(out).as_posix()] = data
    return result


def _fork_servers_of_this_process() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read()
        except OSError:
            continue
        if parent == os.getpid() and b"migrator.convert.forkserver" in argv:
            found.append(int(entry))
    return found


def test_a_rerun_with_nothing_left_to_convert_leaves_no_runtime_running(tmp_path):
    """A batch starts its runtimes in the background before it knows what the ledger says is
    done; a rerun that finds everything done makes no converter, and the runtimes it started
    are stopped with the batch (they were left running until the process ended)."""
    tree = _tree(tmp_path)
    first = convert_path(tree, tmp_path / "out", Options())
    assert {o.status for o in first.outcomes} == {"converted"}
    before = set(_fork_servers_of_this_process())
    again = convert_path(tree, tmp_path / "out", Options())
    assert all(o.reason.startswith("already converted") for o in again.outcomes)
    deadline = time.monotonic() + 1.0  # nor started late, by the start still in flight
    while time.monotonic() < deadline:
        assert set(_fork_servers_of_this_process()) <= before
        time.sleep(0.1)


def test_jobs_2_publishes_what_jobs_1_publishes(tmp_path):
    tree = _tree(tmp_path)
    one = convert_path(tree, tmp_path / "one", Options(), jobs=1)
    two = convert_path(tree, tmp_path / "two", Options(), jobs=2)
    assert [(o.path, o.status) for o in one.outcomes] == [(o.path, o.status) for o in two.outcomes]
    assert all(o.status == "converted" for o in one.outcomes), [
        (o.path, o.reason) for o in one.outcomes
    ]
    assert _published(tmp_path / "one") == _published(tmp_path / "two")


SKIP_REASONS = (
    "already a",  # TF2 SavedModel with serving_default, Keras 3 .keras
    "weights only",
    "tf.train.Checkpoint",
    "custom class",
    "uses class",
    "subclassed",
)


def test_every_generated_artifact_converts_or_is_skipped_or_is_a_lambda_refusal(tmp_path):
    """Every runtime's tree (the four CI lines', the other TF lines' and the Keras overlays'),
    with the four CI lines' runtimes: conversions, skips and Lambda refusals, nothing else."""
    envs = sorted(p for p in GENERATED.glob("tf*") if (p / "generated.json").is_file())
    if not envs:
        pytest.skip(f"no generated corpus under {GENERATED}")
    outcomes = []
    for env in envs:
        report = convert_path(env, tmp_path / "out" / env.name, Options(), jobs=2)
        assert not report.errors
        outcomes += [replace(o, path=f"{env.name}/{o.path}") for o in report.outcomes]
    wrong = []
    for outcome in outcomes:
        if outcome.status == "converted":
            continue
        if outcome.status == "skipped" and any(r in outcome.reason for r in SKIP_REASONS):
            continue
        if outcome.status == "failed" and outcome.reason.startswith("refused: Lambda layer"):
            continue
        wrong.append(f"{outcome.path}: {outcome.status}: {outcome.reason}")
    assert not wrong, "\n".join(wrong)
    converted = {o.path.split("/")[0] for o in outcomes if o.status == "converted"}
    assert converted == {env.name for env in envs}  # every runtime's tree converts some


def _convert_generated(relative: str, tmp_path: Path):
    """The one outcome of converting a generated artifact (skips when the corpus lacks it)."""
    src = GENERATED / relative
    if not src.is_file():
        pytest.skip(f"no {src}")
    (outcome,) = convert_path(src, tmp_path / "out", Options()).outcomes
    return outcome


def test_a_tf214_keras_archive_with_compact_layer_numbering_converts(tmp_path):
    """tf.keras 2.14 wrote the 2.12 layout but numbered a class's second layer `dense_1`
    (2.12-2.13: `dense_2`): the step used to look for the gapped names and refuse the file."""
    outcome = _convert_generated("tf214/keras/sequential/save-keras/model.keras", tmp_path)
    assert outcome.status == "converted", outcome.reason
    assert outcome.kind == "tf212-keras-v3"
    (output,) = outcome.outputs
    assert output["weights_compared"] >= 4 and output["max_abs_diff"] <= 1e-5


def test_a_tf214_functional_keras_archive_converts_validated_by_tf215_reading_its_layout(
    tmp_path,
):
    """tf.keras 2.14's Functional config names keras.src.engine.functional (Keras 3 cannot
    import it) and its weights sit under `_layer_checkpoint_dependencies/` (2.15 walks
    `layers/`): only tf.keras 2.14 loads it, and it is not a runtime migrator runs. tf.keras
    2.15 builds it from the stored config and its own load_weights walks the weights renamed to
    `layers/`, numbering as 2.14 did: the conversion is proven by Keras's walk, not the step's."""
    from migrator.convert import runtimes

    if runtimes.find("tf215") is None:
        pytest.skip("no tf215 runtime (MIGRATOR_RUNTIME_TF215)")
    outcome = _convert_generated("tf214/keras/functional/save-keras/model.keras", tmp_path)
    assert outcome.status == "converted", outcome.reason
    (output,) = outcome.outputs
    assert output["weights_compared"] >= 4 and output["max_abs_diff"] <= 1e-5
    assert "2.14 layout renamed to layers/" in output["source_run"]
    assert "keras 2.15" in output["source_run"]


def test_without_tf_keras_2_15_tf_keras_reads_the_renamed_layout(tmp_path, monkeypatch):
    """A user who installed only the newest runtimes (tf.keras 2.15 absent: its env variable
    names no interpreter, the managed cache is empty) still converts a tf.keras 2.14 Functional
    archive: tf_keras, 2.15's successor, builds the config and reads the renamed weights."""
    monkeypatch.setenv("MIGRATOR_RUNTIME_TF215", str(tmp_path / "no-such-python"))
    monkeypatch.setenv("MIGRATOR_RUNTIMES_DIR", str(tmp_path / "empty-cache"))
    outcome = _convert_generated("tf214/keras/functional/save-keras/model.keras", tmp_path)
    assert outcome.status == "converted", outcome.reason
    (output,) = outcome.outputs
    assert output["source_run"].startswith("tf_keras model_from_json + load_weights (2.14 layout")
    assert output["weights_compared"] >= 4 and output["max_abs_diff"] <= 1e-5


def _with_both_layouts(src: Path, dest: Path) -> Path:
    """`src` (a 2.14 archive) with an empty `layers` group added beside its
    `_layer_checkpoint_dependencies`: every runtime's reading of it is refused."""
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(src) as archive:
        weights = io.BytesIO(archive.read("model.weights.h5"))
        with h5py.File(weights, "r+") as h5:
            h5.create_group("layers")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dest, "w") as out:
            for item in archive.infolist():
                data = archive.read(item.filename)
                out.writestr(item, weights.getvalue() if item.filename.endswith(".h5") else data)
    return dest


def test_a_source_no_installed_runtime_can_run_says_where_it_loads_not_internal_error(tmp_path):
    """A tf.keras 2.14 Functional archive whose weights file holds both layouts loads in no
    installed runtime (Keras 3 cannot import its config's class module, and the renamed reading
    refuses to merge the layouts): the conversion cannot be proven. Each attempt used to read
    "internal error in preload_keras: TypeError ..." followed by the whole model config; it now
    says what each runtime answered, in one line, and where the verdicts say it loads."""
    src = GENERATED / "tf214/keras/functional/save-keras/model.keras"
    if not src.is_file():
        pytest.skip(f"no {src}")
    both = _with_both_layouts(src, tmp_path / "src" / "model.keras")
    before = both.read_bytes()
    (outcome,) = convert_path(both, tmp_path / "out", Options()).outcomes
    assert both.read_bytes() == before  # read, never renamed in place
    assert outcome.status == "failed"
    assert "internal error" not in outcome.reason
    assert "could not be run in any installed runtime" in outcome.reason
    assert (
        "could not load it (TypeError: Could not deserialize class 'Functional'" in outcome.reason
    )
    assert "are both in the weights file" in outcome.reason
    assert "keras.load_model: tf.keras 2.14" in outcome.reason
    assert "model.save('model.h5')" in outcome.reason
    assert "\n" not in outcome.reason and '"config"' not in outcome.reason  # no model config
    assert not list((tmp_path / "out").rglob("metadata.json"))  # nothing published


def test_a_tf213_functional_keras_archive_converts_validated_by_its_own_config(tmp_path):
    """tf.keras 2.13's Functional config names keras.src.engine.functional: no other release's
    load_model imports it, and tf.keras 2.13 is not a runtime migrator runs. tf.keras 2.12
    builds it from the stored config and reads the archive's weights (same numbering), which
    proves the conversion independently of migrator's own reading."""
    outcome = _convert_generated("tf213/keras/functional/save-keras/model.keras", tmp_path)
    assert outcome.status == "converted", outcome.reason
    (output,) = outcome.outputs
    assert output["weights_compared"] >= 4 and output["max_abs_diff"] <= 1e-5
    assert "tf.keras 2.12 model_from_json + load_weights" in output["source_run"]


def test_a_tf212_keras_v3_archive_converts(tmp_path):
    from migrator.convert import runtimes

    tf212 = runtimes.find("tf212")
    if tf212 is None:
        pytest.skip("no tf212 runtime (MIGRATOR_RUNTIME_TF212)")
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        "L = tf.keras.layers\n"
        "i = L.Input((5, 3)); x = L.Bidirectional(L.LSTM(4, return_sequences=True))(i)\n"
        "x = L.BatchNormalization()(L.GRU(3)(x)); j = L.Input((2,))\n"
        "m = tf.keras.Model([i, j], L.Dense(1)(L.Concatenate()([L.Dense(4)(x), j])))\n"
        "m.compile('adam', 'mse')\n"
        "m.fit([np.random.rand(8, 5, 3), np.random.rand(8, 2)], np.ones((8, 1)), verbose=0)\n"
        "m.save(sys.argv[1], save_format='keras_v3')\n"
    )
    src = tmp_path / "m.keras"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1"}
    env.pop("PYTHONPATH", None)
    subprocess.run([str(tf212.python), "-c", script, str(src)], check=True, env=env, timeout=600)
    report = convert_path(src, tmp_path / "out", Options())
    (outcome,) = report.outcomes
    assert outcome.status == "converted", outcome.reason
    assert outcome.kind == "tf212-keras-v3"
    (output,) = outcome.outputs
    assert output["weights_compared"] >= 10 and output["max_abs_diff"] <= 1e-5
    assert "tf.keras 2.12" in output["source_run"]
    meta = json.loads((Path(output["path"]) / "metadata.json").read_text())
    assert meta["conversion"]["training_config"]  # kept: the user re-compiles from it

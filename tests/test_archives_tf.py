"""Converting archives with the real runtimes: extract safely, convert, and `--repack` into the
layout SageMaker's TensorFlow Serving container documents (`model.tar.gz` holding the version
folder `1/` with `saved_model.pb` + `variables/`, and `code/inference.py` + `requirements.txt`).

The source tarball packs the SavedModel tf.keras 2.15.1 wrote into `corpus/generated` (converted
in the tf215 runtime, validated in tf221); the repacked tarball is extracted and served with
`tf.saved_model.load` here, and its outputs are compared with the source's.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from migrator.cli import main
from tests.conftest import REPO
from tests.test_convert_tf import _in_latest_env

pytestmark = [pytest.mark.tf, pytest.mark.latest]

SOURCE = REPO / "corpus" / "generated" / "tf215" / "keras" / "functional" / "save-dir" / "model"
INFERENCE = b"def input_handler(data, context):\n    return data\n"


@pytest.fixture(autouse=True, scope="module")
def _latest_env_only() -> None:
    if not _in_latest_env():
        pytest.skip("the conversion tests run under the latest TF env (tox -e tf221)")


def sagemaker_tarball(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.add(SOURCE, arcname="1")
        for name, data in (("code/inference.py", INFERENCE), ("code/requirements.txt", b"numpy\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def serve(folder: Path, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import tensorflow as tf

    fn = tf.saved_model.load(str(folder)).signatures["serving_default"]
    return {k: v.numpy() for k, v in fn(**{n: tf.constant(x) for n, x in inputs.items()}).items()}


def sample_inputs() -> dict[str, np.ndarray]:
    """Fixed inputs for every input of the source's serving_default signature."""
    import tensorflow as tf

    fn = tf.saved_model.load(str(SOURCE)).signatures["serving_default"]
    rng = np.random.default_rng(0)
    return {
        name: rng.normal(size=(2, *(d or 1 for d in spec.shape[1:]))).astype(spec.dtype.name)
        for name, spec in fn.structured_input_signature[1].items()
    }


def convert(*args: str) -> tuple[int, dict]:
    import contextlib

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["convert", *args, "--json"])
    return code, json.loads(buffer.getvalue())


def test_repack_writes_the_sagemaker_layout_and_serves_the_same_outputs(tmp_path: Path) -> None:
    archive = sagemaker_tarball(tmp_path / "model.tar.gz")
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    out = tmp_path / "out"
    code, report = convert(str(archive), "-o", str(out), "--to", "saved-model", "--repack")
    assert code == 0, report
    paths = {o["path"]: o for o in report["converted"]}
    assert set(paths) == {"model.tar.gz", "model.tar.gz!/1"}
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before  # source untouched
    assert not (out / ".migrator-archives").exists()  # the extraction is gone
    tarball = out / "model" / "tarball" / "v1" / "model.tar.gz"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        assert {"1/saved_model.pb", "1/variables/variables.index"} <= names
        assert {"code/inference.py", "code/requirements.txt"} <= names
        assert all(m.isfile() for m in tar.getmembers())  # no links, no absolute names
        tar.extractall(tmp_path / "served", filter="data")
    assert (tmp_path / "served" / "code" / "inference.py").read_bytes() == INFERENCE
    meta = json.loads((tarball.parent / "metadata.json").read_text())
    assert meta["versions"] == ["1"] and meta["source"] == {"archive": "model.tar.gz"}

    inputs = sample_inputs()
    served, source = serve(tmp_path / "served" / "1", inputs), serve(SOURCE, inputs)
    # the converter's export names outputs output_<i> (metadata.json records the mapping)
    assert len(served) == len(source) == 1
    np.testing.assert_allclose(*served.values(), *source.values(), atol=1e-5)

    # a second run into the same OUT: the ledger knows it; no new version of anything
    code, again = convert(str(archive), "-o", str(out), "--to", "saved-model", "--repack")
    assert code == 0, again
    assert not (out / "model" / "savedmodel" / "v2").exists()


def test_repack_without_a_savedmodel_output_says_what_to_ask(tmp_path: Path) -> None:
    archive = sagemaker_tarball(tmp_path / "model.tar.gz")
    code, report = convert(str(archive), "-o", str(tmp_path / "out"), "--to", "keras", "--repack")
    skipped = {o["path"]: o for o in report["skipped"]}
    assert "--to saved-model --repack" in skipped["model.tar.gz"]["reason"]
    assert {o["path"] for o in report["converted"]} == {"model.tar.gz!/1"}


def test_hostile_archive_is_one_error_and_nothing_is_written_outside(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    with tarfile.open(store / "evil.tar.gz", "w:gz") as tar:
        data = b"x"
        info = tarfile.TarInfo("../escaped.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(SOURCE, arcname="1")
    sagemaker_tarball(store / "good.tar.gz")
    code, report = convert(str(store), "-o", str(tmp_path / "out"), "--to", "saved-model")
    assert code != 0
    assert not (tmp_path / "escaped.txt").exists() and not (store.parent / "escaped.txt").exists()
    (error,) = [e for e in report["errors"] if e.startswith("evil.tar.gz")]
    assert "unsafe to extract" in error and "\n" not in error
    assert {o["path"] for o in report["converted"]} == {"good.tar.gz!/1"}
    # in a tree, under the archive's own file name (no "!" in a folder name)
    (done,) = report["converted"]
    assert done["outputs"][0]["path"] == str(tmp_path / "out" / "good.tar.gz" / "savedmodel" / "v1")

"""Conversion from a store fetches only what a runtime loads, one artifact at a time.

fsspec's in-memory filesystem is a real store driver; a subclass counts, per object, the whole
downloads (`get_file`, what staging does) apart from the ranged reads (`cat_file`, what the
audit's readers do). No TensorFlow runtime is configured, so the one convertible model really
goes to the converter, is fetched, fails quickly for want of a runtime, and is deleted: enough to
see what is downloaded, when, and what is left on disk. The same over S3's HTTP API with real
runtimes: tests/test_storage_s3_convert.py.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

fsspec = pytest.importorskip("fsspec", reason="fsspec is installed by the test extra")
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from migrator.convert import Options  # noqa: E402
from migrator.convert.tree import convert_path  # noqa: E402
from migrator.storage import location  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "generated"
SEED = {
    "current/model.keras": CORPUS / "tf221/keras/sequential/save-keras/model.keras",
    "lambda/model.h5": CORPUS / "tf215/keras/lambda/save-h5/model.h5",
    "custom/model.keras": CORPUS / "tf215/keras/custom/save-keras/model.keras",
    "legacy/model.h5": CORPUS / "tf215/keras/sequential/save-h5/model.h5",
    "weights/model.weights.h5": CORPUS / "tf215/keras/sequential/weights-weights-h5"
    / "model.weights.h5",
}  # fmt: skip


class FetchCounting(MemoryFileSystem):
    """The in-memory store, counting whole-object downloads per key."""

    protocol = "fetchmem"
    fetched: Counter[str] = Counter()
    seen_staged: list[list[str]] = []

    def get_file(self, rpath: str, lpath: str, *args: Any, **kwargs: Any) -> None:
        FetchCounting.fetched[self._strip_protocol(rpath)] += 1
        super().get_file(rpath, lpath, *args, **kwargs)


fsspec.register_implementation("fetchmem", FetchCounting, clobber=True)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    if not all(p.is_file() for p in SEED.values()):
        pytest.skip("generated corpus not present")
    for name in list(os.environ):
        if name.startswith("MIGRATOR_RUNTIME"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("MIGRATOR_STORE_CACHE", str(tmp_path / "cache"))
    fs = fsspec.filesystem("fetchmem")
    bucket = f"/stage-{tmp_path.name}"
    for rel, path in SEED.items():
        fs.pipe_file(f"{bucket}/models/{rel}", path.read_bytes())
    FetchCounting.fetched.clear()
    return f"fetchmem://{bucket.strip('/')}/models"


def _staged_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_only_the_converted_artifact_is_fetched_and_nothing_stays(
    store: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    report = convert_path(location(store), out, Options(read_jobs=0))
    status = {o.path: (o.status, o.reason) for o in report.outcomes}
    assert status["current/model.keras"][0] == "skipped"  # already current
    assert "Lambda" in status["lambda/model.h5"][1]
    assert "custom classes" in status["custom/model.keras"][1]
    assert "weights only" in status["weights/model.weights.h5"][1]  # no architecture beside
    assert status["legacy/model.h5"][0] == "failed"  # no runtime here: it did reach one
    bucket = store.split("://")[1]
    assert FetchCounting.fetched == Counter({f"/{bucket}/legacy/model.h5": 1})
    assert _staged_files(tmp_path) == []  # deleted after its conversion, the run folder too
    assert not list((tmp_path / "cache" / "src").iterdir())

    FetchCounting.fetched.clear()
    again = convert_path(location(store), out, Options(read_jobs=0))
    assert {o.path: o.status for o in again.outcomes}["legacy/model.h5"] == "failed"
    assert not FetchCounting.fetched  # the ledger knew it from the store's record: no download
    retried = convert_path(location(store), out, Options(read_jobs=0), retry_failed=True)
    assert {o.path: o.status for o in retried.outcomes}["legacy/model.h5"] == "failed"
    assert FetchCounting.fetched == Counter({f"/{bucket}/legacy/model.h5": 1})


def test_a_rewritten_object_is_converted_again(store: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert_path(location(store), out, Options(read_jobs=0))
    fs = fsspec.filesystem("fetchmem")
    bucket = store.split("://")[1]
    data = fs.cat_file(f"/{bucket}/legacy/model.h5")
    fs.rm_file(f"/{bucket}/legacy/model.h5")
    fs.pipe_file(f"/{bucket}/legacy/model.h5", data)  # same bytes, a new object
    FetchCounting.fetched.clear()
    from migrator.storage.store import forget

    forget("fetchmem")
    convert_path(location(store), out, Options(read_jobs=0))
    assert FetchCounting.fetched == Counter({f"/{bucket}/legacy/model.h5": 1})


def test_a_source_the_store_refuses_is_one_line_and_redone_next_run(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Any, rpath: str, lpath: str, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Access Denied")

    monkeypatch.setattr(FetchCounting, "get_file", refuse)
    report = convert_path(location(store), tmp_path / "out", Options(read_jobs=0))
    legacy = {o.path: o for o in report.outcomes}["legacy/model.h5"]
    assert legacy.status == "failed"
    assert legacy.reason.startswith(f"{store}/legacy/model.h5: cannot be copied from the store")
    assert legacy.reason.endswith("check access to it and rerun")
    assert _staged_files(tmp_path) == []  # no partial copy left
    monkeypatch.undo()
    monkeypatch.setenv("MIGRATOR_STORE_CACHE", str(tmp_path / "cache"))
    FetchCounting.fetched.clear()
    convert_path(location(store), tmp_path / "out", Options(read_jobs=0))
    assert sum(FetchCounting.fetched.values()) == 1  # left unfinished: redone without asking


def test_an_mlflow_folder_is_fetched_whole_for_its_conversion(store: str, tmp_path: Path) -> None:
    folder = CORPUS.parent / "mlflow" / "mlflow130_keras_h5"
    if not folder.is_dir():
        pytest.skip("MLflow corpus not present")
    fs = fsspec.filesystem("fetchmem")
    bucket = store.split("://")[1]
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for name in names:
        fs.pipe_file(f"/{bucket}/run/{name}", (folder / name).read_bytes())
    report = convert_path(location(f"{store}/run"), tmp_path / "out", Options(read_jobs=0))
    assert {o.path: o.status for o in report.outcomes}["."] == "failed"  # reached the runtimes
    # The folder's every object (MLmodel, environment files, the model), each once: the step
    # that puts the converted model back copies the folder.
    assert FetchCounting.fetched == Counter({f"/{bucket}/run/{name}": 1 for name in names})
    assert _staged_files(tmp_path) == []


def test_an_architecture_two_weights_files_share_is_fetched_for_each_and_then_deleted(
    store: str, tmp_path: Path
) -> None:
    legacy = CORPUS.parent / "legacy"
    if not (legacy / "k122_theano_merge.json").is_file():
        pytest.skip("legacy corpus not present")
    fs = fsspec.filesystem("fetchmem")
    bucket = store.split("://")[1]
    fs.pipe_file(f"/{bucket}/pair/merge.json", (legacy / "k122_theano_merge.json").read_bytes())
    weights = (legacy / "k122_theano_merge_weights.h5").read_bytes()
    for name in ("a_weights.h5", "b_weights.h5"):
        fs.pipe_file(f"/{bucket}/pair/{name}", weights)
    report = convert_path(location(f"{store}/pair"), tmp_path / "out", Options(read_jobs=0), jobs=2)
    status = {o.path: o.status for o in report.outcomes}
    assert status == {"a_weights.h5": "failed", "b_weights.h5": "failed", "merge.json": "skipped"}
    fetched = FetchCounting.fetched
    assert fetched[f"/{bucket}/pair/a_weights.h5"] == fetched[f"/{bucket}/pair/b_weights.h5"] == 1
    assert 1 <= fetched[f"/{bucket}/pair/merge.json"] <= 2  # shared while both convert
    assert _staged_files(tmp_path) == []

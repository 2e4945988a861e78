"""Loading the source ahead with real runtimes (tox `tf221`, with the tf215 runtime available):
the model a worker loaded during the conversion step is the one its source run uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.convert import Options, runtimes, worker_client
from migrator.convert.pipeline import Converter, classify
from migrator.convert.runtime_pool import Pool
from tests.test_convert_tf import GENERATED, _in_latest_env

pytestmark = [pytest.mark.tf, pytest.mark.latest]

SOURCE = GENERATED / "tf215" / "keras" / "functional" / "save-h5" / "model.h5"


@pytest.fixture(scope="module")
def tf215() -> runtimes.Runtime:
    if not _in_latest_env():
        pytest.skip("runs under the latest TF env (tox -e tf221)")
    found = [r for r in runtimes.available() if r.tf_line == (2, 15)]
    if not found:
        pytest.skip("needs the tf215 runtime (MIGRATOR_RUNTIME_TF215)")
    return found[0]


def _args(path: Path) -> dict:
    return {"path": str(path), "loader": "keras", "flavour": "keras", "custom_objects": []}


def test_a_run_takes_the_model_loaded_ahead_only_when_it_loads_the_same_way(tmp_path, tf215):
    with Pool() as pool, pool.lease(tf215) as worker:
        key = str(tmp_path / "ahead")

        def run(out: str, **changed) -> dict:
            args = {**_args(SOURCE), **changed, "inputs": None, "out": str(tmp_path / out)}
            return worker.call("run_keras", {**args, "preloaded": key}, timeout=300, subject="t")

        assert worker.call("preload_keras", {**_args(SOURCE), "key": key}, timeout=300, subject="t")
        same = run("a")
        assert same["preloaded"] is True
        # taken once: a second run with the same key loads the model itself
        again = run("b")
        assert again["preloaded"] is False
        assert again["weight_digests"] == same["weight_digests"]
        worker.call("preload_keras", {**_args(SOURCE), "key": key}, timeout=300, subject="t")
        other = run("c", theano_flip=True)
        assert other["preloaded"] is False  # loaded otherwise: the kept model is not used


def test_a_conversion_validates_against_the_model_loaded_during_its_step(
    tmp_path, tf215, monkeypatch
):
    calls: list[tuple[str, str, dict]] = []
    call = worker_client.Worker.call

    def observed(self, op, args, **kwargs):  # the real call, recorded
        reply = call(self, op, args, **kwargs)
        calls.append((self.runtime.name, op, reply if isinstance(reply, dict) else {}))
        return reply

    monkeypatch.setattr(worker_client.Worker, "call", observed)
    from migrator.audit import audit

    (artifact,) = audit([SOURCE]).artifacts
    converter = Converter(tmp_path / "out", Options())
    try:
        outcome = converter.convert(classify(artifact, Options()), single=False)
    finally:
        converter.close()
    assert outcome.status == "converted", outcome.reason
    assert "2.15" in outcome.outputs[0]["source_run"]
    ops = [(name, op) for name, op, _ in calls]
    assert (tf215.name, "preload_keras") in ops
    source_runs = [r for name, op, r in calls if name == tf215.name and op == "run_keras"]
    assert [r["preloaded"] for r in source_runs] == [True]

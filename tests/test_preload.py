"""Loading the source ahead, during the conversion step (no TF: the planning and the hold).

The worker side's load is tested with real runtimes in tests/test_preload_tf.py.
"""

from __future__ import annotations

import sys
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.convert import Options, run_results, step_named
from migrator.convert.classify import classify
from migrator.convert.preload import Preload, first_run
from migrator.convert.runtimes import Runtime

GENERATED = Path(__file__).resolve().parents[1] / "corpus" / "generated"
PY = Path(sys.executable)
TF212 = Runtime("tf212", PY, "2.12.1", "2.12.0", None)
TF215 = Runtime("tf215", PY, "2.15.1", "2.15.0", None)
TF221 = Runtime("tf221", PY, "2.21.0", "3.15.1", "2.21.0")
AVAILABLE = [TF212, TF215, TF221]  # oldest first, as runtimes.available() lists them


def _source(relative: str):
    (artifact,) = audit([GENERATED / relative]).artifacts
    return classify(artifact, Options())


def test_a_keras_2_hdf5_is_loaded_ahead_in_its_era_runtime() -> None:
    source = _source("tf215/keras/sequential/save-h5/model.h5")
    run = first_run(AVAILABLE, TF221, source, step_named("h5-to-keras"), Options())
    assert run is not None
    assert run.runtime is TF215 and run.op == "run_keras"
    assert run.args["path"] == str(source.location) and run.args["loader"] == "keras"


def test_a_tf_keras_2_21_hdf5_is_loaded_ahead_where_the_verdicts_say_it_loads() -> None:
    source = _source("tf221/tf_keras/sequential/save-h5/model.h5")
    run = first_run(AVAILABLE, TF221, source, step_named("h5-to-keras"), Options())
    assert run is not None and run.runtime is TF221 and run.args["flavour"] == "tf_keras"


def test_runs_that_need_the_step_s_product_are_not_loaded_ahead() -> None:
    # a TF1 SavedModel runs in a compat.v1 session of the newest runtime, not a Keras load
    source = _source("tf212/tf/linear/builder-tags")
    step = step_named("tf1-savedmodel-to-tf2")
    assert first_run(AVAILABLE, TF221, source, step, Options()) is None


def _preload(run) -> Preload:
    return Preload(run, "k", worker=None, loaded=Future())  # type: ignore[arg-type]


def test_a_preload_serves_only_the_run_it_loaded_for() -> None:
    source = _source("tf215/keras/sequential/save-h5/model.h5")
    run = first_run(AVAILABLE, TF221, source, step_named("h5-to-keras"), Options())
    assert run is not None
    ahead = _preload(run)
    assert ahead.serves(replace(run, label="another label"))
    # what the step reports changes the run: oneDNN for channels-first, a Theano kernel flip
    assert not ahead.serves(replace(run, onednn=True))
    assert not ahead.serves(replace(run, args={**run.args, "theano_flip": True}))
    assert not ahead.serves(replace(run, runtime=TF212))


@pytest.fixture
def empty_holds():
    run_results._KEPT.clear()
    yield
    run_results._KEPT.clear()


def test_a_kept_model_goes_only_to_a_run_that_loads_it_the_same_way(empty_holds) -> None:
    model = object()
    run_results.keep_model("k", "load A", model)
    assert run_results.take_model("k", "load B") is None  # another load: not this model
    assert run_results.take_model("k", "load A") is None  # and the hold ended either way
    run_results.keep_model("k", "load A", model)
    assert run_results.take_model("k", "load A") is model


def test_one_model_is_kept_at_a_time_and_release_drops_it(empty_holds) -> None:
    run_results.keep_model("old", "load", object())
    run_results.keep_model("new", "load", object())  # an abandoned hold does not pile up
    assert list(run_results._KEPT) == ["new"]
    assert run_results.release("new") == {"released": True}
    assert run_results._KEPT == {}
    assert run_results.release("new") == {"released": False}

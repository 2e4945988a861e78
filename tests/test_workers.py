"""Worker isolation: a reader that hangs or dies costs one error line, never the batch.

The suite reads in process (`MIGRATOR_JOBS=0`, set in `tests/conftest.py`); these tests pass
`jobs=` themselves so they always run real forked workers, with deadlines kept short.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import migrator.workers as workers_module
from migrator.audit import audit
from migrator.cli import main
from migrator.errors import UsageError
from migrator.model import Candidate, Reading
from migrator.workers import JOBS_VARIABLE, ReaderPool, default_jobs
from tests.conftest import REPO

DEADLINE = 1.5  # s: far above a fake read in a fresh fork, far below the 3600 s hang


def _fake_read(candidate: Candidate) -> Reading:
    name = candidate.location.name
    if name == "hang":
        time.sleep(3600)
    if name == "die":
        os._exit(3)
    return Reading("keras-h5", producer={"keras_version": name})


def _candidates(*names: str) -> list[Candidate]:
    return [Candidate(Path("/nowhere") / n, n, "hdf5") for n in names]


def test_hanging_and_dying_readers_do_not_stop_the_batch() -> None:
    pool = ReaderPool(_fake_read, jobs=2, timeout=DEADLINE)
    started = time.monotonic()
    results = list(pool.map(_candidates("a", "hang", "b", "die", "c", "d")))
    assert time.monotonic() - started < 60
    assert [c.rel for c, _ in results] == ["a", "hang", "b", "die", "c", "d"]
    by_name = {c.rel: r for c, r in results}
    for ok in ("a", "b", "c", "d"):
        assert by_name[ok].producer == {"keras_version": ok}
        assert not by_name[ok].errors
    (hang_error,) = by_name["hang"].errors
    assert f"took longer than {DEADLINE:g} s" in hang_error and "\n" not in hang_error
    (die_error,) = by_name["die"].errors
    assert "died (exit code 3)" in die_error


def test_single_worker_keeps_order_after_restarts() -> None:
    pool = ReaderPool(_fake_read, jobs=1, timeout=DEADLINE)
    results = list(pool.map(_candidates("die", "x", "hang", "y")))
    assert [c.rel for c, _ in results] == ["die", "x", "hang", "y"]
    assert [bool(r.errors) for _, r in results] == [True, False, True, False]


def test_hdf5_that_hangs_libhdf5_is_stopped(tmp_path: Path) -> None:
    """A real corrupted file on which libhdf5 loops forever inside C code (found by fuzzing)."""
    source = REPO / "corpus" / "legacy" / "k208_theano_cnn.h5"
    data = bytearray(source.read_bytes())
    assert data[3888] == 0xD8  # the byte the reproducer changes: the corpus file is as expected
    data[3888] = 0x35
    (tmp_path / "hangs.h5").write_bytes(bytes(data))
    shutil.copyfile(source, tmp_path / "fine.h5")
    started = time.monotonic()
    report = audit([tmp_path], jobs=2, timeout=3)
    assert time.monotonic() - started < 60
    by_path = {a.path: a for a in report.artifacts}
    assert by_path["fine.h5"].format == "keras-h5" and not by_path["fine.h5"].errors
    errors = by_path["hangs.h5"].errors
    assert len(errors) == 1, errors
    assert errors[0].startswith("reading took longer than 3 s and was stopped")


# --- the MIGRATOR_JOBS setting: how many workers an audit starts when the caller does not say


def test_jobs_setting_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(JOBS_VARIABLE, raising=False)
    assert 1 <= default_jobs() <= 4 and default_jobs() <= (os.cpu_count() or 1)
    for value, jobs in (("0", 0), ("3", 3), (" 2 ", 2)):
        monkeypatch.setenv(JOBS_VARIABLE, value)
        assert default_jobs() == jobs, value
    monkeypatch.setenv(JOBS_VARIABLE, "")
    assert 1 <= default_jobs() <= 4  # empty counts as unset
    for bad in ("many", "-1", "1.5"):
        monkeypatch.setenv(JOBS_VARIABLE, bad)
        with pytest.raises(UsageError, match=JOBS_VARIABLE):
            default_jobs()


def _h5(tmp_path: Path) -> Path:
    shutil.copyfile(REPO / "corpus" / "legacy" / "k208_theano_cnn.h5", tmp_path / "fine.h5")
    return tmp_path


def test_jobs_setting_zero_reads_in_this_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("MIGRATOR_JOBS=0 must not start reader workers")

    monkeypatch.setenv(JOBS_VARIABLE, "0")
    monkeypatch.setattr(workers_module, "ReaderPool", no_pool)  # the local backend's pool
    (artifact,) = audit([_h5(tmp_path)]).artifacts
    assert artifact.format == "keras-h5" and not artifact.errors


def test_jobs_setting_n_starts_n_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[int] = []

    class CountingPool(ReaderPool):
        def __init__(
            self, read: Callable[[Candidate], Reading], jobs: int, timeout: float, **kw: Any
        ) -> None:
            started.append(jobs)
            super().__init__(read, jobs, timeout, **kw)

    monkeypatch.setenv(JOBS_VARIABLE, "2")
    monkeypatch.setattr(workers_module, "ReaderPool", CountingPool)
    (artifact,) = audit([_h5(tmp_path)]).artifacts
    assert started == [2] and artifact.format == "keras-h5" and not artifact.errors


def test_bad_jobs_setting_is_one_line_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, "all")
    assert main(["audit", str(_h5(tmp_path))]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("migrator: ") and JOBS_VARIABLE in err and "\n" not in err

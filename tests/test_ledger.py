"""The conversion ledger and resumable batches, without TensorFlow.

Real artifacts of the generated corpus go through the real batch: a Keras 3 `.keras` ends
skipped (already current) and a Keras 2 `.h5` fails (no runtime is configured here), which is
enough to see what a rerun redoes, reports or retries. Killing a batch with TensorFlow workers
mid-way is in tests/test_convert_tree.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from migrator.convert import Options
from migrator.convert import ledger as ld
from migrator.convert import publish as pub
from migrator.convert.tree import convert_path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "generated"
KERAS3 = CORPUS / "tf221" / "keras" / "sequential" / "save-keras" / "model.keras"
KERAS2_H5 = CORPUS / "tf215" / "keras" / "sequential" / "save-h5" / "model.h5"


@pytest.fixture
def no_runtimes(monkeypatch, tmp_path):
    """No TensorFlow runtime anywhere: conversions that need one fail, quickly and for real."""
    for name in list(os.environ):
        if name.startswith("MIGRATOR_RUNTIME"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def _tree(tmp_path: Path) -> Path:
    if not KERAS3.is_file() or not KERAS2_H5.is_file():
        pytest.skip("generated corpus not present")
    tree = tmp_path / "tree"
    (tree / "new").mkdir(parents=True)
    (tree / "old").mkdir()
    shutil.copy(KERAS3, tree / "new" / "model.keras")
    shutil.copy(KERAS2_H5, tree / "old" / "model.h5")
    return tree


def test_key_holds_content_path_options_and_version(tmp_path):
    with ld.Ledger(tmp_path, Options()) as a, ld.Ledger(tmp_path, Options(unsafe=True)) as b:
        assert a.key("m.h5", "ab") == a.key("m.h5", "ab")
        assert a.key("m.h5", "ab") != a.key("m.h5", "cd")  # other bytes
        assert a.key("m.h5", "ab") != a.key("n.h5", "ab")  # a copy elsewhere converts too
        assert a.key("m.h5", "ab") != b.key("m.h5", "ab")  # other options
    # How long to wait or how many at once changes no result, so it is not in the key.
    assert ld.options_key(Options()) == ld.options_key(replace(Options(), timeout=5.0))


def test_rerun_reports_done_work_and_retries_failures_only_when_asked(tmp_path, no_runtimes):
    tree, out = _tree(tmp_path), tmp_path / "out"
    first = {o.path: o for o in convert_path(tree, out, Options()).outcomes}
    assert first["new/model.keras"].status == "skipped"
    assert first["old/model.h5"].status == "failed"
    assert "runtime" in first["old/model.h5"].reason
    assert (out / ld.FILENAME).is_file()

    second = {o.path: o for o in convert_path(tree, out, Options()).outcomes}
    assert second["new/model.keras"].status == "skipped"
    assert second["new/model.keras"].reason == first["new/model.keras"].reason
    assert second["old/model.h5"].status == "failed"
    assert second["old/model.h5"].reason.startswith("failed in an earlier run: ")
    assert "--retry-failed" in second["old/model.h5"].reason
    rows = {e["path"]: e for e in ld.summary(out)["entries"]}
    assert rows["old/model.h5"]["attempts"] == 1  # reported, not retried

    third = {o.path: o for o in convert_path(tree, out, Options(), retry_failed=True).outcomes}
    assert not third["old/model.h5"].reason.startswith("failed in an earlier run")
    rows = {e["path"]: e for e in ld.summary(out)["entries"]}
    assert rows["old/model.h5"]["attempts"] == 2 and rows["new/model.keras"]["attempts"] == 1

    # Other options are another conversion: nothing is taken from the ledger.
    fourth = {o.path: o for o in convert_path(tree, out, Options(unsafe=True)).outcomes}
    assert not fourth["old/model.h5"].reason.startswith("failed in an earlier run")


def test_changed_source_bytes_are_converted_again(tmp_path, no_runtimes):
    tree, out = _tree(tmp_path), tmp_path / "out"
    convert_path(tree, out, Options())
    with open(tree / "old" / "model.h5", "ab") as fh:
        fh.write(b"\0")  # new bytes at the same path: a new key
    again = {o.path: o for o in convert_path(tree, out, Options()).outcomes}
    assert not again["old/model.h5"].reason.startswith("failed in an earlier run")


def test_a_conversion_killed_mid_way_is_redone_and_leaves_no_lock(tmp_path):
    """A process SIGKILLed right after marking a conversion `running` (and one killed inside an
    open write transaction) leaves a ledger the next run opens at once and sees as unfinished."""
    out = tmp_path / "out"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from migrator.convert import Options\n"
        "from migrator.convert.ledger import Ledger\n"
        "led = Ledger(Path(sys.argv[1]), Options())\n"
        "led.start('a.h5', 'aa')\n"
        "led.finish('a.h5', 'aa', 'converted', {'status': 'converted', 'path': 'a.h5'})\n"
        "led.start('b.h5', 'bb')\n"
        "led._db.execute('BEGIN IMMEDIATE')\n"
        "led._db.execute(\"UPDATE entries SET status = 'converted' WHERE rel = 'b.h5'\")\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(out)], check=False)
    assert proc.returncode == -signal.SIGKILL
    with ld.Ledger(out, Options()) as led:
        assert led.get("a.h5", "aa").status == "converted"
        assert led.get("b.h5", "bb").status == "running"  # the open transaction never happened
        led.finish("b.h5", "bb", "failed", {"status": "failed"})  # writable: no stale lock
    assert ld.summary(out)["counts"] == {"converted": 1, "skipped": 0, "failed": 1, "running": 0}


def test_status_command_summarises_a_ledger(tmp_path, no_runtimes, capsys):
    from migrator.cli import main

    tree, out = _tree(tmp_path), tmp_path / "out"
    convert_path(tree, out, Options())
    assert main(["convert", "--status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 source(s): 0 converted, 1 skipped, 1 failed, 0 unfinished" in text
    assert "failed    old/model.h5" in text
    assert main(["convert", "--status", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["failed"] == 1 and data["sources"] == 2
    assert main(["convert", "--status", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "no conversion ledger" in err and "Traceback" not in err


def test_status_of_a_damaged_ledger_is_one_line(tmp_path, capsys):
    from migrator.cli import main

    (tmp_path / ld.FILENAME).write_bytes(b"not a database" * 100)
    assert main(["convert", "--status", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot read the ledger" in err and "Traceback" not in err


def test_stale_staging_of_a_dead_process_is_removed(tmp_path):
    out = tmp_path / "out"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = out / pub.STAGING / f"work-{int(dead.stdout)}-abc"
    (stale / "half").mkdir(parents=True)
    live = pub.staging_dir(out)  # this process's own: kept
    assert pub.remove_stale_staging(out) == [stale]
    assert not stale.exists() and live.is_dir()


def test_plain_progress_lines_have_counts_and_eta():
    from migrator.convert.summary import plain_progress

    lines: list[str] = []
    update = plain_progress(lines.append)
    update("", 0, 3)
    update("a.h5: converted", 1, 3)
    update("b.h5: failed", 3, 3)
    assert lines[0].startswith("[1/3] a.h5: converted, ETA ")
    assert lines[1] == "[3/3] b.h5: failed, ETA done"


def test_sqlite_is_in_wal_mode(tmp_path):
    ld.Ledger(tmp_path, Options()).close()
    db = sqlite3.connect(tmp_path / ld.FILENAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_single_artifacts_with_the_same_bytes_are_two_conversions(tmp_path, no_runtimes):
    _tree(tmp_path)
    out = tmp_path / "out"
    first, second = tmp_path / "a" / "m.h5", tmp_path / "b" / "m.h5"
    for copy in (first, second):
        copy.parent.mkdir()
        shutil.copy(KERAS2_H5, copy)
    convert_path(first, out, Options())
    (outcome,) = convert_path(second, out, Options()).outcomes
    assert not outcome.reason.startswith("failed in an earlier run")  # not taken for the first
    (again,) = convert_path(first, out, Options()).outcomes
    assert again.reason.startswith("failed in an earlier run")


def test_staging_folders_survive_threads_creating_and_cleaning_at_once(tmp_path):
    """Found converting the generated corpus with --jobs 2: one thread's cleanup_staging removed
    the empty staging root between another's mkdir and its exist_ok check (FileExistsError)."""
    import shutil
    import threading

    from migrator.convert import publish as pub

    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for _ in range(300):
                folder = pub.staging_dir(tmp_path)
                shutil.rmtree(folder)
                pub.cleanup_staging(tmp_path)
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors

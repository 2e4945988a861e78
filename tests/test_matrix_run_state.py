"""A `tox -e matrix` run stopped midway continues where it stopped (corpus/run_state.py)."""

from __future__ import annotations

import sqlite3

from corpus.run_state import RunState

ASKED = {"runtimes": ["tf217", "tf219-keras35"], "keep_ci": False}


def test_a_rerun_of_the_same_command_skips_the_finished_parts(tmp_path) -> None:
    path = tmp_path / "matrix-run.sqlite"
    first = RunState(path, ASKED)
    assert not first.resumed
    first.record("generate tf217", 120.0)
    first.close()  # stopped here: "measure tf217" never finished
    second = RunState(path, dict(reversed(ASKED.items())))  # the same command
    assert second.resumed
    assert second.done("generate tf217") and not second.done("measure tf217")
    second.record("measure tf217", 300.0)
    summary = second.finish()
    second.close()
    assert summary.parts == {"generate tf217": 120.0, "measure tf217": 300.0}
    assert summary.seconds == 420.0 and summary.sittings == 2
    third = RunState(path, ASKED)  # the run is finished: the same command starts a new one
    assert not third.resumed and not third.done("generate tf217")
    third.close()


def test_another_command_or_restart_does_not_continue_a_run(tmp_path) -> None:
    path = tmp_path / "matrix-run.sqlite"
    first = RunState(path, ASKED)
    first.record("generate tf217", 1.0)
    first.close()
    other = RunState(path, {**ASKED, "runtimes": ["tf218"]})
    assert not other.resumed
    other.close()
    again = RunState(path, ASKED, restart=True)
    assert not again.resumed and not again.done("generate tf217")
    again.close()
    latest = RunState(path, ASKED)  # the restarted run is the unfinished one now...
    assert latest.resumed and latest.run == again.run and not latest.done("generate tf217")
    latest.close()
    with sqlite3.connect(path) as db:  # ...and the abandoned one is closed, not continued
        rows = db.execute("SELECT finished FROM runs ORDER BY id").fetchall()
    assert rows[0][0] == -1


def test_a_part_whose_output_is_gone_is_done_again(tmp_path) -> None:
    state = RunState(tmp_path / "s.sqlite", ASKED)
    state.record("measure tf217", 5.0)
    state.forget("measure tf217")
    assert not state.done("measure tf217")
    state.close()

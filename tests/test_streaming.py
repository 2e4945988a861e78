"""The streamed audit (issue 12 item 2): `migrator audit --format json` writes each artifact as it
is judged and holds none of them afterwards, yet its bytes, exit code and error lines are those
of the whole-report path (`audit()` + `render`), which library users and the other formats keep.
"""

from __future__ import annotations

import gc
import io
import json
import weakref
from functools import partial
from pathlib import Path

import pytest

from migrator import loadability
from migrator.audit import audit, audit_stream
from migrator.cli import main
from migrator.cli_audit import exit_code
from migrator.model import Artifact
from migrator.report.json_report import render, write_stream
from migrator.rules import check_artifact, check_source
from migrator.rules.config import load_config
from tests.test_audit_cli import write_keras_h5, write_saved_model
from tests.test_exit_codes import hostile_tree, lambda_model

JUDGES = {"judges": [loadability.judge, check_artifact], "code_rules": partial(check_source)}


def mixed_tree(root: Path) -> Path:
    """Artifacts of several kinds in several folders, a damaged file (an error line), a Lambda
    (content that runs on load), a Python source with a finding, and names whose sort order
    differs from the walk order (`b/` before `a.h5`'s folder, upper case, digits)."""
    write_keras_h5(root / "b" / "z.h5")
    write_keras_h5(root / "a.h5", keras_version="2.1.6")
    write_keras_h5(root / "B" / "m10.h5")
    write_keras_h5(root / "B" / "m9.h5")
    write_saved_model(root / "export" / "1")
    lambda_model(root / "arch" / "model.json")
    (root / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 30)
    (root / "train.py").write_text("import keras\nmodel.save('export/')\n", encoding="utf-8")
    return root


def streamed(paths: list[Path], jobs: int, **kw: object) -> tuple[str, list[Artifact]]:
    out = io.StringIO()
    seen: list[Artifact] = []
    with audit_stream(paths, jobs=jobs, **JUDGES, **kw) as s:  # type: ignore[arg-type]
        write_stream(
            out.write,
            root=s.root,
            artifacts=s.artifacts,
            errors=s.errors,
            sources=s.sources,
            skipped=s.skipped,
            seen=seen.append,
        )
    return out.getvalue(), seen


@pytest.mark.parametrize("jobs", [0, 2])
def test_streamed_json_is_the_whole_report_byte_for_byte(tmp_path, jobs):
    root = mixed_tree(tmp_path / "tree")
    expected = render(audit([root], jobs=jobs, **JUDGES))  # type: ignore[arg-type]
    text, seen = streamed([root], jobs)
    assert text == expected
    paths = [a.path for a in seen]
    assert paths == sorted(paths) and len(paths) >= 7  # handed out in report order
    data = json.loads(text)
    assert data["summary"]["artifacts"] == len(seen) and data["summary"]["errors"] >= 1


def test_streamed_json_of_several_paths_a_single_file_and_nothing(tmp_path):
    root = mixed_tree(tmp_path / "tree")
    (tmp_path / "empty").mkdir()
    for paths in ([root / "B", root / "b", root / "a.h5"], [root / "a.h5"], [tmp_path / "empty"]):
        assert streamed(paths, 0)[0] == render(audit(paths, jobs=0, **JUDGES))  # type: ignore[arg-type]


def test_hostile_strings_stream_as_they_render(tmp_path):
    root = hostile_tree(tmp_path)
    text, _ = streamed([root], 0)
    assert text == render(audit([root], jobs=0, **JUDGES))  # type: ignore[arg-type]
    text.encode("utf-8")  # lone surrogates came out as escapes


@pytest.mark.parametrize("jobs", [0, 2])
def test_the_stream_holds_no_artifact_once_handed_out(tmp_path, jobs):
    """What keeps memory flat: by the time artifact k is handed out, artifacts < k-1 are gone
    (the writer dropped them and nothing in the audit kept a reference)."""
    for i in range(12):
        write_keras_h5(tmp_path / f"d{i % 3}" / f"m{i:02d}.h5")
    refs: list[weakref.ref[Artifact]] = []
    alive_before: list[int] = []
    with audit_stream([tmp_path], jobs=jobs, **JUDGES) as s:  # type: ignore[arg-type]
        for artifact in s.artifacts:
            gc.collect()
            alive_before.append(sum(1 for r in refs if r() is not None))
            refs.append(weakref.ref(artifact))
            del artifact
    assert len(refs) == 12
    assert max(alive_before) <= 1, alive_before


def test_leaving_the_stream_early_stops_the_workers(tmp_path):
    for i in range(6):
        write_keras_h5(tmp_path / f"m{i}.h5")
    with audit_stream([tmp_path], jobs=2, **JUDGES) as s:  # type: ignore[arg-type]
        first = next(s.artifacts)
    assert first.path == "m0.h5"
    assert s.artifacts.gi_frame is None  # type: ignore[attr-defined]  # closed: the pool stopped


@pytest.mark.parametrize(
    ("extra", "make"),
    [
        ((), lambda root: mixed_tree(root)),  # an error line: exit 2
        ((), lambda root: lambda_model(root / "arch" / "model.json").parent),  # runs on load: 1
        (("--exit-zero",), lambda root: lambda_model(root / "arch" / "model.json").parent),
        (("--fail-on", "low"), lambda root: write_keras_h5(root / "a.h5") or root),
        (("--fail-on", "critical"), lambda root: write_keras_h5(root / "a.h5") or root),
    ],
)
def test_the_command_line_streams_the_same_report_exit_code_and_errors(
    tmp_path, capsys, extra, make
):
    root = make(tmp_path / "tree")
    code = main(["audit", str(root), "--format", "json", "--jobs", "0", *extra])
    out, err = capsys.readouterr()
    config = load_config([root]).overridden(
        select=None, ignore=None, fail_on=extra[1] if extra[:1] == ("--fail-on",) else None
    )
    report = audit(
        [root],
        jobs=0,
        judges=[loadability.judge, partial(check_artifact, config=config)],
        code_rules=partial(check_source, config=config),
    )
    assert out == render(report)
    assert code == exit_code(report, config, exit_zero="--exit-zero" in extra)
    lines = [f"{a.path}: {e}" for a in report.artifacts for e in a.errors]
    lines += [f"{s.path}: {e}" for s in report.sources for e in s.errors]
    assert err.splitlines() == [f"migrator: {line}" for line in lines + list(report.errors)]


def test_the_command_line_writes_o_whole_or_not_at_all(tmp_path, capsys, monkeypatch):
    root = mixed_tree(tmp_path / "tree")
    target = tmp_path / "out" / "report.json"
    assert main(["audit", str(root), "-o", str(target), "--jobs", "0"]) == 2
    assert capsys.readouterr().out == ""  # the report went to the file only
    written = target.read_text(encoding="utf-8")
    assert json.loads(written)["summary"]["artifacts"] >= 7

    import migrator.report.json_report as json_report

    def broken(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C halfway through the report

    monkeypatch.setattr(json_report, "write_stream", broken)
    assert main(["audit", str(root), "-o", str(target), "--jobs", "0"]) == 130
    assert target.read_text(encoding="utf-8") == written  # the old report, untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]  # no temp left


def test_discovery_hands_out_candidates_in_report_order_without_sorting_them(tmp_path):
    """The walk itself yields the order of the reported paths (what lets the audit spool them
    to disk as they come): names that sort around `/` (`a-b`, `a.h5`, `a0`), a SavedModel folder
    before what lies inside it, upper case before lower case."""
    from migrator.discover import discover

    for rel in ("a-b.h5", "a.h5", "a/x.h5", "a0.h5", "ab/y.h5", "A/z.h5", "a/b/c.h5"):
        write_keras_h5(tmp_path / rel)
    write_saved_model(tmp_path / "sm")
    write_keras_h5(tmp_path / "sm" / "extra.h5")
    spooled: list[str] = []

    class Sink:
        def append(self, candidate: object) -> None:
            spooled.append(candidate.rel)  # type: ignore[attr-defined]

    found = discover(tmp_path, into=Sink())
    assert found.candidates.__class__ is Sink  # nothing kept in a list beside the sink
    assert len(spooled) == 9
    assert spooled == sorted(spooled), spooled
    assert spooled.index("sm") < spooled.index("sm/extra.h5")


def test_the_pool_pulls_items_only_as_it_can_hand_results_out():
    """An audit of a hundred thousand artifacts never holds them all: the pool takes items from
    a lazy iterable a bounded window ahead of what it has handed out."""
    from itertools import count

    from migrator.workers import ReaderPool

    pulled: list[int] = []

    def items():
        for i in count():
            pulled.append(i)
            yield i

    pool = ReaderPool(abs, jobs=2, timeout=30, memory_mb=0)
    results = pool.map(items())
    got = [next(results) for _ in range(5)]
    results.close()
    assert got == [(i, i) for i in range(5)]
    assert len(pulled) <= 5 + max(64, 16 * 2) + 1


def test_the_spool_gives_back_what_was_put_in_in_order(monkeypatch):
    """Undecodable names, layout facts and store paths come back equal, without any pickle."""
    import pickle

    from migrator.model import Candidate
    from migrator.spool import Spool
    from migrator.storage.store import StorePath

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, None)
    spool = Spool("pre")
    made = [
        Candidate(Path(f"/x/w\udcff{i}.h5"), f"w\udcff{i}.h5", "hdf5", (f"{i}",))
        for i in range(300)
    ]
    context = {"version_folder": "00000123", "version": 123, "versions_in_base": [1, 123]}
    made.append(Candidate(Path("/x/sm/00000123"), "sm/00000123", "savedmodel", ("a", "b"), context))
    store = StorePath("s3", "bucket/m.h5", {"anon": False}, {"size": 7, "type": "file"})
    made.append(Candidate(store, "m.h5", "hdf5", ("m.h5",)))
    for candidate in made:
        spool.append(candidate)
    assert len(spool) == 302
    assert list(spool) == [("pre", c) for c in made]
    back = list(spool)[-1][1].location
    assert back.stat().st_size == 7  # the store's record came along: no request to ask again
    assert list(spool) == [("pre", c) for c in made]  # again: a spool can be read twice
    spool.close()

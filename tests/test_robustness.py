"""No input can sink the batch: bounded parsing, memory limits, signals, and a line for every file.

Everything here uses real files, real forked workers, real subprocesses and real signals; the
deadlines are short so the module stays a few seconds of the core suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from migrator import loadability
from migrator.audit import audit
from migrator.discover import discover
from migrator.errors import Interrupted, UsageError
from migrator.formats import keras_arch
from migrator.model import Artifact, Candidate, Reading
from migrator.rules import check_artifact
from migrator.workers import (
    MEMORY_VARIABLE,
    ReaderPool,
    default_memory_limit,
    hdf5_deadline,
)
from tests.conftest import REPO
from tests.test_tfjs import write_layers_model

H5 = REPO / "corpus" / "legacy" / "k208_theano_cnn.h5"
JUDGES = [loadability.judge, check_artifact]

BILLION_LAUGHS = "\n".join(
    ["class_name: Sequential", "config:", "  layers:", "  - class_name: Dense", "    config:"]
    + ["      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"      a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    + ["keras_version: 2.4.0", ""]
)


def _one(report_artifacts: tuple[Artifact, ...], name: str) -> Artifact:
    (artifact,) = [a for a in report_artifacts if a.path == name]
    return artifact


# --- 1. everything slow or large is bounded --------------------------------------------------


@pytest.mark.parametrize("jobs", [0, 1])
def test_yaml_alias_bomb_is_one_line_and_quick(tmp_path: Path, jobs: int) -> None:
    (tmp_path / "model.yaml").write_text(BILLION_LAUGHS)
    started = time.monotonic()
    report = audit([tmp_path], judges=JUDGES, jobs=jobs, timeout=20)
    assert time.monotonic() - started < 15
    artifact = _one(report.artifacts, "model.yaml")
    (error,) = artifact.errors
    assert artifact.format == "keras-yaml"
    assert "expands to more than 2,000,000 nodes" in error and "alias bomb" in error


def test_yaml_alias_cycle_is_refused(tmp_path: Path) -> None:
    text = "class_name: Sequential\nconfig: &c {layers: [{class_name: Dense, config: *c}]}\n"
    (tmp_path / "model.yaml").write_text(text)
    (artifact,) = audit([tmp_path], judges=JUDGES, jobs=0).artifacts
    assert artifact.format == "keras-yaml"
    assert any("refers to itself" in e for e in artifact.errors), artifact.errors


def test_yaml_with_harmless_aliases_still_reads(tmp_path: Path) -> None:
    text = (
        "class_name: Sequential\nconfig:\n  layers:\n"
        "  - class_name: Dense\n    config: &d {units: 2, name: d1}\n"
        "  - class_name: Dense\n    config: *d\nkeras_version: 2.4.0\n"
    )
    (tmp_path / "model.yaml").write_text(text)
    (artifact,) = audit([tmp_path], judges=JUDGES, jobs=0).artifacts
    assert artifact.format == "keras-yaml" and not artifact.errors


def test_big_yaml_is_claimed_without_parsing_in_the_main_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.yaml"
    body = "class_name: Sequential\nconfig:\n  layers: []\n#" + "x" * (2 * 2**20) + "\n"
    path.write_text(body)

    def no_parse(*args: object) -> None:
        raise AssertionError("claim_file parsed a file above CLAIM_PARSE_BYTES")

    monkeypatch.setattr(keras_arch, "_parse", no_parse)
    assert keras_arch.claim_file(path, path.read_bytes()[:64]) is True
    monkeypatch.undo()
    (artifact,) = audit([tmp_path], jobs=0).artifacts  # read() parses it (in a worker normally)
    assert artifact.format == "keras-yaml"


def test_deeply_nested_model_config_in_h5_says_nested(tmp_path: Path) -> None:
    depth = 20_000  # 40 KB: attributes hold at most 64 KB
    config = '{"class_name": "Sequential", "config": ' + "[" * depth + "]" * depth + "}"
    with h5py.File(tmp_path / "deep.h5", "w") as f:
        f.attrs["model_config"] = np.bytes_(config.encode())
        f.attrs["keras_version"] = np.bytes_(b"2.4.0")
    (artifact,) = audit([tmp_path], judges=JUDGES, jobs=0).artifacts
    (error,) = artifact.errors
    assert "nested deeper than" in error and "truncated or corrupt" not in error
    assert artifact.format == "keras-h5"


def _hog(candidate: Candidate) -> Reading:
    if candidate.rel == "hog":
        block = bytearray(3 * 2**30)  # far past the limit below
        return Reading("keras-h5", producer={"n": str(len(block))})
    return Reading("keras-h5", producer={"n": candidate.rel})


def _vm_size_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmSize in /proc/self/status")


def test_worker_over_its_memory_limit_is_one_line_and_the_batch_goes_on() -> None:
    limit = _vm_size_mb() + 512  # the fork starts at this process's size; 512 MB to spare
    pool = ReaderPool(_hog, jobs=1, timeout=30, memory_mb=limit)
    items = [Candidate(Path("/nowhere") / n, n, "hdf5") for n in ("a", "hog", "b")]
    results = {c.rel: r for c, r in pool.map(items)}
    assert results["a"].producer == {"n": "a"} and results["b"].producer == {"n": "b"}
    (error,) = results["hog"].errors
    assert error.startswith(f"the reader ran out of its {limit} MB memory limit on this file")
    assert MEMORY_VARIABLE in error


def test_memory_limit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_VARIABLE, raising=False)
    assert 2048 <= default_memory_limit(2) <= 16384
    assert default_memory_limit(1) >= default_memory_limit(4)
    monkeypatch.setenv(MEMORY_VARIABLE, "3000")
    assert default_memory_limit(4) == 3000
    monkeypatch.setenv(MEMORY_VARIABLE, "0")
    assert default_memory_limit(4) == 0
    for bad in ("lots", "-5"):
        monkeypatch.setenv(MEMORY_VARIABLE, bad)
        with pytest.raises(UsageError, match=MEMORY_VARIABLE):
            default_memory_limit(1)


def _sleepy(candidate: Candidate) -> Reading:
    if candidate.rel == "slow.h5":
        time.sleep(3600)
    return Reading("keras-h5")


def test_hdf5_reads_get_a_deadline_scaled_by_size_not_the_full_timeout() -> None:
    assert hdf5_deadline(10 * 2**20, 120) < 20  # a 10 MB file: well under the 120 s default
    assert hdf5_deadline(10 * 2**30, 120) == 120  # never above --timeout
    assert hdf5_deadline(0, 5) == 5
    pool = ReaderPool(
        _sleepy, jobs=1, timeout=3600, deadline=lambda c: 1.0 if c.reader == "hdf5" else 3600
    )
    started = time.monotonic()
    items = [Candidate(Path("/x") / n, n, "hdf5") for n in ("slow.h5", "ok.h5")]
    results = {c.rel: r for c, r in pool.map(items)}
    assert time.monotonic() - started < 30
    assert results["slow.h5"].errors[0].startswith("reading took longer than 1 s")
    assert not results["ok.h5"].errors


# --- 2. the main process keeps only what the report shows ------------------------------------


@pytest.mark.parametrize("jobs", [0, 1])
def test_raw_is_dropped_once_judged(tmp_path: Path, jobs: int) -> None:
    write_layers_model(tmp_path / "web")
    (tmp_path / "arch.json").write_text(
        json.dumps({"class_name": "Sequential", "config": {"layers": []}, "keras_version": "2.4"})
    )
    seen: list[str] = []

    def judge(artifact: Artifact) -> Artifact:
        if "model_config" in artifact.reading.raw:
            seen.append(artifact.path)
        return artifact

    judged = audit([tmp_path], judges=[judge, *JUDGES], jobs=jobs)
    assert [a.reading.raw for a in judged.artifacts] == [{}, {}]
    if jobs == 0:  # the judge ran in this process: it saw raw before it was dropped
        assert sorted(seen) == ["arch.json", "web/model.json"]
    unjudged = audit([tmp_path], jobs=jobs)  # no judges: callers that inspect readings keep raw
    assert all("model_config" in a.reading.raw for a in unjudged.artifacts)


# --- 3. nothing skipped without a line -------------------------------------------------------


def _lines(tmp_path: Path, **kw: tuple[str, ...]) -> tuple[dict[str, Artifact], str, str]:
    report = audit([tmp_path], judges=JUDGES, jobs=0, **kw)  # type: ignore[arg-type]
    return (
        {a.path: a for a in report.artifacts},
        "\n".join(report.errors),
        "\n".join(report.skipped),
    )


def test_fifo_looping_symlink_and_damaged_yaml_each_get_an_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "model.h5")
    os.symlink("loop.keras", tmp_path / "loop.keras")
    os.symlink("missing.tflite", tmp_path / "gone.tflite")
    (tmp_path / "model.yaml").write_bytes(b"garbage\n")
    (tmp_path / "notes.txt").write_text("not a model")
    artifacts, errors, skipped = _lines(tmp_path)
    assert "model.h5: is a FIFO (named pipe), not a regular file" in errors
    assert "loop.keras: is a symlink loop" in errors
    assert "gone.tflite: is a dangling symlink" in errors
    assert artifacts["model.yaml"].errors and "notes.txt" not in artifacts
    assert all("\n" not in e for a in artifacts.values() for e in a.errors)


def test_dot_folders_are_audited_and_tool_folders_are_skipped_with_a_line(tmp_path: Path) -> None:
    for folder in (".hidden", ".git", "node_modules"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.h5").write_bytes(H5.read_bytes())
    artifacts, errors, skipped = _lines(tmp_path)
    assert artifacts[".hidden/m.h5"].format == "keras-h5"
    assert ".git/: tool folder not audited; pass --include '.git'" in skipped
    assert "node_modules/: tool folder not audited" in skipped
    artifacts, _, skipped = _lines(tmp_path, include=(".git",), exclude=(".hidden",))
    assert ".git/m.h5" in artifacts and ".hidden/m.h5" not in artifacts
    assert ".hidden: excluded by the pattern '.hidden'" in skipped
    artifacts, _, skipped = _lines(tmp_path, exclude=("*.h5",))
    assert not artifacts and ".hidden/m.h5: excluded by the pattern '*.h5'" in skipped


def test_symlinked_folders_are_followed_once(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "models").mkdir(parents=True)
    (outside / "models" / "m.h5").write_bytes(H5.read_bytes())
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "real" / "r.h5").write_bytes(H5.read_bytes())
    os.symlink(outside / "models", root / "linked")  # outside the tree: followed
    os.symlink(outside / "models", root / "linked_again")  # the same folder again: skipped
    os.symlink(root / "real", root / "alias")  # inside the tree: audited at its real place
    os.symlink(root, root / "real" / "up")  # a loop back to the root
    artifacts, errors, skipped = _lines(root)
    assert sorted(artifacts) == ["linked/m.h5", "real/r.h5"], sorted(artifacts)
    assert "alias/: a symlink to real/, audited there" in skipped
    assert "linked_again/: the same folder as one already audited" in skipped
    assert "real/up/: a symlink to ./, audited there" in skipped or "real/up/" in skipped
    assert not errors


def test_symlink_loop_inside_an_unzipped_keras_folder(tmp_path: Path) -> None:
    import zipfile

    source = REPO / "corpus" / "generated" / "tf215" / "keras" / "functional" / "save-keras"
    zipfile.ZipFile(source / "model.keras").extractall(tmp_path / "m.keras")
    os.symlink(".", tmp_path / "m.keras" / "loop")
    os.symlink("../m.keras", tmp_path / "m.keras" / "up")
    (artifact,) = audit([tmp_path], judges=JUDGES, jobs=0).artifacts
    assert artifact.format == "keras-v3" and not artifact.errors


def test_special_file_given_as_the_path(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.h5")
    found = discover(tmp_path / "pipe.h5")
    assert found.errors == [
        f"{tmp_path / 'pipe.h5'}: is a FIFO (named pipe), not a regular file; nothing was read"
    ]


# --- reader bugs found by fuzzing (each was an "internal error" line) ------------------------


def _tfjs_errors(tmp_path: Path, mutate: Callable[[dict], None]) -> Artifact:
    write_layers_model(tmp_path)
    document = json.loads((tmp_path / "model.json").read_text())
    mutate(document)
    (tmp_path / "model.json").write_text(json.dumps(document))
    (artifact,) = audit([tmp_path], judges=JUDGES, jobs=0).artifacts
    assert not any("internal error" in e for e in artifact.errors), artifact.errors
    return artifact


def test_tfjs_manifest_with_wrong_json_types(tmp_path: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["weightsManifest"][0]["paths"] = 7
        doc["weightsManifest"][0]["weights"] = {"a": 1}

    assert _tfjs_errors(tmp_path, mutate).format == "tfjs-layers"


def test_tfjs_graph_with_wrong_node_types(tmp_path: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["format"] = "graph-model"
        doc["modelTopology"] = {"node": 3, "library": {"function": [{"nodeDef": 5}]}}
        doc["signature"] = {"inputs": {"x": {"tensorShape": {"dim": 9}}}}
        doc["modelInitializer"] = {"node": "x"}

    assert _tfjs_errors(tmp_path, mutate).format == "tfjs-graph"


def test_tfjs_nul_byte_in_a_weight_path(tmp_path: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["weightsManifest"][0]["paths"] = ["group1\x00shard.bin"]

    artifact = _tfjs_errors(tmp_path, mutate)
    assert any("missing weight shard" in e for e in artifact.errors)


def test_unhashable_class_name(tmp_path: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["modelTopology"]["model_config"]["class_name"] = {"x": 1}

    _tfjs_errors(tmp_path, mutate)


def test_empty_or_non_object_model_json_gets_a_line(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "model.json").write_text("{}")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "model.json").write_text('[1, "x", null]')
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "model.json").write_text('{"name": "my web app"}')  # not ours: no line
    artifacts, _, _ = _lines(tmp_path)
    assert sorted(artifacts) == ["a/model.json", "b/model.json"]
    assert all(a.errors for a in artifacts.values())


# --- signals: a cancelled CI job leaves nothing behind ---------------------------------------


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                out.add(int(entry.name))
    return out


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _hanging_audit(tmp_path: Path) -> tuple[subprocess.Popen[str], set[int]]:
    data = bytearray(H5.read_bytes())
    data[3888] = 0x35  # the libhdf5 global-heap loop of tests/test_workers.py
    for i in range(2):
        (tmp_path / f"hangs{i}.h5").write_bytes(bytes(data))
    env = {**os.environ, "MIGRATOR_JOBS": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", "audit", str(tmp_path), "--timeout", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        # Started as from a terminal: a job a non-interactive shell put in the background
        # (`cmd &`, nohup) runs with SIGINT ignored, and every process it starts inherits that,
        # so Python would install no Ctrl-C handler and the audit would rightly ignore SIGINT.
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = _alive(_children(proc.pid))
        time.sleep(0.1)
    assert len(workers) == 2, "the audit did not start its two workers"
    time.sleep(0.3)  # both are now inside libhdf5's loop
    assert proc.poll() is None
    return proc, workers


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(pids)


@pytest.mark.parametrize(
    ("sig", "code", "group"),
    [(signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)],
)
def test_sigterm_and_sigint_end_the_run_cleanly(
    tmp_path: Path, sig: signal.Signals, code: int, group: bool
) -> None:
    proc, workers = _hanging_audit(tmp_path)
    if group:  # Ctrl-C: the terminal signals the whole process group
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == code
    assert out == ""  # no report written as if complete
    assert "Traceback" not in err
    assert err.strip() == f"migrator: interrupted by {sig.name}; no report was written"
    assert not _gone_within(workers, 5)


def test_sigkill_of_the_audit_leaves_no_worker(tmp_path: Path) -> None:
    proc, workers = _hanging_audit(tmp_path)
    proc.kill()
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert not _gone_within(workers, 5)


@pytest.mark.parametrize("jobs", [0, 1])
def test_a_judge_that_raises_costs_one_line(tmp_path: Path, jobs: int) -> None:
    (tmp_path / "a.h5").write_bytes(H5.read_bytes())
    (tmp_path / "b.h5").write_bytes(H5.read_bytes())

    def judge(artifact: Artifact) -> Artifact:
        if artifact.path == "a.h5":
            raise ImportError("cannot import name 'X'")
        return artifact

    artifacts = {a.path: a for a in audit([tmp_path], judges=[judge], jobs=jobs).artifacts}
    (error,) = artifacts["a.h5"].errors
    assert error.startswith("internal error while judging this file (ImportError: cannot import")
    assert artifacts["b.h5"].format == "keras-h5" and not artifacts["b.h5"].errors


def test_interrupted_is_not_swallowed_by_except_exception() -> None:
    assert not issubclass(Interrupted, Exception)


def test_interrupted_carries_the_shell_exit_code() -> None:
    assert Interrupted(signal.SIGTERM).exit_code == 143
    assert Interrupted(signal.SIGINT).exit_code == 130
    assert "SIGTERM" in str(Interrupted(signal.SIGTERM))


def test_exclude_and_include_from_the_command_line_and_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from migrator.cli import main

    for folder in ("keep", "drop", ".venv"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.h5").write_bytes(H5.read_bytes())
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\nexclude = ["drop"]\n')
    main(["audit", str(tmp_path), "--format", "json", "--include", ".venv"])
    report = json.loads(capsys.readouterr().out)
    assert sorted(a["path"] for a in report["artifacts"]) == [".venv/m.h5", "keep/m.h5"]
    assert report["skipped"] == ["drop: excluded by the pattern 'drop'"]
    main(["audit", str(tmp_path), "--format", "json", "--exclude", "keep/*"])
    report = json.loads(capsys.readouterr().out)
    assert [a["path"] for a in report["artifacts"]] == []
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\nexclude = 3\n")
    assert main(["audit", str(tmp_path)]) == 2
    assert "exclude in [tool.migrator]" in capsys.readouterr().err


def test_equal_verdicts_and_findings_are_held_once(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"m{i}.h5").write_bytes(H5.read_bytes())
    artifacts = audit([tmp_path], judges=JUDGES, jobs=1).artifacts
    assert len(artifacts) == 3 and artifacts[0].loadability and artifacts[0].findings
    assert artifacts[0].loadability is artifacts[1].loadability is artifacts[2].loadability
    assert artifacts[0].findings is artifacts[2].findings
    assert artifacts[0].to_json()["loadability"] == artifacts[2].to_json()["loadability"]


def test_a_dangling_symlink_not_named_like_a_model_is_a_skipped_line(tmp_path: Path) -> None:
    os.symlink("nowhere", tmp_path / "notes.txt")
    _, errors, skipped = _lines(tmp_path)
    assert not errors and "notes.txt: is a dangling symlink" in skipped

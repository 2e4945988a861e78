"""Exit codes and error lines of the real command line (subprocess runs, as CI sees them).

0 clean; 1 content that runs on load (by default) or findings at `--fail-on`; 2 errors, bad
options, unwritable outputs, broken pipes; never a traceback. Reports are written whatever
strings the artifacts or their file names hold."""

from __future__ import annotations

import io
import json
import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.report import RENDERERS
from tests.test_audit_cli import write_keras_h5

MARSHALLED = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA"
DETAILED = ("table", "json", "sarif", "markdown", "html", "cyclonedx")
FORMATS = tuple(RENDERERS)  # every registered renderer, those added later included


def lambda_model(path: Path) -> Path:
    """A Keras 2 architecture file whose Lambda layer holds marshalled bytecode (never run)."""
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "lambda_1",
                        "function": [MARSHALLED, None, None],
                        "function_type": "lambda",
                        "output_shape": None,
                        "output_shape_type": "raw",
                        "arguments": {},
                    },
                }
            ],
        },
        "keras_version": "2.3.1",
        "backend": "tensorflow",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def run(*args: str, cwd: Path | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIGRATOR_JOBS": "0", "NO_COLOR": "1"}
    env.pop("MIGRATOR_DEBUG", None)
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    streams.update({k: kw.pop(k) for k in ("stdout", "stderr") if k in kw})  # type: ignore[misc]
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args],
        text=True,
        errors="replace",
        timeout=120,
        check=False,
        cwd=cwd,
        env=env,
        **streams,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def one_line(err: str) -> str:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("migrator: "), err
    return lines[0]


def test_content_that_runs_on_load_fails_by_default(tmp_path, capsys):
    lambda_model(tmp_path / "lam" / "model.json")
    done = run("audit", str(tmp_path / "lam"), "--format", "json")
    assert done.returncode == 1, done.stderr
    rules = {f["rule"] for a in json.loads(done.stdout)["artifacts"] for f in a["findings"]}
    assert "MIG301" in rules
    assert main(["audit", str(tmp_path / "lam"), "--exit-zero"]) == 0
    assert main(["audit", str(tmp_path / "lam"), "--ignore", "MIG301"]) == 0
    assert main(["audit", str(tmp_path / "lam"), "--fail-on", "none"]) == 1  # still runs on load


def test_findings_below_fail_on_and_clean_trees_exit_0(tmp_path, capsys):
    write_keras_h5(tmp_path / "old" / "m.h5")  # outdated (medium/high findings), nothing runs
    assert main(["audit", str(tmp_path / "old")]) == 0
    assert main(["audit", str(tmp_path / "old"), "--fail-on", "low"]) == 1
    assert main(["audit", str(tmp_path / "old"), "--fail-on", "low", "--exit-zero"]) == 0


def test_errors_exit_2_even_with_exit_zero(tmp_path):
    (tmp_path / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 20)
    done = run("audit", str(tmp_path), "--exit-zero")
    assert done.returncode == 2
    assert "broken.h5" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--timeout", "-5", "not a positive number of seconds"),
        ("--timeout", "0", "not a positive number of seconds"),
        ("--timeout", "soon", "not a number of seconds"),
        ("--jobs", "-1", "negative"),
        ("--jobs", "two", "not a whole number"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path, capsys, option, value, says):
    with pytest.raises(SystemExit) as exited:
        main(["audit", str(tmp_path), option, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and says in err.splitlines()[-1]


def test_a_bad_option_in_a_real_run(tmp_path):
    done = run("audit", str(tmp_path), "--timeout", "-5")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "-5 is not a positive number of seconds" in done.stderr.splitlines()[-1]


def test_jobs_0_reads_in_process(tmp_path, capsys):
    write_keras_h5(tmp_path / "m.h5")
    assert main(["audit", str(tmp_path), "--jobs", "0"]) == 0


def test_output_that_is_a_folder_is_one_line(tmp_path, capsys):
    write_keras_h5(tmp_path / "m.h5")
    assert main(["audit", str(tmp_path), "-o", str(tmp_path)]) == 2
    assert "-o names a folder" in one_line(capsys.readouterr().err)


def test_output_in_a_folder_that_cannot_be_made_is_one_line(tmp_path, capsys):
    write_keras_h5(tmp_path / "m.h5")
    (tmp_path / "file").write_text("x")
    assert main(["audit", str(tmp_path / "m.h5"), "-o", str(tmp_path / "file" / "r.json")]) == 2
    assert "file" in one_line(capsys.readouterr().err)


def test_a_fifo_path_argument_is_one_error_and_the_rest_is_audited(tmp_path):
    write_keras_h5(tmp_path / "good" / "m.h5")
    fifo = tmp_path / "model.h5"
    os.mkfifo(fifo)
    done = run("audit", str(fifo), str(tmp_path / "good"), "--format", "json")
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert [a["path"] for a in data["artifacts"]] == ["m.h5"]  # the readable path, audited
    assert any("not a regular file or folder" in e for e in data["errors"])
    assert "Traceback" not in done.stderr and "model.h5" in done.stderr
    alone = run("audit", str(fifo))
    assert alone.returncode == 2 and "FIFO" in one_line(alone.stderr)


def test_inspect_into_a_closed_pipe_is_one_line(tmp_path):
    write_keras_h5(tmp_path / "m.h5")
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited
    try:
        done = run("inspect", str(tmp_path / "m.h5"), stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert "broken pipe" in one_line(done.stderr)


def hostile_tree(tmp: Path) -> Path:
    """A `\\ud800` escape in a Keras JSON and a file name that is not valid UTF-8."""
    root = tmp / "odd"
    root.mkdir()
    (root / "arch.json").write_text(
        '{"class_name": "Sequential", "config": {"name": "s\\ud800", "layers": '
        '[{"class_name": "Dense\\ud800", "config": {"name": "d\\udcff", "units": 1}}]}, '
        '"keras_version": "2.3.1", "backend": "tensorflow"}',
        encoding="utf-8",
    )
    bad_name = os.fsencode(root) + b"/w\xff\xfe.h5"
    with open(bad_name, "wb") as fh:
        fh.write(b"\x89HDF\r\n\x1a\n" + b"\0" * 30)  # damaged: an error line with that name
    return root


def test_any_string_reaches_a_real_stdout(tmp_path):
    root = hostile_tree(tmp_path)
    done = run("audit", str(root), "--format", "json")
    assert done.returncode == 2, done.stderr  # the damaged file: an error, not a crash
    assert "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert "arch.json" in {a["path"] for a in data["artifacts"]}
    assert "w\\udcff\\udcfe.h5" in done.stderr  # the undecodable name, escaped, once


@pytest.mark.parametrize("fmt", FORMATS)
def test_any_string_is_written_by_every_renderer(tmp_path, monkeypatch, fmt):
    """In process, with a strict UTF-8 stdout like a real one, then into a file with -o."""
    root = hostile_tree(tmp_path)
    raw = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(raw, encoding="utf-8", errors="strict"))
    assert main(["audit", str(root), "--format", fmt]) == 2  # the damaged file's error
    sys.stdout.flush()
    shown = raw.getvalue().decode("utf-8")
    assert "arch.json" in shown or "MIG124" in shown  # statistics lists rules, not paths
    out = tmp_path / f"report.{fmt}"
    assert main(["audit", str(root), "--format", fmt, "-o", str(out)]) == 2
    text = out.read_text(encoding="utf-8")  # valid UTF-8
    if fmt in DETAILED:
        assert "arch.json" in text and "\\ud800" in text  # the escape, shown as written
    if fmt in ("json", "sarif", "cyclonedx"):
        json.loads(text)


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("r.json", lambda t: json.loads(t)["schema_version"] == 1),
        ("r.sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("r.md", lambda t: t.startswith("### migrator audit")),
        ("r.html", lambda t: t.startswith("<!DOCTYPE html>")),
        ("r.cdx.json", lambda t: json.loads(t)["bomFormat"] == "CycloneDX"),
        ("r.txt", lambda t: t.startswith("PATH")),
    ],
)
def test_output_format_follows_the_extension_and_the_umask(tmp_path, name, check):
    write_keras_h5(tmp_path / "m" / "a.h5")
    out = tmp_path / "out" / name
    previous = os.umask(0o027)
    try:
        assert main(["audit", str(tmp_path / "m"), "-o", str(out)]) == 0
    finally:
        os.umask(previous)
    assert check(out.read_text(encoding="utf-8"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # 0666 less the umask, not mkstemp's 0600


def test_report_file_mode_follows_the_umask_of_a_real_run(tmp_path):
    write_keras_h5(tmp_path / "m" / "a.h5")
    out = tmp_path / "r.json"
    done = run("audit", str(tmp_path / "m"), "-o", str(out), preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_an_explicit_format_wins_over_the_extension(tmp_path):
    write_keras_h5(tmp_path / "m" / "a.h5")
    out = tmp_path / "r.html"
    assert run("audit", str(tmp_path / "m"), "--format", "json", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8"))["version"]


def test_errors_print_once_on_a_terminal(tmp_path):
    write_keras_h5(tmp_path / "t" / "good.h5")
    (tmp_path / "t" / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 20)
    controller, terminal = pty.openpty()
    env = {**os.environ, "MIGRATOR_JOBS": "0", "COLUMNS": "120", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "migrator", "audit", str(tmp_path / "t")],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env=env,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(60) == 2
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "Traceback" not in screen
    error_lines = [line for line in screen.splitlines() if "broken.h5:" in line]
    assert len(error_lines) == 1, screen
    assert "auditing:" in screen  # the progress line was shown (and erased) on the terminal


def test_progress_never_reaches_a_log(tmp_path):
    write_keras_h5(tmp_path / "m.h5")
    done = run("audit", str(tmp_path))
    assert "auditing:" not in done.stderr + done.stdout


def test_a_path_argument_that_cannot_be_read_is_one_line(tmp_path, capsys):
    """Root reads any file, so the unreadable path here is one under a file (ENOTDIR)."""
    write_keras_h5(tmp_path / "m.h5")
    assert main(["audit", str(tmp_path / "m.h5" / "inside.h5"), str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "inside.h5: cannot be read (Not a directory)" in captured.err
    assert "m.h5" in captured.out  # the readable path was audited all the same
    assert main(["inspect", str(tmp_path / "m.h5" / "inside.h5")]) == 2
    assert "cannot be read" in one_line(capsys.readouterr().err)

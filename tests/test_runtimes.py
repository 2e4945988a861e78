"""Managed runtimes without TensorFlow: where the cache is, which folders count as installed, what
happens to an install that fails or is killed, and what `migrator runtimes` prints.

Real interpreters and real folders throughout: the dev venv's python stands in where an env's
interpreter is needed (it has no TensorFlow, which is exactly what a damaged env looks like), a
real `venv` + `pip` run is made to fail, and a real install is killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.convert import managed, runtimes
from migrator.errors import InstallFailed
from migrator.knowledge import tf_lines

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty managed cache, and no runtime named by the environment."""
    root = tmp_path / "runtimes"
    monkeypatch.setenv(managed.ENV_DIR, str(root))
    for name in tf_lines.ENV_NAMES:
        monkeypatch.delenv(runtimes.env_variable(name), raising=False)
    monkeypatch.chdir(tmp_path)
    return root


def _fake_complete_env(
    root: Path, name: str, tensorflow: str = "2.15.1", folder_name: str | None = None
) -> Path:
    """A folder that looks like a finished install: its python is the dev venv's (no TF)."""
    folder = root / (folder_name or name)
    python = managed.interpreter(folder)
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    marker = {
        "schema": managed.MARKER_SCHEMA,
        "runtime": name,
        "pins": tf_lines.by_env(name).pins(),
        "versions": {"tensorflow": tensorflow},
    }
    (folder / managed.MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return folder


def test_cache_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(managed.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    assert managed.cache_dir() == tmp_path / "xdg" / "migrator" / "runtimes"
    (project / "pyproject.toml").write_text(
        '[tool.migrator]\nruntimes-dir = "envs"\n', encoding="utf-8"
    )
    sub = project / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the nearest pyproject above; a relative path is the file's
    assert managed.cache_dir() == project / "envs"
    monkeypatch.setenv(managed.ENV_DIR, str(tmp_path / "env-wins"))
    assert managed.cache_dir() == tmp_path / "env-wins"


def test_runtimes_dir_must_be_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(managed.ENV_DIR, raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\nruntimes-dir = 3\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception, match="runtimes-dir .* must be a folder path"):
        managed.cache_dir()


def test_audit_config_accepts_the_runtimes_dir_key(tmp_path: Path) -> None:
    from migrator.rules.config import load_config

    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\nruntimes-dir = "envs"\nfail-on = "high"\n', encoding="utf-8"
    )
    assert load_config([tmp_path]).fail_on == "high"


def test_folders_that_are_not_finished_installs_are_never_used(cache: Path) -> None:
    assert managed.inspect("tf215") is None
    (cache / "tf215" / "bin").mkdir(parents=True)
    found = managed.inspect("tf215")
    assert found is not None and not found.usable
    assert "no completion marker" in found.problem
    (cache / "tf215" / managed.MARKER).write_text("{not json", encoding="utf-8")
    assert "unreadable completion marker" in managed.inspect("tf215").problem
    (cache / "tf215" / managed.MARKER).write_text(
        json.dumps({"runtime": "tf215", "pins": {"tensorflow-cpu": "2.0.0"}}), encoding="utf-8"
    )
    assert "other pins" in managed.inspect("tf215").problem
    assert managed.verified_python("tf215") is None
    assert runtimes.find("tf215") is None


def test_a_complete_marker_over_a_broken_env_is_not_used(cache: Path) -> None:
    """The marker says TF 2.15.1, the interpreter has none: probing catches the damage."""
    folder = _fake_complete_env(cache, "tf215")
    found = managed.inspect("tf215")
    assert found is not None and found.usable and found.python == managed.interpreter(folder)
    assert managed.verified_python("tf215") is None
    assert [origin for origin, _ in runtimes.candidates("tf215")] == []


def test_partial_builds_are_listed_never_used_and_removed(cache: Path) -> None:
    partial = cache / f"{managed.PARTIAL_PREFIX}tf215-abc"
    _fake_complete_env(
        cache, "tf215", folder_name=partial.name
    )  # even a partial that looks complete inside
    assert managed.partial_builds() == [partial]
    assert managed.inspect("tf215") is None
    assert managed.remove("tf215") is True
    assert not partial.exists()
    assert managed.remove("tf215") is False


def test_environment_and_pyproject_come_before_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\nruntimes = {tf215 = "envs/py"}\n', encoding="utf-8"
    )
    monkeypatch.setenv("MIGRATOR_RUNTIME_TF215", "/somewhere/python")
    assert [(o, str(p)) for o, p in runtimes.candidates("tf215")] == [
        ("MIGRATOR_RUNTIME_TF215", "/somewhere/python"),
        ("[tool.migrator] runtimes", str(tmp_path / "envs" / "py")),
    ]


def test_python_too_new_for_a_line_names_the_python_and_the_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    older = f"{sys.version_info[0]}.{sys.version_info[1] - 1}"
    line = tf_lines.TFLine("2.12", tensorflow="2.12.1", keras="2.12.0", python_max=older)
    monkeypatch.setattr(tf_lines, "TF_LINES", (line, *tf_lines.TF_LINES[1:]))
    problem = managed.check_host("tf212", Path(sys.executable))
    assert f"Python {older} only" in problem and f"Python {here}" in problem
    assert f"--python /path/to/python{older}" in problem
    assert "MIGRATOR_RUNTIME_TF212" in problem
    assert managed.check_host("tf221", Path(sys.executable)) == ""


def test_version_probe_of_a_real_interpreter() -> None:
    info = runtimes.probe(sys.executable)
    assert info is not None and info["python"] == sys.version.split()[0]
    assert info["tensorflow"] is None  # the core env has no TensorFlow
    assert managed.python_version(Path(sys.executable)) == info["python"]
    assert managed.python_version(Path("/nonexistent/python")) is None


def test_install_refuses_a_python_that_does_not_run(cache: Path) -> None:
    with pytest.raises(InstallFailed, match="does not run"):
        managed.install("tf221", python=Path("/nonexistent/python3"))
    assert not cache.exists() or list(cache.iterdir()) == []


def test_killed_install_is_never_used(cache: Path) -> None:
    """SIGKILL an install mid-way (after its env exists, while pip works): nothing usable is
    left, `list` points at the debris, `remove` clears it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator.cli", "runtimes", "install", "tf221"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            partials = managed.partial_builds()
            if partials and managed.interpreter(partials[0]).exists():
                time.sleep(1.0)  # pip is now resolving the pins
                break
            assert proc.poll() is None, "the install ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the install never created its env")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (cache / "tf221").exists()
    assert managed.inspect("tf221") is None and runtimes.find("tf221") is None
    out = subprocess.run(
        [sys.executable, "-m", "migrator.cli", "runtimes", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "an install that was stopped; never used" in out
    assert main(["runtimes", "remove", "tf221"]) == 0
    assert managed.partial_builds() == []


def test_runtimes_list_and_path(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runtimes", "list"]) == 0
    out = capsys.readouterr().out
    for name in tf_lines.ENV_NAMES:
        assert f"migrator runtimes install {name}" in out.replace("\n", " ").replace("│", "")
    assert "validates every output" in out
    assert main(["runtimes", "path", "tf215"]) == 2
    err = capsys.readouterr().err
    assert "run `migrator runtimes install tf215`" in err and "MIGRATOR_RUNTIME_TF215" in err
    assert main(["runtimes", "install", "tf999"]) == 2
    assert "unknown runtime 'tf999'" in capsys.readouterr().err


def test_missing_newest_runtime_names_the_install_command(cache: Path) -> None:
    with pytest.raises(Exception) as info:
        runtimes.latest()
    assert "migrator runtimes install tf221" in str(info.value)


def test_install_runtimes_that_fails_stops_before_converting(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`convert --install-runtimes` with an index that has no TensorFlow: one line saying
    nothing was installed, exit 2, no traceback, nothing converted or left in the cache."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "no-wheels-here"))
    monkeypatch.setenv("PIP_CONSTRAINT", "")
    # where uv is on PATH (tox puts the env's bin first, and uv is in the test extra) it makes
    # the env instead of pip: offline with an empty cache, it cannot find TensorFlow either
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-uv-cache"))
    source = REPO / "corpus" / "generated" / "tf215" / "keras" / "functional" / "save-h5"
    out = tmp_path / "out"
    assert main(["convert", str(source), "-o", str(out), "--install-runtimes"]) == 2
    err = capsys.readouterr().err
    assert "nothing was installed" in err and "Traceback" not in err
    assert not out.exists()
    assert [p for p in cache.iterdir() if not p.name.startswith(".")] == []
    assert managed.partial_builds() == []


def test_install_commands_ignore_the_callers_constraints_file(monkeypatch) -> None:
    """tox sets PIP_CONSTRAINT to its own env's pins (TF 2.21), which conflict with every other
    line's pins: a runtime install must not inherit it (it failed with ResolutionImpossible)."""
    from migrator.convert import managed

    monkeypatch.setenv("PIP_CONSTRAINT", "/somewhere/corpus/constraints/tf221.txt")
    monkeypatch.setenv("PIP_INDEX_URL", "http://mirror.invalid/simple")
    env = managed._install_env()
    assert "PIP_CONSTRAINT" not in env
    assert env["PIP_INDEX_URL"] == "http://mirror.invalid/simple"
    assert env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"


# ---------------------------------------------------------------- uv, or venv + pip
# Real tools, real processes: each install below is pointed at an index that cannot serve the
# pins (pip: no index and an empty find-links folder; uv: offline with an empty cache), so it
# fails in seconds after the tool made the env; what is checked is which tool ran and that
# nothing is left behind. The successful installs with each tool (TensorFlow downloaded,
# minutes) are in tests/test_runtimes_install.py, in the tf221 env.


def uv_executable() -> str | None:
    """The uv of the test env (next to this interpreter) or on PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() else shutil.which("uv")


def path_without_uv() -> str:
    """PATH less every folder holding a `uv`: what a machine without uv looks like."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and not (Path(f) / "uv").exists())


def test_without_uv_the_env_is_made_by_venv_and_filled_by_pip(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_without_uv())
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(cache.parent / "no-wheels-here"))
    monkeypatch.setenv("PIP_CONSTRAINT", "")
    lines: list[str] = []
    with pytest.raises(InstallFailed, match=r"pip.*failed .*nothing was installed") as caught:
        managed.install("tf221", say=lines.append)
    assert any("creating the env with venv" in line for line in lines), lines
    assert any(line.endswith("with pip") for line in lines), lines
    assert "uv" not in str(caught.value).split("failed")[0]
    assert list(cache.iterdir()) == []  # the half-made env is gone
    assert runtimes.find("tf221") is None


def test_with_uv_installed_the_env_is_made_and_filled_by_uv(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uv = uv_executable()
    if uv is None:
        if os.environ.get("CI"):
            pytest.fail("uv is missing from the test env (it is in the `test` extra)")
        pytest.skip("uv is not installed here (pip install uv)")
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(uv).parent), path_without_uv()]))
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(cache.parent / "empty-uv-cache"))
    lines: list[str] = []
    with pytest.raises(InstallFailed, match=r"`\S*uv pip install --python .*nothing was installed"):
        managed.install("tf221", say=lines.append)
    assert any("creating the env with uv" in line for line in lines), lines
    assert any(line.endswith("with uv") for line in lines), lines
    assert list(cache.iterdir()) == []
    assert runtimes.find("tf221") is None

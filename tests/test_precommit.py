"""The pre-commit hooks (`.pre-commit-hooks.yaml`), run by the real pre-commit against a temporary
git repository holding a legacy training script: the audit hook fails, the fix hook rewrites the
file (which pre-commit reports as a failure), and a second run of each passes.

`pre-commit try-repo` installs the hook environment from this repository with pip, exactly as a
user's pre-commit would (offline here: pip's configured index). It is given `--ref` of the
checkout's HEAD so all four runs share one installed environment; the hooks therefore run the
committed code. The environment lives in `PRE_COMMIT_HOME` when the caller sets it (reused
between sessions), else in a temporary folder (the first install takes a minute or two).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

LEGACY = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save_weights("w.weights.h5", save_format="h5")
model.save("model.keras", save_format="keras")
"""

FIXED = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save_weights("w.weights.h5")
model.save("model.keras")
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of migrator")
    home = os.environ.get("PRE_COMMIT_HOME") or str(tmp_path_factory.mktemp("pre-commit-home"))
    return dict(os.environ, PRE_COMMIT_HOME=home, PRE_COMMIT_COLOR="never")


def _try(repo: Path, hook: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    head = _git(REPO, "rev-parse", "HEAD")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--ref", head]
        + ["--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_audit_fails_fix_rewrites_second_run_passes(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "test@example.com")
    _git(repo, "config", "user.name", "test")
    script = repo / "train.py"
    script.write_text(LEGACY, encoding="utf-8")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-qm", "legacy")

    audit = _try(repo, "migrator-audit", env)
    assert audit.returncode == 1, audit.stdout + audit.stderr
    assert "train.py:4:36: MIG202 " in audit.stdout
    assert script.read_text(encoding="utf-8") == LEGACY  # the audit hook never writes

    fix = _try(repo, "migrator-fix", env)
    assert fix.returncode == 1, fix.stdout + fix.stderr  # pre-commit fails a hook that modifies
    assert "files were modified by this hook" in fix.stdout
    assert script.read_text(encoding="utf-8") == FIXED

    again = _try(repo, "migrator-fix", env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert script.read_text(encoding="utf-8") == FIXED

    audit = _try(repo, "migrator-audit", env)
    assert audit.returncode == 0, audit.stdout + audit.stderr

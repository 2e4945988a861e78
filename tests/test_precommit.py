"""The pre-commit hooks (`.pre-commit-hooks.yaml`), run by the real pre-commit against a temporary
git repository holding a legacy training script: the audit hook fails, the fix hook rewrites the
file (which pre-commit reports as a failure), and a second run of each passes.

`pre-commit try-repo` installs the hook environment from this repository with pip into a fresh
temporary store on every call, exactly as a user's pre-commit would (offline here: pip's
configured index), which takes a minute or more; so each run tries both hooks at once, in the
manifest's order (audit, then fix), and the test makes two runs. It is given `--ref` of the
checkout's HEAD: the hooks run the committed code, not a shadow commit of work in progress.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# pre-commit builds a fresh hook environment on every try-repo call (~50 s): tox -e integration.
pytestmark = pytest.mark.slow

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
    home = str(tmp_path_factory.mktemp("pre-commit-home"))  # its log; try-repo stores envs apart
    return dict(os.environ, PRE_COMMIT_HOME=home, PRE_COMMIT_COLOR="never")


def _try(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <migrator> --ref HEAD --all-files`: every hook of the manifest."""
    head = _git(REPO, "rev-parse", "HEAD")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "--ref", head, "--all-files"],
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

    first = _try(repo, env)
    out = first.stdout
    assert first.returncode == 1, out + first.stderr
    audit, _, fix = out.partition("migrator fix")
    assert "migrator audit" in audit and "Failed" in audit, out
    assert "train.py:4:36: MIG202 " in audit  # concise output, 1-based column of `save_format`
    assert "Failed" in fix and "files were modified by this hook" in fix, out
    assert script.read_text(encoding="utf-8") == FIXED

    second = _try(repo, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("Passed") == 2, second.stdout
    assert script.read_text(encoding="utf-8") == FIXED

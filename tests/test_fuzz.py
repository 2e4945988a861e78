"""A short seeded slice of the fuzz harness (benchmarks/fuzz.py) as part of the core suite.

The same harness runs >= 300,000 inputs in `tox -e fuzz`; here 120 mutated inputs of
every format go through the real worker pool in a real subprocess, and none may end in an
uncaught exception, an "internal error" line, a model-named file without a line, or a hang.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_seeded_fuzz_slice_finds_nothing(tmp_path: Path) -> None:
    out = tmp_path / "fuzz.json"
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "fuzz.py"),
            "--inputs",
            "120",
            "--seed",
            "20261206",
            "--batch",
            "120",
            "--jobs",
            "2",
            "--timeout",
            "3",
            "--quiet",
            "--json",
            str(out),
            "--keep",
            str(tmp_path / "finds"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    figures = json.loads(out.read_text())
    assert figures["complete"] is True and figures["inputs"] == 120
    assert len(figures["by_reader"]) >= 8  # every reader got inputs, TF.js and TFLite included
    for key in ("uncaught", "internal_errors", "model_named_files_without_a_line"):
        assert figures[key] == 0, (key, figures["examples"])
    assert figures["artifacts_with_error_lines"] > 0  # the mutations did damage files
    assert run.returncode == 0, run.stderr[-2000:]

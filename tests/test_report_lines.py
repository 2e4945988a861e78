"""The line-oriented outputs: `--format concise` (ruff's `path:line:col: ID message`), `--format
github` (workflow annotations) and `--statistics` (findings per rule), on a real audit of code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.report.github import escape_data, escape_property

LEGACY = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save("export_dir")
model.save("m.h5",  save_format="h5")
"""


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text(LEGACY, encoding="utf-8")
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# x"},
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": "import tensorflow as tf\nm = tf.keras.Sequential()\nm.save('out')",
            },
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "nb.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _audit(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    main(["audit", ".", "--jobs", "0", *args])
    return capsys.readouterr().out.splitlines()


def test_concise_lines_are_ruff_shaped_and_1_based(tree: Path, capsys) -> None:
    lines = _audit(capsys, "--format", "concise")
    pattern = re.compile(r"^(?P<path>[^:]+(?::cell \d+)?):(?P<line>\d+):(?P<col>\d+): (MIG\d{3}) ")
    findings = [ln for ln in lines if pattern.match(ln)]
    assert lines[-1].startswith(f"Found {len(findings)} findings.")
    assert "MIG201" in lines[-1]  # names the rules `migrator fix` can rewrite
    assert findings[0].startswith("nb.ipynb:cell 2:3:1: MIG201 `m.save('out')`")
    assert any(ln.startswith("src/train.py:4:1: MIG201 ") for ln in findings)
    # The keyword argument's own column, counted from 1 as editors do.
    col = LEGACY.splitlines()[4].index("save_format") + 1
    assert any(ln.startswith(f"src/train.py:5:{col}: MIG202 ") for ln in findings)
    assert all("\n" not in ln for ln in findings)


def test_concise_on_a_clean_tree(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "ok.py").write_text("import keras\nkeras.Sequential().save('m.keras')\n")
    monkeypatch.chdir(tmp_path)
    assert _audit(capsys, "--format", "concise") == ["All checks passed!"]


def test_github_annotations(tree: Path, capsys) -> None:
    lines = _audit(capsys, "--format", "github")
    assert all(ln.startswith(("::error ", "::warning ", "::notice ")) for ln in lines), lines
    folder = next(ln for ln in lines if "file=src/train.py,line=4," in ln)
    assert folder.startswith("::error file=src/train.py,line=4,col=1,title=MIG201 ")
    assert "keras-save-savedmodel-dir::" in folder
    notebook = next(ln for ln in lines if "file=nb.ipynb" in ln)
    assert "line=" not in notebook.split("::")[1]  # a .ipynb line would be a line of its JSON
    assert "::Cell 2, line 3: " in notebook


def test_github_escaping() -> None:
    assert escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_statistics(tree: Path, capsys) -> None:
    lines = _audit(capsys, "--statistics")
    rows = [ln.split("\t") for ln in lines]
    assert rows[0] == ["2", "MIG201", "[*] keras-save-savedmodel-dir"]
    assert {r[1] for r in rows} >= {"MIG201", "MIG202", "MIG203"}
    counts = [int(r[0]) for r in rows]
    assert counts == sorted(counts, reverse=True)

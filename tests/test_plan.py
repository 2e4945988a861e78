"""`migrator convert --plan`: decided from readings only, on the project's generated corpus.

Each case is a real artifact written by tf.keras 2.15 (`corpus/generated/tf215`); the plan must
say what it becomes, by which steps and runtimes, or what blocks it, without TensorFlow and
without writing anything to the output folder.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.convert import Options, managed, runtimes
from migrator.convert.plan import SECONDS_PER_MODEL, SECONDS_PER_RUNTIME_START, make_plan
from migrator.knowledge import tf_lines

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "generated" / "tf215" / "keras"


@pytest.fixture
def no_runtimes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(managed.ENV_DIR, str(tmp_path / "empty-cache"))
    for name in tf_lines.ENV_NAMES:
        monkeypatch.delenv(runtimes.env_variable(name), raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small store: a Keras 2 HDF5, a Lambda model, a custom-class model, weights alone, and
    a SavedModel export that is already current."""
    root = tmp_path / "store"
    for rel in (
        "functional/save-h5",
        "lambda/save-h5",
        "custom/save-h5",
        "functional/weights-h5",
        "functional/export",
    ):
        shutil.copytree(CORPUS / rel, root / rel)
    return root


def test_plan_of_a_store(tree: Path, tmp_path: Path, no_runtimes: None) -> None:
    plan = make_plan(tree, tmp_path / "out", Options())
    by_path = {a.path.split("/", 1)[0] + "/" + a.path.split("/")[1]: a for a in plan.artifacts}
    h5 = by_path["functional/save-h5"]
    assert h5.status == "convert" and h5.kind == "keras-h5"
    assert h5.targets == [
        {"target": "keras", "steps": ["h5-to-keras"], "runtimes": ["tf215", "tf221"]}
    ]
    lam = by_path["lambda/save-h5"]
    assert lam.status == "blocked" and "Lambda" in lam.reason
    assert [b["kind"] for b in lam.blockers] == ["lambda"] and lam.blockers[0]["names"]
    custom = by_path["custom/save-h5"]
    assert custom.status == "blocked"
    assert any(
        b["kind"] == "custom-classes" and any("ScaleShift" in n for n in b["names"])
        for b in custom.blockers
    )
    weights = by_path["functional/weights-h5"]
    assert weights.status == "blocked" and weights.blockers[0]["kind"] == "architecture"
    assert by_path["functional/export"].status == "current"
    assert plan.missing_runtimes() == ["tf215", "tf221"]
    assert plan.estimate_seconds() == SECONDS_PER_MODEL + 2 * SECONDS_PER_RUNTIME_START
    assert any("ScaleShift" in name for name in plan.custom_classes())
    assert not (tmp_path / "out").exists()


def test_custom_objects_and_unsafe_lift_the_blockers(
    tree: Path, tmp_path: Path, no_runtimes: None
) -> None:
    plan = make_plan(tree, tmp_path / "out", Options(custom_objects=("mine",), unsafe=True))
    statuses = {a.path.split("/")[0] + "/" + a.path.split("/")[1]: a.status for a in plan.artifacts}
    assert statuses["lambda/save-h5"] == "convert"
    assert statuses["custom/save-h5"] == "convert"


def test_plan_json_from_the_command_line(
    tree: Path, tmp_path: Path, no_runtimes: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["convert", str(tree), "-o", str(out), "--plan", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == 1
    assert data["summary"] == {
        "convert": 1,
        "blocked": 3,
        "current": 1,
        "no-path": 0,
        "unreadable": 0,
    }
    assert data["install"] == "migrator runtimes install tf215 tf221"
    assert data["runtimes"]["tf215"] == {
        "artifacts": 1,
        "available": False,
        "install": "migrator runtimes install tf215",
    }
    assert data["estimate"]["measured_by"] == "benchmarks/plan_cost_bench.py"
    assert [a["path"] for a in data["artifacts"]] == sorted(a["path"] for a in data["artifacts"])
    assert not out.exists()
    assert "tensorflow" not in sys.modules


def test_plan_table_says_what_to_do_first(
    tree: Path, tmp_path: Path, no_runtimes: None, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "plan.json"
    assert (
        main(["convert", str(tree), "-o", str(tmp_path / "o"), "--plan", "--report", str(report)])
        == 0
    )
    text = " ".join(capsys.readouterr().out.split())
    assert "h5-to-keras in tf215, tf221" in text
    assert "install first: `migrator runtimes install tf215 tf221`" in text
    assert "refused: Lambda layer(s)" in text
    assert "estimated time:" in text
    assert json.loads(report.read_text())["summary"]["convert"] == 1


def test_convert_table_keeps_brackets_in_messages() -> None:
    """Rich markup once ate `[tf]` of `migrator[tf]` and `[tool.migrator]` in reasons."""
    from migrator.convert.converter import Outcome
    from migrator.convert.summary import render_table
    from migrator.convert.tree import ConvertReport

    report = ConvertReport(root="in", out="out")
    reason = "install migrator[tf], or add runtimes under [tool.migrator]"
    report.outcomes.append(Outcome("[a].h5", "keras-h5", "failed", reason=reason))
    report.errors.append("bad [bold]thing[/bold]")
    text = " ".join(render_table(report, width=300).split())
    assert reason in text and "[a].h5" in text and "bad [bold]thing[/bold]" in text


def test_a_plan_of_a_missing_path_is_an_error(tmp_path, capsys):
    """Exit 2 as the conversion itself gives: the plan names the path and what to do."""
    code = main(["convert", str(tmp_path / "nope"), "-o", str(tmp_path / "o"), "--plan"])
    assert code == 2
    assert "no such file or folder" in capsys.readouterr().out
    assert not (tmp_path / "o").exists()


def fake_runtime(folder: Path) -> tuple[Path, Path]:
    """An interpreter that answers migrator's version probe as a TF 2.21 env would and records
    anything else it is asked to run (a worker start) in its log, then fails."""
    log = folder / "started.log"
    script = folder / "python"
    script.write_text(
        "#!/bin/sh\n"
        'case "$2" in *importlib.metadata*)\n'
        '  echo \'{"python": "3.11.9", "tensorflow": "2.21.0", "keras": "3.15.1", '
        '"tf_keras": null, "h5py": "3.14.0", "numpy": "2.1.3"}\'; exit 0;;\n'
        "esac\n"
        f'echo "$@" >> "{log}"\n'
        "exit 3\n"
    )
    script.chmod(0o755)
    return script, log


def test_to_mlflow_of_a_model_outside_an_mlflow_folder_is_refused_by_the_planner(
    tmp_path: Path,
    no_runtimes: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--to mlflow` needs the MLflow folder keras-to-mlflow rewrites: an .h5 on its own is
    refused when planned (and in `--plan`), before h5-to-keras loads it in a runtime."""
    source = CORPUS / "functional" / "save-h5" / "model.h5"
    python, log = fake_runtime(tmp_path)
    for name in tf_lines.ENV_NAMES:
        monkeypatch.setenv(runtimes.env_variable(name), str(python))
    runtimes.probe.cache_clear()

    planned = make_plan(source, tmp_path / "out", Options(targets=("mlflow",)))
    (item,) = planned.artifacts
    assert item.status == "no-path" and not item.targets
    assert item.reason.startswith("--to mlflow rewrites an MLflow model folder")
    assert "convert the MLflow folder itself" in item.reason and "\n" not in item.reason
    both = make_plan(source, tmp_path / "out", Options(targets=("keras", "mlflow")))
    (item,) = both.artifacts
    assert item.status == "convert" and [t["target"] for t in item.targets] == ["keras"]
    assert item.reason.startswith("mlflow: --to mlflow rewrites an MLflow model folder")

    out = tmp_path / "converted"
    code = main(["convert", str(source), "-o", str(out), "--to", "mlflow", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["summary"] == {"converted": 0, "skipped": 1, "failed": 0}
    assert report["skipped"][0]["reason"].startswith("--to mlflow rewrites an MLflow model")
    assert not log.exists()  # no runtime was started for it
    assert not [p for p in out.rglob("*") if p.is_dir()]  # no model folder, no version

    # the same source and fake runtime with a target that has a path: the runtime is started
    code = main(["convert", str(source), "-o", str(out), "--to", "keras", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code != 0 and report["summary"]["failed"] == 1
    assert log.exists()


def test_the_planner_stays_callable_once_the_plan_module_is_imported() -> None:
    """Importing `migrator.convert.plan` rebinds the package's `plan` to that module; what a
    Ray worker runs for every conversion it is sent must plan the second one too."""
    import importlib

    import migrator.convert
    from migrator.audit import audit
    from migrator.backends.ray_tasks import needed_runtimes
    from migrator.convert.classify import classify

    importlib.import_module("migrator.convert.plan")
    assert not callable(migrator.convert.plan)  # the shadowing this guards against
    (artifact,) = audit([CORPUS / "functional" / "save-h5" / "model.h5"]).artifacts
    source = classify(artifact, Options())
    newest = tf_lines.newest().env
    assert needed_runtimes(source, Options()) == needed_runtimes(source, Options())
    assert needed_runtimes(source, Options())[-1] == newest

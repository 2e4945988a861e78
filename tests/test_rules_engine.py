"""The rules engine: registry, the artifact judge, the meta-test over every rule, config, CLI.

The meta-test covers every family that has registered rules: each rule needs a title, a doc with
a `Fix:` paragraph, a severity, versions, and case files in `tests/cases/<family>/<id>/positive/`
and `.../negative/`. Artifact and security cases are files or folders that `migrator audit`
reads: every positive entry must yield the rule, no negative entry may.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import h5py
import pytest

import migrator.rules as rules_package
from migrator.audit import audit
from migrator.cli import main
from migrator.errors import UsageError
from migrator.model import SEVERITIES, Artifact, Reading
from migrator.rules import (
    CONVERSIONS,
    FAMILIES,
    Hit,
    Rule,
    all_rules,
    artifact_rule,
    check_artifact,
    check_source,
    get_rule,
)
from migrator.rules.config import Config, find_pyproject, load_config, read_config

CASES = Path(__file__).parent / "cases"
SEEDS = CASES / "seeds"


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Rule]:
    """A private copy of the registry, so rules defined by a test vanish after it."""
    all_rules()  # load the family modules first
    copy = dict(rules_package._REGISTRY)
    monkeypatch.setattr(rules_package, "_REGISTRY", copy)
    return copy


def keras_h5(path: Path, keras_version: str = "2.3.1") -> Path:
    """A minimal Keras HDF5 model file (attributes and groups only)."""
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": []}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        f.create_group("model_weights")
    return path


# --- registry ----------------------------------------------------------------------------------


def test_rules_are_sorted_and_found_by_id_or_name() -> None:
    rules = all_rules()
    assert [r.id for r in rules] == sorted(r.id for r in rules)
    assert get_rule("MIG201") is get_rule("mig201") is get_rule("keras-save-savedmodel-dir")
    with pytest.raises(KeyError, match="no rule 'MIG999'; `migrator rules` lists them"):
        get_rule("MIG999")
    assert all(r in all_rules(r.target) for r in rules)


def _rule(**changes: object) -> Rule:
    base = dict(
        id="MIG197",
        name="test-rule",
        title="t",
        severity="low",
        family="artifact",
        target="artifact",
        doc="Why.\n\nFix: do it.",
        breaks_in="Keras 3.0",
    )
    base.update(changes)
    return Rule(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "MIG15"}, "is not MIG1xx/MIG2xx/MIG3xx"),
        ({"id": "MIG250"}, "belongs to family 'code'"),
        ({"name": "Test_Rule"}, "is not kebab-case"),
        ({"severity": "severe"}, "is not one of info, low, medium, high, critical"),
        ({"doc": " "}, "has no doc"),
        ({"breaks_in": ""}, "names no version"),
        ({"convert": "magic"}, "convert 'magic' is not one of"),
        ({"target": "graph"}, "target 'graph'"),
        ({"id": "MIG201", "family": "code"}, "already used by MIG201"),
        ({"name": "keras-save-h5"}, "already used by MIG203"),
    ],
)
def test_register_refuses_incomplete_rules(
    registry: dict[str, Rule], changes: dict[str, object], message: str
) -> None:
    from migrator.rules import register

    with pytest.raises(ValueError, match=re.escape(message)):
        register(_rule(**changes))


def test_fix_is_the_docs_fix_paragraph() -> None:
    rule = _rule(doc="Why it breaks.\n\nFix: save to `.keras`\nand load that.\n\nMore notes.")
    assert rule.fix == "save to `.keras` and load that."
    assert rule.to_json()["fix"] == rule.fix
    assert rule.versions == {"breaks": "Keras 3.0"}
    assert _rule().matches("MIG1") and _rule().matches("artifact") and not _rule().matches("MIG2")


# --- the artifact judge ------------------------------------------------------------------------


def test_artifact_rule_defined_by_decorator_runs_in_audit(
    registry: dict[str, Rule], tmp_path: Path
) -> None:
    @artifact_rule(
        "MIG197",
        "test-keras-2-h5",
        title="HDF5 model written by Keras 2",
        severity="medium",
        breaks_in="never: a test rule",
        convert="h5-to-keras",
        formats=("keras-h5",),
    )
    def keras2_h5(artifact: Artifact) -> Hit | None:
        """Keras 2 wrote this file.

        Fix: convert it.
        """
        version = artifact.producer.get("keras_version", "")
        if version.startswith("2."):
            return Hit(f"written by Keras {version}", "convert it with `migrator convert`")
        return None

    rule = get_rule("MIG197")
    assert rule in all_rules("artifact") and rule not in all_rules("code")
    assert rule.family == "artifact" and rule.doc.startswith("Keras 2 wrote this file.")
    assert rule.fix == "convert it." and rule.convert == "h5-to-keras"

    def judge(artifact: Artifact) -> Artifact:  # the default judge, minus other artifact rules
        judged = check_artifact(artifact)
        return dataclasses.replace(
            judged, findings=tuple(f for f in judged.findings if f.rule == "MIG197")
        )

    keras_h5(tmp_path / "old.h5", "2.3.1")
    keras_h5(tmp_path / "new.h5", "3.1.0")
    (tmp_path / "train.py").write_text("import keras\nm = keras.Sequential()\nm.save('d')\n")
    report = audit([tmp_path], judges=[judge], code_rules=check_source)
    by_path = {a.path: a for a in report.artifacts}
    (finding,) = by_path["old.h5"].findings
    assert (finding.rule, finding.severity) == ("MIG197", "medium")
    assert finding.message == "written by Keras 2.3.1; convert it with `migrator convert`."
    assert finding.fix == "convert it with `migrator convert`"
    assert by_path["new.h5"].findings == ()
    (source,) = report.sources
    assert [f.rule for f in source.findings] == ["MIG201"]

    ignored = audit([tmp_path], judges=[lambda a: check_artifact(a, Config(ignore=("MIG197",)))])
    assert all(f.rule != "MIG197" for a in ignored.artifacts for f in a.findings)


def test_artifact_rules_respect_formats_and_crashes_become_errors(
    registry: dict[str, Rule],
) -> None:
    @artifact_rule(
        "MIG198",
        "test-only-tflite",
        title="t",
        severity="low",
        breaks_in="never",
        formats=("tflite",),
    )
    def only_tflite(artifact: Artifact) -> Hit:
        """Only TFLite.

        Fix: nothing.
        """
        return Hit("tflite seen", "nothing")

    @artifact_rule("MIG199", "test-crash", title="t", severity="low", breaks_in="never")
    def crash(artifact: Artifact) -> list[Hit]:
        """Always crashes.

        Fix: nothing.
        """
        raise KeyError("missing")

    mine = [get_rule("MIG198"), get_rule("MIG199")]
    artifact = Artifact("m.h5", Path("m.h5"), Reading("keras-h5"))
    judged = check_artifact(artifact, rules=mine)
    assert judged.findings == ()
    assert judged.errors == (
        "internal error in rule MIG199 (KeyError: 'missing'); please report this artifact to "
        "the migrator maintainers",
    )
    tflite = check_artifact(
        Artifact("m.tflite", Path("m.tflite"), Reading("tflite")),
        Config(ignore=("MIG199",)),
        rules=mine,
    )
    assert [f.rule for f in tflite.findings] == ["MIG198"] and tflite.errors == ()
    untouched = Artifact("x", Path("x"), Reading("tflite"))
    assert check_artifact(untouched, rules=[]) is untouched


# --- the meta-test -----------------------------------------------------------------------------


def _entries(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "_")))


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_every_rule_is_documented_and_has_cases(rule: Rule) -> None:
    assert rule.family in FAMILIES.values()
    assert rule.title.strip(), f"{rule.id} has no title"
    assert rule.severity in SEVERITIES
    assert rule.doc.strip(), f"{rule.id} has no doc"
    assert rule.fix, f"{rule.id}: its doc needs a paragraph starting with 'Fix:'"
    assert rule.versions, f"{rule.id} names no version where the pattern breaks or is deprecated"
    assert not rule.convert or rule.convert in CONVERSIONS
    folder = CASES / rule.family / rule.id
    for kind in ("positive", "negative"):
        assert _entries(
            folder / kind
        ), f"{rule.id} ({rule.name}) has no {kind} case: add a file to {folder / kind}"


def test_every_family_with_rules_has_a_case_folder_per_rule() -> None:
    known = {(r.family, r.id) for r in all_rules()}
    for family in FAMILIES.values():
        root = CASES / family
        if not root.is_dir():
            continue
        stray = [p.name for p in root.iterdir() if p.is_dir() and (family, p.name) not in known]
        assert not stray, f"case folders for unknown {family} rules: {stray}"


def materialise(entry: Path, scratch: Path) -> Path:
    """The artifact a case entry stands for: the entry itself, or what its generator builds.

    A `*.gen.py` entry is a small script with `build(folder: Path) -> Path` that writes the
    artifact (with h5py, zipfile, protobuf) into `folder`, for cases that are better generated
    than committed as bytes.
    """
    if not entry.name.endswith(".gen.py"):
        return entry
    spec = importlib.util.spec_from_file_location(f"case_{abs(hash(entry))}", entry)
    assert spec is not None and spec.loader is not None, entry
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = scratch / entry.name.removesuffix(".gen.py")
    folder.mkdir(parents=True)
    return Path(module.build(folder))


def artifact_case_failures(rules: list[Rule], cases: Path, scratch: Path) -> list[str]:
    """Run every artifact case under `cases`; what went wrong, one line per case."""
    failures = []
    for rule in rules:
        for kind in ("positive", "negative"):
            for entry in _entries(cases / rule.family / rule.id / kind):
                target = materialise(entry, scratch / rule.id / kind)
                report = audit([target], judges=[lambda a, r=rule: check_artifact(a, rules=[r])])
                fired = [f for a in report.artifacts for f in a.findings if f.rule == rule.id]
                if kind == "positive" and not fired:
                    failures.append(f"{entry}: {rule.id} did not fire")
                if kind == "negative" and fired:
                    failures.append(f"{entry}: {rule.id} fired: {[f.message for f in fired]}")
    return failures


def test_artifact_and_security_cases(tmp_path: Path) -> None:
    assert artifact_case_failures(list(all_rules("artifact")), CASES, tmp_path) == []


def test_artifact_case_runner_catches_wrong_cases(
    registry: dict[str, Rule], tmp_path: Path
) -> None:
    @artifact_rule("MIG196", "test-keras-231", title="t", severity="low", breaks_in="never")
    def keras_231(artifact: Artifact) -> Hit | None:
        """Keras 2.3.1 files.

        Fix: nothing.
        """
        if artifact.producer.get("keras_version") == "2.3.1":
            return Hit("2.3.1", "nothing")
        return None

    folder = tmp_path / "artifact" / "MIG196"
    (folder / "positive").mkdir(parents=True)
    (folder / "negative").mkdir()
    keras_h5(folder / "positive" / "old.h5", "2.3.1")
    keras_h5(folder / "negative" / "new.h5", "3.0.0")
    (folder / "positive" / "generated.gen.py").write_text(
        "import json\n"
        "import h5py\n"
        "def build(folder):\n"
        "    path = folder / 'model.h5'\n"
        "    with h5py.File(path, 'w') as f:\n"
        "        f.attrs['keras_version'] = '2.3.1'\n"
        "        f.attrs['backend'] = 'tensorflow'\n"
        "        f.attrs['model_config'] = json.dumps({'class_name': 'Sequential',"
        " 'config': {'layers': []}})\n"
        "        f.create_group('model_weights')\n"
        "    return path\n"
    )
    rule = get_rule("MIG196")
    assert artifact_case_failures([rule], tmp_path, tmp_path / "scratch1") == []
    keras_h5(folder / "positive" / "wrong.h5", "3.0.0")
    keras_h5(folder / "negative" / "wrong.h5", "2.3.1")
    assert artifact_case_failures([rule], tmp_path, tmp_path / "scratch2") == [
        f"{folder / 'positive' / 'wrong.h5'}: MIG196 did not fire",
        f"{folder / 'negative' / 'wrong.h5'}: MIG196 fired: ['2.3.1; nothing.']",
    ]


# --- config ------------------------------------------------------------------------------------


def write_pyproject(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(f'[project]\nname = "x"\n\n{table}\n', encoding="utf-8")
    return path


def test_nearest_pyproject_with_a_migrator_table_wins(tmp_path: Path) -> None:
    outer = write_pyproject(tmp_path, '[tool.migrator]\nfail-on = "high"')
    inner = tmp_path / "pkg"
    write_pyproject(inner, "[tool.ruff]\nline-length = 100")  # no migrator table: skipped
    (inner / "src").mkdir()
    (inner / "src" / "train.py").write_text("x = 1\n")
    assert find_pyproject(inner / "src" / "train.py") == outer
    assert find_pyproject(inner / "src") == outer
    config = load_config([inner / "src"])
    assert config.fail_on == "high" and config.source == outer
    own = write_pyproject(inner, '[tool.migrator]\nignore = ["MIG203"]')
    assert load_config([inner / "src" / "train.py"]) == Config(ignore=("MIG203",), source=own)


def test_config_values_and_selectors(tmp_path: Path) -> None:
    path = write_pyproject(
        tmp_path,
        '[tool.migrator]\nselect = ["MIG2", "artifact"]\nignore = ["keras-save-h5", "mig204"]\n'
        'fail-on = "medium"',
    )
    config = read_config(path)
    assert config.select == ("MIG2", "artifact") and config.ignore == ("keras-save-h5", "MIG204")
    assert config.enabled(get_rule("MIG201"))
    assert not config.enabled(get_rule("MIG203")) and not config.enabled(get_rule("MIG204"))
    assert config.fails("medium") and config.fails("critical") and not config.fails("low")
    assert not Config().fails("critical")
    cli = config.overridden(select=["MIG207"], fail_on="none")
    assert cli.select == ("MIG207",) and cli.ignore == config.ignore and not cli.fails("critical")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[tool.migrator]\nfail_on = "severe"', "fail-on 'severe' in [tool.migrator] of"),
        ('[tool.migrator]\nfailon = "high"', "unknown key 'failon' in [tool.migrator] of"),
        ('[tool.migrator]\nselect = ["MIG999"]', "'MIG999' names no rule, family or id prefix"),
        ('[tool.migrator]\nignore = "keras-save-h5x"', "'keras-save-h5x' names no rule"),
        ("[tool.migrator]\nselect = [1]", "must be a list of rule ids or names"),
        ("[tool.migrator\nselect = []", "invalid TOML"),
    ],
)
def test_config_mistakes_name_the_file(tmp_path: Path, table: str, message: str) -> None:
    path = write_pyproject(tmp_path, table)
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        load_config([tmp_path])
    assert str(path) in str(info.value)


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_rules_lists_and_documents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "FAMILY", "SEVERITY", "TITLE"]
    for rule in all_rules():
        assert any(line.startswith(f"{rule.id} ") and rule.name in line for line in lines)
    counts = {}
    for rule in all_rules():
        counts[rule.family] = counts.get(rule.family, 0) + 1
    assert f"{len(all_rules())} rules: " in out
    assert all(f"{n} {family}" in out for family, n in counts.items())

    assert main(["rules", "keras-save-weights-name"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MIG204 keras-save-weights-name: ")
    assert "severity:   high" in out and "breaks:     Keras 3.0 / TF 2.16" in out
    assert "convert:    migrator convert (weights-to-keras)" in out
    assert get_rule("MIG204").doc in out

    assert main(["rules", "MIG201", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "MIG201" and data["family"] == "code" and data["fix"]
    assert main(["rules", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(all_rules())

    assert main(["rules", "MIG999"]) == 2
    assert "no rule 'MIG999'" in capsys.readouterr().err


def test_cli_audit_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "seed003.py").write_bytes((SEEDS / "003_35032612f6cf8bd1.py").read_bytes())
    (tree / "seed001.py").write_bytes((SEEDS / "001_c7e1046fb00e681b.py").read_bytes())
    assert main(["audit", str(tree), "--format", "json"]) == 0  # no threshold: report only
    data = json.loads(capsys.readouterr().out)
    rules = sorted(f["rule"] for s in data["sources"] for f in s["findings"])
    assert rules == sorted(["MIG201"] * 2 + ["MIG203"] * 2 + ["MIG204", "MIG205"] + ["MIG207"] * 2)
    assert main(["audit", str(tree), "--fail-on", "high", "--format", "json"]) == 1
    assert main(["audit", str(tree), "--fail-on", "critical", "--format", "json"]) == 0
    assert main(["audit", str(tree), "--fail-on", "low", "--ignore", "MIG2"]) == 0
    assert main(["audit", str(tree), "--fail-on", "low", "--select", "MIG203"]) == 1
    capsys.readouterr()

    write_pyproject(tree, '[tool.migrator]\nfail-on = "low"\nignore = ["MIG201", "MIG207"]')
    assert main(["audit", str(tree), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert "MIG201" not in {f["rule"] for s in data["sources"] for f in s["findings"]}
    assert main(["audit", str(tree), "--fail-on", "none", "--format", "json"]) == 0
    capsys.readouterr()

    (tree / "py2.py").write_text("print 'x'\n")
    assert main(["audit", str(tree), "--format", "json"]) == 2  # errors win over findings
    assert "py2.py: cannot parse as Python 3" in capsys.readouterr().err

    assert main(["audit", str(tree), "--fail-on", "severe"]) == 2
    assert "not a severity" in capsys.readouterr().err
    write_pyproject(tree, '[tool.migrator]\nselect = ["nope"]')
    assert main(["audit", str(tree)]) == 2
    assert "'nope' names no rule" in capsys.readouterr().err


def test_rules_json_record_is_complete() -> None:
    for rule in all_rules():
        record = rule.to_json()
        assert set(record) == {
            "id",
            "name",
            "family",
            "title",
            "severity",
            "versions",
            "convert",
            "fix",
            "doc",
        }
        assert record["versions"] and record["doc"] == rule.doc

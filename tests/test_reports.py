"""Report renderers (table, json, sarif, markdown, html) on reports built from the model directly,
so these tests do not depend on the readers: determinism, content, escaping, SARIF schema
validation, Markdown length budget."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.model import Artifact, Finding, Reading, Report, SourceFile
from migrator.report import RENDERERS, common, html, markdown, renderer, sarif, table
from tests.conftest import REPO

SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
ROOT = Path("/audit/root")
HOSTILE = "models/<script>document.body.setAttribute('data-pwned','1')</script>.h5"
HOSTILE_LAYER = "<img src=x onerror=\"document.title='pwned'\">"


def art(
    path: str, fmt: str, producer=None, details=None, findings=(), errors=(), load=None, files=None
) -> Artifact:
    """An artifact as the audit would produce it for a file (or, with `files`, a folder)."""
    return Artifact(
        path,
        ROOT / path,
        Reading(fmt, producer or {}, details or {}, errors=tuple(errors)),
        tuple(files) if files is not None else (path,),
        tuple(findings),
        load or {},
    )


def sample_report() -> Report:
    """Every kind of content a report holds: findings with and without fixes and lines,
    loadability grids, unreadable artifacts, code findings, report-level errors, a hostile name."""
    artifacts = (
        art(
            "models/keras1_theano.h5",
            "keras-h5",
            {"keras_version": "1.2.2", "backend": "theano"},
            {"model_class": "Sequential"},
            findings=[
                Finding(
                    "TST101",
                    "medium",
                    "Keras 1 HDF5 model; convert it to `.keras`.",
                    fix="Run `migrator convert`.",
                ),
                Finding(
                    "TST301",
                    "critical",
                    "Lambda layer `lambda_1` holds marshalled bytecode.",
                    fix="Replace the Lambda with a registered custom layer.",
                ),
            ],
            load={
                "2.12/keras.load_model": {
                    "verdict": "loads-with-changes",
                    "reason": "Lambda needs safe_mode=False",
                },
                "2.21/keras.load_model": {
                    "verdict": "fails",
                    "reason": "Keras 3 cannot read Keras 1 configs",
                },
                "2.21/tf_keras.load_model": {
                    "verdict": "loads-with-changes",
                    "reason": "Lambda needs safe_mode=False",
                },
            },
        ),
        art(
            "serving/model/00000001",
            "saved-model",
            {"tensorflow_version": "1.15.0"},
            {
                "era": "tf1",
                "keras": False,
                "layout": {"kind": "tf-serving", "version_folder": "00000001"},
            },
            findings=[
                Finding(
                    "TST103", "high", "TF1 graph-only SavedModel.", fix="Load it with tf.compat.v1."
                )
            ],
            load={
                "2.12/tf.saved_model.load": {"verdict": "loads", "reason": ""},
                "2.21/tf.saved_model.load": {"verdict": "loads", "reason": ""},
            },
            files=[
                "serving/model/00000001/variables/variables.index",
                "serving/model/00000001/saved_model.pb",
            ],
        ),
        art(
            "models/broken.keras",
            "keras-v3",
            errors=["zip central directory missing (file truncated?); re-export the model"],
        ),
        art(
            HOSTILE,
            "keras-h5",
            {"keras_version": "2.3.1"},
            findings=[
                Finding(
                    "TST302",
                    "high",
                    f"Layer `{HOSTILE_LAYER}` calls os.system; "
                    "<b>never</b> load it @security-team *now*.",
                )
            ],
        ),
        art(
            "models/current.keras",
            "keras-v3",
            {"keras_version": "3.3.3"},
            load={"2.21/keras.load_model": {"verdict": "loads", "reason": ""}},
        ),
    )
    sources = (
        SourceFile(
            "train.py",
            ROOT / "train.py",
            (
                Finding(
                    "TST201",
                    "medium",
                    "`model.save('export')` writes a legacy SavedModel; save to `export.keras`.",
                    line=12,
                    col=5,
                ),
                Finding(
                    "TST204", "low", "`save_format=` is ignored by Keras 3; drop it.", line=3, col=1
                ),
            ),
        ),
        SourceFile(
            "nb.ipynb", ROOT / "nb.ipynb", errors=("notebook is not valid JSON; re-save it",)
        ),
    )
    return Report(
        ROOT.as_posix(), artifacts, ("unreadable: permission denied; check permissions",), sources
    )


def findings_count(report: Report) -> int:
    return sum(len(a.findings) for a in report.artifacts) + sum(
        len(s.findings) for s in report.sources
    )


# --- every renderer --------------------------------------------------------------------------


def test_every_format_is_registered_and_selectable():
    assert set(RENDERERS) == {
        *("table", "json", "sarif", "markdown", "html", "cyclonedx"),
        *("concise", "github", "statistics"),
    }
    for name in RENDERERS:
        assert callable(renderer(name))
    with pytest.raises(KeyError, match="choose one of"):
        renderer("pdf")


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_same_report_gives_identical_bytes(name, monkeypatch):
    monkeypatch.chdir("/")
    render = renderer(name)
    first = render(sample_report())
    shuffled = sample_report()
    shuffled = replace(
        shuffled,
        artifacts=tuple(reversed(shuffled.artifacts)),
        sources=tuple(reversed(shuffled.sources)),
    )
    assert render(shuffled) == first  # input order does not matter: output is sorted
    assert render(sample_report()) == first
    assert first.endswith("\n")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", first)  # no timestamps


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_empty_report_renders(name):
    text = renderer(name)(Report(root="empty"))
    assert text.strip()


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_cli_selects_the_format_and_writes_files(name, tmp_path, monkeypatch, capsys):
    (tmp_path / "tree").mkdir()
    monkeypatch.chdir(tmp_path)
    out = tmp_path / f"report.{name}"
    assert main(["audit", "tree", "--format", name, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == renderer(name)(Report(root="tree"))
    assert "\x1b[" not in out.read_text(encoding="utf-8")
    assert capsys.readouterr().out == ""


# --- table ----------------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_plain_lists_artifacts_findings_errors_and_summary(monkeypatch):
    monkeypatch.setattr("sys.stdout", io.StringIO())
    text = table.render(sample_report())
    assert "\x1b" not in text
    lines = text[: text.index("\nFindings\n")].splitlines()
    header = lines[0]
    for column in ("PATH", "FORMAT", "PRODUCER", "ERA / NOTES", "WORST", "ERROR"):
        assert column in header
    row = {line.split()[0]: line for line in lines if line.startswith(("models/", "serving/"))}
    assert set(row) == {a.path for a in sample_report().artifacts}  # paths never folded
    assert "keras 1.2.2, theano" in row["models/keras1_theano.h5"]
    assert "Keras 1" in row["models/keras1_theano.h5"]
    assert "CRITICAL" in row["models/keras1_theano.h5"]
    assert "loads-with-changes (2.21)" in row["models/keras1_theano.h5"]
    assert row["models/broken.keras"].rstrip().endswith("ERROR")
    assert "ERROR" not in row["models/current.keras"]
    assert "TF 1.x" in row["serving/model/00000001"]
    # findings grouped under their artifact, most severe first, with fix and code positions
    block = text[text.index("models/keras1_theano.h5 (keras-h5)") :]
    assert block.index("TST301") < block.index("TST101")
    assert "fix: Replace the Lambda" in block
    assert re.search(r"MEDIUM\s+TST201\s+12:5\s+`model.save", text)
    assert "error: models/broken.keras: zip central directory missing" in text
    assert "error: nb.ipynb: notebook is not valid JSON" in text
    assert "error: unreadable: permission denied" in text
    assert "5 finding(s): 1 critical, 2 high, 1 medium, 1 low" not in text  # counts are real:
    assert "6 finding(s): 1 critical, 2 high, 2 medium, 1 low" in text
    assert "3 error(s)" in text
    assert "formats: saved-model 1, keras-v3 2, keras-h5 2" in text


def test_table_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setattr("sys.stdout", _Tty())
    assert "\x1b[" in table.render(sample_report())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in table.render(sample_report())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert "\x1b[" not in table.render(sample_report())


def test_table_plain_width_does_not_depend_on_the_environment(monkeypatch):
    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.setenv("COLUMNS", "300")
    wide = table.render(sample_report())
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert table.render(sample_report()) == wide
    rows = wide[: wide.index("\nFindings\n")].strip("\n").splitlines()
    assert len(rows) == 2 + len(sample_report().artifacts)  # header, rule, one line per artifact


def test_table_plain_rows_are_never_cut_however_long():
    """Piped or `-o` output: a 300-character path keeps its row, severity and error columns."""
    long_path = "deep/" * 59 + "m.h5"
    report = Report(
        "r",
        artifacts=(
            art(long_path, "keras-h5", findings=(Finding("TST301", "medium", "m."),)),
            art("b.keras", "keras-v3", errors=("broken zip",)),
        ),
    )
    text = table.render(report, color=False)
    rows = text[: text.index("\nFindings\n")].strip("\n").splitlines()
    assert len(rows) == 4 and len(long_path) > 200
    assert rows[3].startswith(long_path + " ") and rows[3].split()[-1] == "MEDIUM"
    assert rows[2].startswith("b.keras ") and rows[2].rstrip().endswith("ERROR")


@pytest.mark.parametrize("width", [120, 80, 50, 36, 30, 20])
def test_table_on_a_terminal_keeps_path_severity_and_errors_at_any_width(width):
    text = table.render(sample_report(), color=True, width=width)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    listing = plain[: plain.index("Findings")]
    assert all(len(line) <= width for line in listing.splitlines())
    # undo folding: drop the severity and error cells that share a line with a path's first part
    flat = re.sub(r"\b(CRITICAL|HIGH|MEDIUM|LOW|INFO|ERROR)\b|(?<=\s)-(?=\s)|\s", "", listing)
    for a in sample_report().artifacts:
        assert a.path.replace(" ", "") in flat
    words = re.findall(r"[A-Z]+", listing)
    assert words.count("CRITICAL") == 1 and words.count("HIGH") == 2  # whole, never "MEDIU"
    assert "ERROR" in words and "CRITICA" not in words


def test_table_says_when_nothing_was_found():
    text = table.render(Report(root="x", artifacts=(art("a.keras", "keras-v3"),)), color=False)
    assert "No findings." in text and "0 error(s)" in text


# --- json -----------------------------------------------------------------------------------


def test_json_holds_code_findings_and_loadability():
    data = json.loads(renderer("json")(sample_report()))
    assert data["schema_version"] == 1
    by_path = {a["path"]: a for a in data["artifacts"]}
    assert list(by_path) == sorted(by_path)
    grid = by_path["models/keras1_theano.h5"]["loadability"]
    assert list(grid) == sorted(grid)
    assert grid["2.21/keras.load_model"] == {
        "verdict": "fails",
        "reason": "Keras 3 cannot read Keras 1 configs",
    }
    assert "loadability" not in by_path["models/broken.keras"]
    sources = {s["path"]: s for s in data["sources"]}
    assert sources["train.py"]["findings"][0] == {
        "rule": "TST201",
        "severity": "medium",
        "message": "`model.save('export')` writes a legacy SavedModel; save to `export.keras`.",
        "line": 12,
        "fix": "",
        "col": 5,
    }
    assert sources["nb.ipynb"]["errors"] == ["notebook is not valid JSON; re-save it"]
    assert by_path[HOSTILE]["findings"][0]["rule"] == "TST302"


# --- common helpers -------------------------------------------------------------------------


def test_era_prefers_keras_version_and_saved_model_era():
    assert (
        common.era(
            art("a", "keras-v3", {"keras_version": "2.15.0", "tensorflow_version": "2.15.1"})
        )
        == "Keras 2"
    )
    assert common.era(art("a", "keras-h5", {"keras_version": "2.2.4-tf"})) == "Keras 2"
    assert (
        common.era(art("a", "saved-model", {"tensorflow_version": "2.3.0"}, {"era": "tf1"}))
        == "TF 1.x"
    )
    assert common.era(art("a", "graph-def", {"tensorflow_version": "1.4.0"})) == "TF 1.x"
    assert common.era(art("a", "tflite")) == "unknown"


def test_verdict_summary_takes_the_best_loader_in_the_newest_tf_line():
    a = sample_report().artifacts[0]
    v = common.verdict_summary(a)
    assert (v.verdict, v.env, v.loaders) == ("loads-with-changes", "2.21", ("tf_keras.load_model",))
    two_digit = art(
        "b", "keras-v3", load={"2.9/x": {"verdict": "fails"}, "2.12/x": {"verdict": "loads"}}
    )
    assert common.verdict_summary(two_digit).env == "2.12"  # 2.12 is newer than 2.9
    assert common.verdict_summary(art("c", "keras-v3")) is None


def _cells(**verdicts: str) -> dict:
    """`loader="verdict"` keyword pairs as 2.21 cells (dots spelled `__`)."""
    return {
        f"2.21/{loader.replace('__', '.')}": {"verdict": verdict, "reason": f"{loader} {verdict}"}
        for loader, verdict in verdicts.items()
    }


def test_a_model_that_only_loads_as_weights_is_not_shown_as_loading():
    # a Keras 1 model: no load_model opens it, load_weights into a rebuilt model does
    keras1 = art(
        "k1.h5",
        "keras-h5",
        load=_cells(
            keras__load_model="fails",
            tf_keras__load_model="fails",
            keras__load_weights="loads",
            tf_keras__load_weights="loads",
        ),
    )
    v = common.verdict_summary(keras1)
    assert v.verdict == common.WEIGHTS_ONLY
    assert v.loaders == ("keras.load_weights", "tf_keras.load_weights")
    assert "only weights load" in v.text and "no model loader" in v.text
    text = table.render(Report(root="x", artifacts=(keras1,)), color=False)
    row = next(line for line in text.splitlines() if line.startswith("k1.h5"))
    assert "weights only (2.21)" in row and "loads (2.21)" not in row
    assert "only weights load" in markdown.render(Report(root="x", artifacts=(keras1,)))
    assert "only weights load" in html.render(Report(root="x", artifacts=(keras1,)))


def test_the_model_loader_decides_even_when_weights_load_better():
    # a `.keras` with a pickle payload: load_model needs safe_mode=False, load_weights loads
    pickled = art(
        "p.keras",
        "keras-v3",
        load=_cells(keras__load_model="loads-with-changes", keras__load_weights="loads"),
    )
    v = common.verdict_summary(pickled)
    assert (v.verdict, v.loaders) == ("loads-with-changes", ("keras.load_model",))
    # nothing loads at all: fails, named by the model loaders
    broken = art(
        "b.keras", "keras-v3", load=_cells(keras__load_model="fails", keras__load_weights="fails")
    )
    assert (common.verdict_summary(broken).verdict, common.verdict_summary(broken).loaders) == (
        "fails",
        ("keras.load_model",),
    )
    # a weights format has only weights loaders: they are the answer
    weights = art("w.weights.h5", "keras-v3-weights", load=_cells(keras__load_weights="loads"))
    assert common.verdict_summary(weights).verdict == "loads"
    # a SavedModel with no Keras model: tf.saved_model.load is its model loader
    served = art(
        "sm",
        "saved-model",
        load=_cells(keras__load_model="fails", tf__saved_model__load="loads"),
    )
    assert common.verdict_summary(served).loaders == ("tf.saved_model.load",)


# --- sarif ----------------------------------------------------------------------------------


def fake_registry(
    monkeypatch, family_of=lambda rule_id: "security" if rule_id.startswith("TST3") else "artifact"
):
    """Stand-in for migrator.rules: metadata for the TST ids used here."""

    def lookup(rule_id: str) -> common.RuleMeta | None:
        if not rule_id.startswith("TST"):
            return None
        return common.RuleMeta(
            id=rule_id,
            name=f"test-rule-{rule_id[3:]}",
            title=f"Test rule {rule_id}",
            severity="critical" if rule_id.startswith("TST3") else "medium",
            family=family_of(rule_id),
            doc=f"Why {rule_id} matters.\n\nFix: do the right thing.",
            fix="do the right thing.",
            versions={"breaks": "Keras 3.0"},
            convert="h5-to-keras",
        )

    monkeypatch.setattr(sarif, "rule_meta", lookup)


def sarif_of(report: Report, base: Path = ROOT) -> dict:
    return json.loads(sarif.render(report, base=base))


def test_sarif_validates_against_the_official_schema(monkeypatch):
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not available at {SARIF_SCHEMA} (../shared is absent)")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    fake_registry(monkeypatch)
    for report in (sample_report(), Report(root="empty")):
        for base in (ROOT, Path("/elsewhere")):
            log = sarif_of(report, base)
            errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
            assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    # and the validator is not vacuous: a result without a message is rejected
    broken = sarif_of(sample_report())
    del broken["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(broken))


def test_sarif_run_tool_and_rules_as_github_expects(monkeypatch):
    fake_registry(monkeypatch)
    log = sarif_of(sample_report())
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "migrator" and driver["version"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted({"TST101", "TST301", "TST103", "TST302", "TST201", "TST204"})
    rule = driver["rules"][ids.index("TST301")]
    assert rule["name"] == "TestRule301"
    assert rule["shortDescription"]["text"] == "Test rule TST301"
    assert rule["fullDescription"]["text"] == "Why TST301 matters."
    assert "Fix: do the right thing." in rule["help"]["text"]
    assert rule["help"]["text"].count("do the right thing") == 1  # the doc's Fix: is not repeated
    assert "breaks: Keras 3.0" in rule["help"]["markdown"]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert "security" in rule["properties"]["tags"]
    assert 9.0 <= float(rule["properties"]["security-severity"]) <= 10.0
    plain = driver["rules"][ids.index("TST101")]
    assert "security-severity" not in plain["properties"]
    assert "security" not in plain["properties"]["tags"]
    assert plain["defaultConfiguration"]["level"] == "warning"
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///audit/root/"


def test_sarif_results_levels_locations_and_regions(monkeypatch):
    fake_registry(monkeypatch)
    results = sarif_of(sample_report())["runs"][0]["results"]
    assert len(results) == findings_count(sample_report())
    by_rule = {r["ruleId"]: r for r in results}
    level = {rid: r["level"] for rid, r in by_rule.items()}
    assert level == {
        "TST301": "error",
        "TST302": "error",
        "TST103": "error",
        "TST101": "warning",
        "TST201": "warning",
        "TST204": "note",
    }

    def loc(rule_id):
        return by_rule[rule_id]["locations"][0]["physicalLocation"]

    assert loc("TST101")["artifactLocation"] == {
        "uri": "models/keras1_theano.h5",
        "uriBaseId": "%SRCROOT%",
    }
    assert loc("TST101")["region"] == {"startLine": 1}  # artifact findings have no line
    # a SavedModel folder is pointed at by its saved_model.pb
    assert loc("TST103")["artifactLocation"]["uri"] == "serving/model/00000001/saved_model.pb"
    # code: 1-based line and column (Finding.col is 1-based too)
    assert loc("TST201")["region"] == {"startLine": 12, "startColumn": 5}
    assert loc("TST204")["region"] == {"startLine": 3, "startColumn": 1}
    # paths are URIs: reserved characters are percent-encoded
    assert loc("TST302")["artifactLocation"]["uri"] == (
        "models/%3Cscript%3Edocument.body.setAttribute%28%27data-pwned%27%2C%271%27%29%3C/"
        "script%3E.h5"
    )
    assert by_rule["TST101"]["message"]["text"] == (
        "Keras 1 HDF5 model; convert it to `.keras`. Fix: Run `migrator convert`."
    )


def test_sarif_uris_are_relative_to_the_working_tree(monkeypatch, tmp_path):
    fake_registry(monkeypatch)
    report = sample_report()
    # audited from the repository root: `migrator audit audit/root` -> paths keep the prefix
    nested = sarif_of(report, base=Path("/audit"))["runs"][0]["results"][0]
    assert nested["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "root/models/"
    )
    # outside the working tree: absolute file URIs and no base id
    outside = sarif_of(report, base=Path("/elsewhere"))["runs"][0]["results"][0]
    where = outside["locations"][0]["physicalLocation"]["artifactLocation"]
    assert where["uri"].startswith("file:///audit/root/models/") and "uriBaseId" not in where
    # default base is the working directory
    monkeypatch.chdir(tmp_path)
    rel = replace(
        report,
        artifacts=tuple(replace(a, location=Path("tree") / a.path) for a in report.artifacts),
    )
    log = json.loads(sarif.render(rel))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"].startswith("tree/models/") and uri["uriBaseId"] == "%SRCROOT%"


def test_sarif_fingerprints_are_stable_and_distinct(monkeypatch):
    fake_registry(monkeypatch)
    key = sarif.FINGERPRINT_KEY

    def prints(report):
        return [r["partialFingerprints"][key] for r in sarif_of(report)["runs"][0]["results"]]

    first = prints(sample_report())
    assert prints(sample_report()) == first
    assert len(set(first)) == len(first)
    # the line moving (code inserted above) does not change the fingerprint
    moved = sample_report()
    src = moved.sources[0]
    moved = replace(
        moved,
        sources=(
            replace(src, findings=tuple(replace(f, line=f.line + 10) for f in src.findings)),
            *moved.sources[1:],
        ),
    )
    assert prints(moved) == first
    # the same finding twice in one file gets two fingerprints
    twice = Report(
        "r",
        sources=(
            SourceFile(
                "a.py",
                ROOT / "a.py",
                (
                    Finding("TST201", "medium", "same", line=1),
                    Finding("TST201", "medium", "same", line=9),
                ),
            ),
        ),
    )
    a, b = prints(twice)
    assert a != b


def test_sarif_errors_are_notifications_not_results(monkeypatch):
    fake_registry(monkeypatch)
    run = sarif_of(sample_report())["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    texts = [n["message"]["text"] for n in notes]
    assert texts == [
        "models/broken.keras: zip central directory missing (file truncated?); re-export the model",
        "nb.ipynb: notebook is not valid JSON; re-save it",
        "unreadable: permission denied; check permissions",
    ]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "models/broken.keras"
    )
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_keeps_the_most_severe_results_within_githubs_limit(monkeypatch):
    fake_registry(monkeypatch)
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    run = sarif_of(sample_report())["runs"][0]
    assert sorted(r["ruleId"] for r in run["results"]) == ["TST103", "TST301", "TST302"]
    note = run["invocations"][0]["toolExecutionNotifications"][-1]
    assert note["level"] == "warning" and note["message"]["text"].startswith("3 less severe")


def test_sarif_rules_unknown_to_the_registry_still_get_a_descriptor(monkeypatch):
    monkeypatch.setattr(sarif, "rule_meta", lambda rule_id: None)
    rules = sarif_of(sample_report())["runs"][0]["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["TST301"]["defaultConfiguration"]["level"] == "error"  # from its findings
    assert by_id["TST204"]["defaultConfiguration"]["level"] == "note"
    assert "migrator rules TST301" in by_id["TST301"]["help"]["text"]


def test_sarif_notebook_findings_name_the_cell():
    finding = Finding("TST201", "medium", "msg.", line=4, col=2)
    if not hasattr(finding, "cell"):
        pytest.skip("Finding has no `cell` field in this checkout")
    report = Report(
        "r", sources=(SourceFile("nb.ipynb", ROOT / "nb.ipynb", (replace(finding, cell=3),)),)
    )
    result = sarif_of(report)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert result["message"]["text"] == "Cell 3, line 4:2: msg."


def test_sarif_uses_the_real_rule_registry():
    rules = pytest.importorskip("migrator.rules")
    registered = rules.all_rules()
    if not registered:
        pytest.skip("the rule registry has no rules yet")
    rule = registered[-1]
    report = Report(
        "r",
        artifacts=(
            art("a.h5", "keras-h5", findings=[Finding(rule.id, rule.severity, "message.")]),
        ),
    )
    descriptor = sarif_of(report)["runs"][0]["tool"]["driver"]["rules"][0]
    assert descriptor["shortDescription"]["text"] == rule.title
    assert descriptor["id"] == rule.id
    assert ("security-severity" in descriptor["properties"]) == (rule.family == "security")


# --- markdown -------------------------------------------------------------------------------


def md_to_html(text: str) -> str:
    """GitHub-like rendering (CommonMark + tables, raw HTML allowed, as GitHub parses it)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


class Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def names(self) -> set[str]:
        return {t for t, _ in self.tags}


def test_markdown_summary_table_and_findings():
    text = markdown.render(sample_report())
    first = text.splitlines()[0]
    assert first == "### migrator audit: 5 artifact(s), 6 finding(s), 3 error(s)"
    assert "🔴 1 critical · 🟠 2 high · 🟡 2 medium · 🔵 1 low" in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == 5
    theano = next(r for r in rows if "keras1_theano" in r)
    cells = [c.strip() for c in theano.strip("|").split(" | ")]
    assert cells[1:] == [
        "keras-h5",
        "keras 1.2.2, theano",
        "⚠️ loads-with-changes (2.21: tf\\_keras.load\\_model)",
        "🔴 2",
    ]
    broken = next(r for r in rows if "broken" in r)
    assert "❌ unreadable" in broken
    assert (
        "- 🔴 **critical** `TST301`: Lambda layer `lambda_1` holds marshalled bytecode. "
        "*Fix:* Replace the Lambda with a registered custom layer." in text
    )
    assert "`TST201` 12:5:" in text
    assert "- ❌ nb.ipynb: notebook is not valid JSON; re-save it" in text
    rendered = Tags(md_to_html(text))
    assert sum(1 for t, _ in rendered.tags if t == "tr") == 6  # header + 5 artifacts


def test_markdown_escapes_hostile_values():
    text = markdown.render(sample_report())
    rendered = Tags(md_to_html(text))
    # nothing from the artifact became markup: no <script>, <img>, <b>, no emphasis from *now*
    assert not rendered.names() & {"script", "img", "b", "a"}  # (our own *Fix:* is an <em>)
    plain = "".join(rendered.text)
    assert HOSTILE in plain  # the path shows verbatim (as code)
    assert HOSTILE_LAYER in plain
    assert "<b>never</b>" in plain and "*now*" in plain
    assert "@\u2060security-team" in plain  # a word joiner: GitHub does not mention the team


def test_markdown_collapses_long_lists():
    many = [Finding("TST101", "low", f"finding {i}.") for i in range(markdown.DETAILS_AFTER + 1)]
    few = [Finding("TST101", "low", f"other {i}.") for i in range(markdown.DETAILS_AFTER)]
    report = Report(
        "r",
        artifacts=(
            art("big.h5", "keras-h5", findings=many),
            art("small.h5", "keras-h5", findings=few),
        ),
    )
    text = markdown.render(report)
    assert text.count("<details>") == 1 == text.count("</details>")
    details = text[text.index("<details>") : text.index("</details>")]
    assert "<code>big.h5</code>" in details and "finding 5." in details
    assert "other 0." not in details


def huge_report(n: int) -> Report:
    artifacts = tuple(
        art(
            f"models/m{i:05d}.h5",
            "keras-h5",
            {"keras_version": "2.3.1"},
            findings=[
                Finding(f"TST1{j:02d}", "medium", f"problem {j} of model {i}; fix it.")
                for j in range(8)
            ],
        )
        for i in range(n)
    )
    return Report("r", artifacts=artifacts, errors=tuple(f"e{i}: bad" for i in range(50)))


def test_markdown_is_truncated_to_a_github_comment():
    report = huge_report(2000)
    text = markdown.render(report)
    assert markdown.text_length(text) <= markdown.MAX_COMMENT_CHARS
    assert text.count("<details>") == text.count("</details>")
    assert "> **Truncated** to fit a GitHub comment (65,536 characters)" in text
    shown_rows = sum(1 for line in text.splitlines() if line.startswith("| `models/"))
    shown_findings = sum(1 for line in text.splitlines() if line.startswith("- 🟡"))
    m = re.search(
        r"shown (\d+) of (\d+) artifact\(s\), (\d+) of (\d+) finding\(s\), "
        r"(\d+) of (\d+) error\(s\)",
        text,
    )
    assert m, text[-500:]
    assert (int(m[1]), int(m[2])) == (shown_rows, 2000)
    assert (int(m[3]), int(m[4])) == (shown_findings, 16000)
    assert (int(m[5]), int(m[6])) == (0, 50)
    # a smaller budget is honoured too, and a report that fits is not truncated
    small = markdown.render(sample_report(), limit=1500)
    assert markdown.text_length(small) <= 1500 and "Truncated" in small
    assert small.count("<details>") == small.count("</details>")
    assert "Truncated" not in markdown.render(sample_report())


def test_markdown_budget_counts_utf16_units():
    assert markdown.text_length("🔴") == 2 and markdown.text_length("é") == 1


# --- html (static checks; the browser test is in test_report_html.py) -----------------------


def test_html_is_self_contained_and_escapes_everything():
    page = html.render(sample_report())
    parsed = Tags(page)
    names = parsed.names()
    assert "img" not in names and "link" not in names
    assert "iframe" not in names and "object" not in names
    # one script, ours (the filter box), and the CSP lets that exact text run and nothing else
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert page.count("<script>") == 1 and f"<script>{html.SCRIPT}</script>" in page
    digest = base64.b64encode(hashlib.sha256(html.SCRIPT.encode()).digest()).decode()
    assert HOSTILE not in page and HOSTILE_LAYER not in page  # never raw
    assert html.esc(HOSTILE) in page
    assert HOSTILE in "".join(parsed.text)  # ...but shown as text
    # no URL anything could be fetched from (the SVG namespace is an identifier, not a fetch)
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert f"script-src 'sha256-{digest}';" in csp[0]["content"]
    assert "unsafe-inline" not in csp[0]["content"].split("script-src")[1].split(";")[0]
    assert not [a for t, a in parsed.tags if any(k.startswith("on") for k in a)]


def test_html_has_table_grid_findings_errors_and_charts():
    page = html.render(sample_report())
    parsed = Tags(page)
    rows = [
        a["data-path"] for t, a in parsed.tags if t == "tr" and a.get("class") == "artifact-row"
    ]
    assert rows == sorted(a.path for a in sample_report().artifacts)
    charts = {a["id"] for t, a in parsed.tags if t == "svg"}
    assert charts == {"chart-formats", "chart-eras"}
    bars = {(a["data-label"], a["data-count"]) for t, a in parsed.tags if t == "g"}
    assert {("keras-h5", "2"), ("keras-v3", "2"), ("saved-model", "1")} <= bars
    assert {("Keras 1", "1"), ("TF 1.x", "1"), ("Keras 3", "1"), ("unknown", "1")} <= bars
    cells = [a["class"] for t, a in parsed.tags if t == "td" and "cell" in a.get("class", "")]
    assert cells.count("cell cell-loads-with-changes") == 2
    assert "cell cell-fails" in cells and "cell cell-none muted" in cells
    text = " ".join("".join(parsed.text).split())
    assert "Keras 3 cannot read Keras 1 configs" in text
    assert "Fix: Replace the Lambda with a registered custom layer." in text
    assert "Error: zip central directory missing" in text
    assert "Errors (3)" in text and "12:5" in text


def test_bar_chart_scales_bars_to_the_largest_count():
    svg = html.bar_chart("t", {"a": 4, "b": 2, "c": 1}, "x")
    widths = [int(w) for w in re.findall(r'<rect [^>]*width="(\d+)"', svg)]
    assert widths[0] == 2 * widths[1] and abs(widths[1] - 2 * widths[2]) <= 1


def test_sarif_information_uri_comes_from_the_package_metadata(monkeypatch):
    import email.message

    meta = email.message.Message()
    meta["Project-URL"] = "Issues, https://example.org/migrator/issues"
    meta["Project-URL"] = "Homepage, https://example.org/migrator"
    monkeypatch.setattr(sarif.importlib.metadata, "metadata", lambda name: meta)
    driver = sarif_of(Report("r"))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/migrator"

    def missing(name):
        raise sarif.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(sarif.importlib.metadata, "metadata", missing)
    assert "informationUri" not in sarif_of(Report("r"))["runs"][0]["tool"]["driver"]


def test_a_fix_the_message_already_ends_with_is_not_repeated(monkeypatch):
    """Rules write `problem; remedy.` with `fix` = the remedy: reports show it once."""
    fake_registry(monkeypatch)
    finding = Finding(
        "TST201",
        "high",
        "`save_weights(p)` writes a checkpoint; save to `p.weights.h5`.",
        fix="save to `p.weights.h5`",
        line=2,
        col=1,
    )
    report = Report("r", sources=(SourceFile("a.py", ROOT / "a.py", (finding,)),))
    assert table.render(report, color=False).count("p.weights.h5") == 1
    assert markdown.render(report).count("p.weights.h5") == 1
    assert html.render(report).count("p.weights.h5") == 1
    assert sarif_of(report)["runs"][0]["results"][0]["message"]["text"] == finding.message


def test_code_findings_read_top_to_bottom_artifact_findings_worst_first():
    code = (
        Finding("TST204", "low", "first.", line=3, col=1),
        Finding("TST201", "high", "second.", line=9, col=1),
    )
    report = Report(
        "r",
        artifacts=(
            art(
                "m.h5",
                "keras-h5",
                findings=[
                    Finding("TST101", "low", "minor."),
                    Finding("TST301", "critical", "major."),
                ],
            ),
        ),
        sources=(SourceFile("a.py", ROOT / "a.py", code),),
    )
    for text in (table.render(report, color=False), markdown.render(report), html.render(report)):
        assert text.index("first.") < text.index("second.")
        assert text.index("major.") < text.index("minor.")


def test_table_without_artifacts_says_so():
    text = table.render(Report("r"), color=False)
    assert text.startswith("No artifacts found.") and "PATH" not in text


def test_cli_never_writes_colour_codes_to_a_file_even_from_a_terminal(tmp_path, monkeypatch):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 8)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setattr("sys.stdout", _Tty())
    main(["audit", "tree", "-o", "report.txt"])
    written = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert "broken.h5" in written and "\x1b[" not in written
    main(["audit", "tree"])
    assert "\x1b[" in sys.stdout.getvalue()  # the same report on the terminal is coloured


def test_json_summary_and_version():
    from migrator import __version__

    data = json.loads(renderer("json")(sample_report()))
    assert data["version"] == __version__
    summary = data["summary"]
    assert summary["artifacts"] == 5 and summary["sources"] == len(sample_report().sources)
    assert summary["formats"] == {"keras-h5": 2, "keras-v3": 2, "saved-model": 1}
    assert summary["severities"] == {"critical": 1, "high": 2, "medium": 2, "low": 1}
    assert summary["findings"] == 6 and summary["errors"] == 3
    assert summary["artifacts_with_errors"] == 1
    # per TF line, each artifact counted once, by its best verdict over the loaders
    assert summary["loadability"]["2.21"] == {"loads": 2, "loads-with-changes": 1}
    assert summary["loadability"]["2.12"]["loads"] == 1


def test_every_renderer_returns_text_any_encoder_takes():
    """A `\\ud800` escape in a config and a non-UTF-8 file name (surrogate escapes) in any field."""
    odd = art(
        "w\udcff\udcfe.h5",
        "keras-h5",
        producer={"keras_version": "2.\ud800"},
        details={"model_class": "Seq\ud800"},
        findings=(Finding("TST301", "critical", "layer `d\ud800` runs code.", fix="x\udcff"),),
        errors=("config holds \ud800",),
        load={"2.21/keras.load_model": {"verdict": "fails", "reason": "`\ud800`"}},
    )
    report = Report("r\udcff", artifacts=(odd,), errors=("top \ud800",))
    for name in RENDERERS:
        text = renderer(name)(report)
        text.encode("utf-8")  # strict: raises if a lone surrogate slipped through
        if name in ("table", "json", "markdown", "html", "cyclonedx"):
            assert "\\ud800" in text, name

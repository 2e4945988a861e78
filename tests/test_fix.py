"""`migrator fix`: the case files, idempotence, `--diff`, unsafe fixes, notebooks, bad files.

Cases live in `tests/cases/fix/<ID>/`: `<name>.py` (or `.ipynb`) is fixed twice, once with the
default (safe fixes only) and once with `--unsafe-fixes`. `<name>.fixed.py` is the expected safe
result and `<name>.unsafe.py` the expected unsafe one; a missing `.unsafe` twin means the unsafe
run gives the `.fixed` result, a missing `.fixed` twin means the safe run changes nothing. A
file with neither twin is a no-op case. Adding a case is adding files.
"""

from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.fix import all_fixers
from migrator.fix.files import fix_file
from migrator.rules import all_rules, check_source, get_rule

FIX_CASES = Path(__file__).parent / "cases" / "fix"
SEEDS = Path(__file__).parent / "cases" / "seeds"


def _twin(case: Path, kind: str) -> Path:
    return case.with_name(f"{case.stem}.{kind}{case.suffix}")


def _cases() -> list[Path]:
    return sorted(
        p
        for p in FIX_CASES.glob("MIG*/*")
        if p.suffix in (".py", ".ipynb") and not p.stem.endswith((".fixed", ".unsafe"))
    )


def expected(case: Path, unsafe: bool) -> Path:
    """The file a case should become: the `.unsafe`/`.fixed` twin, or the case itself."""
    order = ("unsafe", "fixed") if unsafe else ("fixed",)
    for kind in order:
        if _twin(case, kind).exists():
            return _twin(case, kind)
    return case


def run_fix(path: Path, *args: str) -> int:
    return main(["fix", *args, str(path)])


CASES = _cases()


def test_case_folders_are_fixable_rules() -> None:
    """Every case folder names a rule that has a fixer, and every fixer has a case folder."""
    folders = {p.name for p in FIX_CASES.iterdir() if p.is_dir()}
    assert folders == set(all_fixers()), (folders, set(all_fixers()))
    for rule_id in folders:
        get_rule(rule_id)


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_case(case: Path, unsafe: bool, tmp_path: Path) -> None:
    work = tmp_path / case.name
    work.write_bytes(case.read_bytes())
    flags = ["--unsafe-fixes"] if unsafe else []
    assert run_fix(work, *flags) == 0
    want = expected(case, unsafe)
    assert work.read_text(encoding="utf-8") == want.read_text(encoding="utf-8"), want.name
    # Running it again changes nothing (and reports nothing to do).
    before = work.read_bytes()
    result = fix_file(work, work.name, all_rules("code"), unsafe=unsafe)
    assert not result.changed and not result.applied, result.pieces
    assert work.read_bytes() == before
    # The result parses (tf_upgrade_v2 left a repeated `save_format=`, a SyntaxError) and names
    # no API TF 2.21 lacks (it renamed save_keras_model to a `tf.compat.v1` symbol that is gone).
    if case.suffix == ".py":
        ast.parse(work.read_text(encoding="utf-8"))
    text = work.read_text(encoding="utf-8")
    assert "compat.v1.keras.experimental" not in text


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_expected_results_are_fixed_points(case: Path, tmp_path: Path) -> None:
    """The expected files themselves are left alone by a fix in their own mode."""
    for unsafe in (False, True):
        want = expected(case, unsafe)
        work = tmp_path / f"{unsafe}_{want.name}"
        work.write_bytes(want.read_bytes())
        result = fix_file(work, work.name, all_rules("code"), unsafe=unsafe)
        assert not result.changed, (want.name, result.pieces)


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_fixed_rule_is_gone_where_a_fix_applied(case: Path, tmp_path: Path) -> None:
    """After the unsafe run, the case's rule no longer fires on the lines a fix changed."""
    want = expected(case, unsafe=True)
    if want == case:
        return
    rule = case.parent.name
    before = {f.line for f in check_source(case.name, case).findings if f.rule == rule}
    after = {f.line for f in check_source(want.name, want).findings if f.rule == rule}
    assert len(after) < len(before), (rule, before, after)


def test_diff_prints_and_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    case = FIX_CASES / "MIG202" / "h5_path.py"
    work = tmp_path / "train.py"
    work.write_bytes(case.read_bytes())
    assert main(["fix", "--diff", str(work)]) == 1
    out, err = capsys.readouterr()
    assert work.read_bytes() == case.read_bytes()
    assert out.startswith("--- a/") and '-model.save("model.h5", save_format="h5")' in out
    assert '+model.save("model.h5")' in out
    assert "Would fix 3 findings in 1 file." in err
    assert "--unsafe-fixes" in err  # the held-back MIG203 renames are announced
    # Nothing to do: exit 0, no diff.
    clean = tmp_path / "clean.py"
    clean.write_text("import keras\nkeras.Sequential().save('m.keras')\n", encoding="utf-8")
    assert main(["fix", "--diff", str(clean)]) == 0
    assert capsys.readouterr().out == ""


def test_write_keeps_mode_encoding_and_line_endings(tmp_path: Path) -> None:
    work = tmp_path / "train.py"
    text = (
        "# -*- coding: latin-1 -*-\r\nimport tensorflow as tf\r\n# caf\xe9\r\n"
        "m = tf.keras.Sequential()\r\nm.save('m.h5', save_format='h5')\r\n"
    )
    work.write_bytes(text.encode("latin-1"))
    os.chmod(work, 0o750)
    assert main(["fix", str(work)]) == 0
    assert work.read_bytes() == text.replace(", save_format='h5'", "").encode("latin-1")
    assert stat.S_IMODE(work.stat().st_mode) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["train.py"]  # no temp file left behind


def test_non_ascii_before_the_call(tmp_path: Path) -> None:
    """ast columns are UTF-8 bytes; edits are placed by characters."""
    work = tmp_path / "t.py"
    work.write_text(
        "import tensorflow as tf\nm = tf.keras.Sequential()\n"
        "ü = 1; m.save('é.h5', save_format='h5')  # ünïcode\n",
        encoding="utf-8",
    )
    assert main(["fix", str(work)]) == 0
    assert work.read_text(encoding="utf-8").endswith("ü = 1; m.save('é.h5')  # ünïcode\n")


def test_unparsable_files_are_reported_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "py2.py"
    bad.write_text("print 'hello'\nmodel.save('m.h5', save_format='h5')\n", encoding="utf-8")
    good = tmp_path / "good.py"
    good.write_text(
        "import tensorflow as tf\nm = tf.keras.Sequential()\nm.save('m.h5', save_format='h5')\n",
        encoding="utf-8",
    )
    before = bad.read_bytes()
    assert main(["fix", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "py2.py: cannot parse as Python 3" in err and "left unchanged" in err
    assert "Traceback" not in err
    assert bad.read_bytes() == before
    assert "save_format" not in good.read_text(encoding="utf-8")  # the rest is still fixed


def test_missing_path_is_an_error_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["fix", str(tmp_path / "nope.py")]) == 2
    assert "nope.py: no such file or folder" in capsys.readouterr().err


def test_notebook_outputs_and_metadata_untouched(tmp_path: Path) -> None:
    case = FIX_CASES / "MIG202" / "notebook.ipynb"
    work = tmp_path / "nb.ipynb"
    work.write_bytes(case.read_bytes())
    assert main(["fix", "--unsafe-fixes", str(work)]) == 0
    before, after = json.loads(case.read_text("utf-8")), json.loads(work.read_text("utf-8"))
    assert after["metadata"] == before["metadata"]
    for old, new in zip(before["cells"], after["cells"], strict=True):
        assert {k: v for k, v in old.items() if k != "source"} == {
            k: v for k, v in new.items() if k != "source"
        }
    assert after["cells"][3]["source"].startswith("!ls -l\n")  # the shell line is kept


def test_select_and_ignore(tmp_path: Path) -> None:
    case = FIX_CASES / "MIG202" / "h5_path.py"
    work = tmp_path / "t.py"
    work.write_bytes(case.read_bytes())
    assert main(["fix", "--ignore", "MIG202", str(work)]) == 0
    assert work.read_bytes() == case.read_bytes()
    assert main(["fix", "--select", "MIG202", str(work)]) == 0
    assert work.read_bytes() == (FIX_CASES / "MIG202" / "h5_path.fixed.py").read_bytes()


def test_seeds_current_api_untouched_and_legacy_fixed(tmp_path: Path) -> None:
    """The seed with current APIs only is a no-op; each legacy seed gets at least one fix."""
    for seed in sorted(SEEDS.glob("*.py")):
        result = fix_file(seed, seed.name, all_rules("code"), unsafe=True)
        legacy = "# expect:" in seed.read_text(encoding="utf-8")
        assert result.changed == legacy, seed.name
        if legacy:
            for _, _, new in result.pieces:
                ast.parse(new)


def test_each_rule_doc_says_which_fixes_it_has() -> None:
    """A `Fixes (`migrator fix`): ...` paragraph in exactly the docs of rules with fixers."""
    fixable = set(all_fixers())
    for rule in all_rules("code"):
        says = "Fixes (`migrator fix`): " in rule.doc
        assert says == (rule.id in fixable), rule.id
        if says:
            paragraph = rule.doc.split("Fixes (`migrator fix`): ", 1)[1]
            assert paragraph.startswith(("safe:", "unsafe:")), rule.id


def test_a_fixer_bug_is_one_error_line(tmp_path: Path, monkeypatch, capsys) -> None:
    import migrator.fix as fix_package

    entry = fix_package.fixers_for("MIG202")[0]

    def broken(node, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(
        fix_package._REGISTRY, "MIG202", [fix_package.Fixer(entry.rule, entry.name, broken)]
    )
    work = tmp_path / "t.py"
    source = (
        "import tensorflow as tf\nm = tf.keras.Sequential()\nm.save('m.h5', save_format='h5')\n"
    )
    work.write_text(source, encoding="utf-8")
    assert main(["fix", str(work)]) == 2
    err = capsys.readouterr().err
    assert "internal error in fixer drop-redundant-save-format (MIG202) at line 3" in err
    assert "Traceback" not in err
    assert work.read_text(encoding="utf-8") == source


def test_notebook_diff_is_per_cell(tmp_path: Path, capsys) -> None:
    work = tmp_path / "nb.ipynb"
    work.write_bytes((FIX_CASES / "MIG202" / "notebook.ipynb").read_bytes())
    assert main(["fix", "--diff", str(work)]) == 1
    out = capsys.readouterr().out
    assert "--- a/" in out and "nb.ipynb:cell 3\n" in out
    assert "-model.save('model.h5', save_format='h5')  # HDF5" in out
    assert work.read_bytes() == (FIX_CASES / "MIG202" / "notebook.ipynb").read_bytes()


def test_fixing_every_code_rule_case(tmp_path: Path, capsys) -> None:
    """All code-rule cases (tests/cases/code) fixed with --unsafe-fixes: no error, results that
    parse, a second run with nothing to do, negative cases with no finding untouched, and
    notebooks changed in cell sources only, keeping their hand-made JSON layout."""
    import shutil

    source = Path(__file__).parent / "cases" / "code"
    work = tmp_path / "code"
    shutil.copytree(source, work)
    assert main(["fix", "--unsafe-fixes", str(work)]) == 0
    assert "migrator:" not in capsys.readouterr().err
    assert main(["fix", "--unsafe-fixes", "--diff", str(work)]) == 0
    for before in sorted(source.rglob("*")):
        after = work / before.relative_to(source)
        if before.suffix == ".py":
            ast.parse(after.read_text(encoding="utf-8"))
            if not check_source(before.name, before).findings:
                assert after.read_bytes() == before.read_bytes(), before
        elif before.suffix == ".ipynb":
            old, new = json.loads(before.read_bytes()), json.loads(after.read_bytes())
            for cell in (*old.get("cells", ()), *new.get("cells", ())):
                cell.pop("source", None)
            assert old == new, before
            changed = [
                line
                for line in after.read_text(encoding="utf-8").splitlines()
                if line not in before.read_text(encoding="utf-8").splitlines()
            ]
            assert all('"source"' in line or line.lstrip().startswith('"') for line in changed)

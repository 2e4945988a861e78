"""Code rules (MIG2xx) on files: the case folders, the seeds, messages, notebooks, ignores, errors.

Case files mark every expected finding with `# expect: MIG2xx` on the finding's line (notebook
cells may list `[line, id]` pairs in their metadata under "expect", for lines such as `%env`
magics that cannot hold a comment). A case passes when the findings are exactly the markers.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import sys
from pathlib import Path

import pytest

from migrator.model import Finding
from migrator.rules import all_rules, check_source, get_rule
from migrator.rules._python import CodeContext, Source, neutralise_ipython
from migrator.rules.config import Config

CASES = Path(__file__).parent / "cases"
CODE_CASES = CASES / "code"
SEEDS = CASES / "seeds"
CURRENT_API = CASES / "current_api"
MARK = re.compile(r"#\s*expect:\s*(MIG\d{3}(?:\s*,\s*MIG\d{3})*)")


def expected_markers(path: Path) -> set[tuple[int | None, int, str]]:
    """(cell, line, rule) for every `# expect:` marker of a case file."""
    out: set[tuple[int | None, int, str]] = set()

    def scan(text: str, cell: int | None) -> None:
        for number, line in enumerate(text.splitlines(), start=1):
            m = MARK.search(line)
            if m:
                out.update((cell, number, rid.strip()) for rid in m.group(1).split(","))

    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        for index, cell in enumerate(nb["cells"], start=1):
            if cell.get("cell_type") != "code":
                continue
            source = cell["source"]
            scan("".join(source) if isinstance(source, list) else source, index)
            for line, rid in cell.get("metadata", {}).get("expect", []):
                out.add((index, line, rid))
    else:
        scan(path.read_text(encoding="utf-8"), None)
    return out


def found(path: Path, config: Config | None = None) -> set[tuple[int | None, int, str]]:
    result = check_source(path.name, path, config)
    assert result.errors == (), result.errors
    return {(f.cell, f.line, f.rule) for f in result.findings}


def case_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".ipynb"))


CODE_CASE_FILES = case_files(CODE_CASES)


@pytest.mark.parametrize(
    "path", CODE_CASE_FILES, ids=[p.relative_to(CODE_CASES).as_posix() for p in CODE_CASE_FILES]
)
def test_code_case(path: Path) -> None:
    rule_id, kind = path.relative_to(CODE_CASES).parts[:2]
    want = expected_markers(path)
    own = {m for m in want if m[2] == rule_id}
    if kind == "positive":
        assert own, f"{path}: a positive case must mark at least one {rule_id} finding"
    else:
        assert not own, f"{path}: a negative case must not expect {rule_id}"
    got = found(path)
    assert (
        got == want
    ), f"{path}: missing {sorted(want - got, key=str)}, unexpected {sorted(got - want, key=str)}"


# --- the seeds ----------------------------------------------------------------------------------

# What a careful reviewer expects in the code of each seed article, counted per rule. The seed
# files also carry `# expect:` markers on the exact lines; both must agree with the engine.
SEED_EXPECTATIONS = {
    # tf.saved_model.save, .keras saves and loads, model.export, tf.train.Checkpoint.save: nothing.
    "000_d2a8354159e1f8ea.py": {},
    # model.save('my_keras_model.h5') is legacy HDF5; input_shape= and loading .h5 are fine.
    "001_c7e1046fb00e681b.py": {"MIG203": 1},
    # model.save('my_model.h5') again; tf.saved_model.save/load are the current serving API.
    "002_0a6f096ceef8f1d6.py": {"MIG203": 1},
    # model.save(export_dir) twice (a Path with no suffix), model.save(h5_path), save_weights and
    # load_weights on a path ending in `ckpt`, load_model on the savedmodel folder twice.
    "003_35032612f6cf8bd1.py": {"MIG201": 2, "MIG203": 1, "MIG204": 1, "MIG205": 1, "MIG207": 2},
    # tf.contrib.saved_model.save_keras_model and load_keras_model.
    "004_171a17abf0a5cbd9.py": {"MIG208": 2},
}


@pytest.mark.parametrize("name", sorted(SEED_EXPECTATIONS))
def test_seed_code_yields_exactly_the_expected_findings(name: str) -> None:
    path = SEEDS / name
    got = found(path)
    counts: dict[str, int] = {}
    for _, _, rule in got:
        counts[rule] = counts.get(rule, 0) + 1
    assert counts == SEED_EXPECTATIONS[name]
    assert got == expected_markers(path)


def test_seed_003_messages_name_the_culprit_and_end_with_the_remedy() -> None:
    result = check_source("003.py", SEEDS / "003_35032612f6cf8bd1.py")
    by_line = {f.line: f for f in result.findings}
    save = by_line[13]
    assert save.rule == "MIG201" and save.severity == "high" and save.col == 1
    assert save.message == (
        "`model.save(export_dir)` writes a legacy Keras SavedModel folder, which Keras 3 cannot "
        "write or load (ValueError: Invalid filepath extension for saving); save to "
        "`export_dir / 'model.keras'` or call `model.export(export_dir)` for serving."
    )
    assert save.fix == (
        "save to `export_dir / 'model.keras'` or call `model.export(export_dir)` for serving"
    )
    weights = by_line[23]
    assert weights.rule == "MIG204"
    assert weights.message.startswith(
        "`model.save_weights(weights_path)` writes a TensorFlow-format"
    )
    assert weights.message.endswith("save to `weights_path.with_suffix('.weights.h5')`.")
    h5 = by_line[18]
    assert h5.rule == "MIG203" and h5.severity == "low"
    assert h5.message.endswith("save to `h5_path.with_suffix('.keras')`.")
    assert by_line[59].message.startswith(
        '`tf.keras.models.load_model("artifacts/my_model/savedmodel/v1", …)` loads a SavedModel'
    )


def test_seed_004_contrib_message() -> None:
    result = check_source("004.py", SEEDS / "004_171a17abf0a5cbd9.py")
    first = result.findings[0]
    assert first.message.startswith(
        "`tf.contrib.saved_model.save_keras_model(model, …)` uses `tf.contrib`, which TensorFlow "
        "2.0 removed"
    )
    assert first.message.endswith("convert existing exports with `migrator convert`.")


# --- false positives ----------------------------------------------------------------------------


def test_current_api_code_yields_no_finding() -> None:
    files = case_files(CURRENT_API)
    code_lines = 0
    for path in files:
        result = check_source(path.name, path)
        assert result.errors == (), (path, result.errors)
        assert result.findings == (), (path, [f.location(path.name) for f in result.findings])
        if path.suffix == ".py":
            code_lines += len(path.read_text(encoding="utf-8").splitlines())
        else:
            nb = json.loads(path.read_text(encoding="utf-8"))
            code_lines += sum(
                len("".join(c["source"]).splitlines())
                for c in nb["cells"]
                if c["cell_type"] == "code"
            )
    assert len(files) >= 5
    assert code_lines >= 350, code_lines


# --- severities that depend on the call ----------------------------------------------------------


def check_text(tmp_path: Path, text: str, name: str = "snippet.py") -> list[Finding]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = check_source(name, path)
    assert result.errors == (), result.errors
    return list(result.findings)


def test_tf1_apis_are_high_as_tf_and_medium_through_compat(tmp_path: Path) -> None:
    findings = check_text(
        tmp_path,
        "import tensorflow as tf\n"
        "a = tf.train.Saver()\n"
        "b = tf.compat.v1.train.Saver()\n"
        "from tensorflow.python.tools import freeze_graph\n"
        "freeze_graph.freeze_graph()\n"
        "c = tf.graph_util.convert_variables_to_constants(s, g, [])\n",
    )
    got = [(f.line, f.rule, f.severity) for f in findings]
    assert got == [
        (2, "MIG213", "high"),
        (3, "MIG213", "medium"),
        (5, "MIG215", "medium"),
        (6, "MIG215", "high"),
    ]
    assert findings[0].message.endswith(
        "no longer exists in TensorFlow 2 (AttributeError); use `tf.train.Checkpoint(model=model)"
        ".save(prefix)` (object-based) or `model.save_weights('x.weights.h5')`."
    )
    assert "still runs through `tf.compat.v1`" in findings[1].message


def test_save_format_severity_follows_what_keras3_does(tmp_path: Path) -> None:
    findings = check_text(
        tmp_path,
        "import keras\n"
        "model = keras.Sequential()\n"
        "model.save('m.keras', save_format='keras')\n"
        "model.save('m', save_format='h5')\n",
    )
    assert [(f.line, f.rule, f.severity) for f in findings] == [
        (3, "MIG202", "low"),
        (4, "MIG202", "high"),
    ]
    assert findings[0].col == len("model.save('m.keras', ") + 1  # the keyword, 1-based


def test_model_checkpoint_h5_is_medium_and_input_layer_low(tmp_path: Path) -> None:
    findings = check_text(
        tmp_path,
        "from tensorflow import keras\n"
        "cb = keras.callbacks.ModelCheckpoint('best.h5')\n"
        "inp = keras.layers.InputLayer(batch_input_shape=(None, 3))\n",
    )
    assert [(f.rule, f.severity) for f in findings] == [("MIG206", "medium"), ("MIG217", "low")]
    assert findings[0].message.endswith("use `'best.keras'`.")
    assert findings[1].message.endswith("rename it to `batch_shape=`.")


def test_every_code_rule_default_severity_is_its_worst_case() -> None:
    assert get_rule("MIG203").severity == "low"
    assert get_rule("MIG219").severity == "medium"
    assert {r.severity for r in all_rules("code")} <= {"low", "medium", "high"}


# --- notebooks ---------------------------------------------------------------------------------


def test_notebook_findings_point_into_the_cell() -> None:
    path = CODE_CASES / "MIG201" / "positive" / "notebook.ipynb"
    result = check_source("nb.ipynb", path)
    assert [(f.cell, f.line, f.col) for f in result.findings] == [(3, 5, 1), (4, 3, 1)]
    assert result.findings[0].location("nb.ipynb") == "nb.ipynb:cell_3:5:1"
    assert result.findings[0].to_json()["cell"] == 3


def test_neutralise_ipython_keeps_line_numbers() -> None:
    source = "%matplotlib inline\nx = 1\n!ls \\\n  -la\nfiles = !ls\nobj?\n    %time f()\n"
    code, magics = neutralise_ipython(source)
    assert code.splitlines() == ["pass", "x = 1", "pass", "", "pass", "pass", "    pass"]
    assert [(m.line, m.name) for m in magics] == [
        (1, "matplotlib"),
        (3, "!"),
        (5, "!"),
        (6, "?"),
        (7, "time"),
    ]
    code, magics = neutralise_ipython("%%bash\necho model.save('x')\n")
    assert code.strip() == "" and magics[0].name == "%%bash"
    code, _ = neutralise_ipython("%%writefile train.py\nimport os\n")
    assert code.splitlines() == ["", "import os"]


def test_notebook_with_a_broken_cell_checks_the_others(tmp_path: Path) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["import tensorflow as tf\n", "model = tf.keras.Sequential()"],
            },
            {"cell_type": "code", "source": ["print 'python 2'\n"]},
            {"cell_type": "code", "source": "model.save('saved_dir')\n"},
        ],
        "metadata": {"kernelspec": {"language": "python"}},
        "nbformat": 4,
    }
    path = tmp_path / "broken.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    result = check_source("broken.ipynb", path)
    assert [(f.cell, f.line, f.rule) for f in result.findings] == [(3, 1, "MIG201")]
    assert len(result.errors) == 1 and result.errors[0].startswith("cell 2: cannot parse")


def test_notebook_v3_and_other_kernels(tmp_path: Path) -> None:
    v3 = {
        "metadata": {"language": "python"},
        "nbformat": 3,
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": ["import tensorflow as tf\n", "s = tf.train.Saver()\n"],
                    },
                ]
            }
        ],
    }
    (tmp_path / "old.ipynb").write_text(json.dumps(v3), encoding="utf-8")
    result = check_source("old.ipynb", tmp_path / "old.ipynb")
    assert [(f.cell, f.line, f.rule) for f in result.findings] == [(1, 2, "MIG213")]
    r_nb = {
        "metadata": {"kernelspec": {"language": "R"}},
        "nbformat": 4,
        "cells": [{"cell_type": "code", "source": "model <- keras_model_sequential()"}],
    }
    (tmp_path / "r.ipynb").write_text(json.dumps(r_nb), encoding="utf-8")
    assert check_source("r.ipynb", tmp_path / "r.ipynb").errors == ()


# --- ignores, config ----------------------------------------------------------------------------


def test_inline_ignores(tmp_path: Path) -> None:
    findings = check_text(
        tmp_path,
        "import keras\n"
        "model = keras.Sequential()\n"
        "model.save('a')  # migrator: ignore[MIG201]\n"
        "model.save('b')  # migrator: ignore\n"
        "model.save('c')  # migrator: ignore[keras-save-savedmodel-dir]\n"
        "model.save('d')  # migrator: ignore[MIG203]\n"
        "model.save(  # migrator: ignore[MIG201]\n"
        "    'e')\n"
        "model.save('f', save_format='tf')  # migrator: ignore[MIG202]\n"
        "x = 'model.save(\"g\")  # migrator: ignore'\n"
        "model.save('h')\n",
    )
    assert [(f.line, f.rule) for f in findings] == [(6, "MIG201"), (9, "MIG201"), (11, "MIG201")]


def test_config_select_and_ignore_filter_code_rules() -> None:
    path = SEEDS / "003_35032612f6cf8bd1.py"
    only_saves = Config(select=("MIG201", "keras-save-h5"))
    assert {r for _, _, r in found(path, only_saves)} == {"MIG201", "MIG203"}
    no_loads = Config(ignore=("MIG205", "keras-load-model-savedmodel"))
    assert {r for _, _, r in found(path, no_loads)} == {"MIG201", "MIG203", "MIG204"}
    assert found(path, Config(select=("artifact",))) == set()
    assert len(found(path, Config(select=("MIG2",)))) == 7


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("py2.py", b"import tensorflow as tf\nprint 'hello'\n", "cannot parse as Python 3"),
        ("nul.py", b"import os\x00\n", "cannot parse as Python source"),
        ("latin.py", b"# -*- coding: ascii -*-\nx = '\xe9'\n", "cannot decode"),
        ("bad.ipynb", b"{not json", "invalid JSON"),
        ("list.ipynb", b"[1, 2]", "not a notebook"),
        ("cells.ipynb", b'{"cells": 3}', "no list of cells"),
        ("src.ipynb", b'{"cells": [{"cell_type": "code", "source": 5}]}', "source is not text"),
        ("deep.py", b"x = " + b" + ".join([b"'a'"] * 5000) + b"\n", "nested too deeply"),
    ],
)
def test_unreadable_sources_are_one_line_errors(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = check_source(name, path)
    assert result.findings == ()
    assert len(result.errors) == 1 and expected in result.errors[0]
    assert "\n" not in result.errors[0]


def test_declared_encoding_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "legacy.py"
    path.write_bytes(
        b"# -*- coding: latin-1 -*-\nimport keras\nm = keras.Sequential()\nm.save('mod\xe8le')\n"
    )
    result = check_source("legacy.py", path)
    assert [(f.line, f.rule) for f in result.findings] == [(4, "MIG201")]
    assert "mod\u00e8le" in result.findings[0].message


def test_a_crashing_rule_becomes_an_error_line() -> None:
    def boom(node: ast.AST, ctx: CodeContext) -> None:
        raise RuntimeError("bug")

    broken = dataclasses.replace(get_rule("MIG204"), check=boom)
    path = SEEDS / "003_35032612f6cf8bd1.py"
    result = check_source("003.py", path, rules=[get_rule("MIG201"), broken])
    assert [f.rule for f in result.findings] == ["MIG201", "MIG201"]
    assert result.errors and all("internal error in rule MIG204" in e for e in result.errors)


# --- static reading ----------------------------------------------------------------------------


def context(code: str) -> CodeContext:
    return CodeContext(Source(text=code, tree=ast.parse(code)))


def last_call_arg(ctx: CodeContext) -> ast.expr:
    calls = [
        n
        for n in ast.walk(ctx.tree)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "save"
    ]
    return calls[-1].args[0]


@pytest.mark.parametrize(
    ("code", "tail", "complete"),
    [
        ("m.save('a/b')", "a/b", True),
        ("import os\nm.save(os.path.join('a', 'b', 'c.keras'))", "a/b/c.keras", True),
        ("import os\nm.save(os.path.join(d, 'c'))", "/c", False),
        ("m.save(f'{d}/x.h5')", "/x.h5", False),
        ("m.save(f'{d}/x_{e:03d}')", "", False),
        ("from pathlib import Path\nm.save(Path('a') / 'b' / 'c')", "a/b/c", True),
        (
            "from pathlib import Path\np = Path('a') / 'w'\nm.save(p.with_suffix('.h5'))",
            "a/w.h5",
            True,
        ),
        ("m.save(d + '.keras')", "*.keras", False),
        ("m.save('%s/model_%d.h5' % (d, 3))", "*.h5", False),
        ("m.save('{}/m.keras'.format(d))", "/m.keras", False),
        ("x = 'a'\nx += '/b'\nm.save(x)", "a/b", True),
        ("def f(p):\n    q = p + '/out'\n    m.save(q)", "/out", False),
        ("x = 'outer'\ndef f():\n    m.save(x)", "outer", True),
        ("x = 'first'\nx = 'second.h5'\nm.save(x)", "second.h5", True),
    ],
)
def test_path_evaluation(code: str, tail: str, complete: bool) -> None:
    ctx = context(code)
    value = ctx.path(last_call_arg(ctx))
    assert (value.tail, value.complete) == (tail, complete)


@pytest.mark.parametrize(
    ("code", "expr", "qualname"),
    [
        ("import tensorflow as tf", "tf.keras.models.load_model", "keras.models.load_model"),
        ("from tensorflow import keras", "keras.Model", "keras.Model"),
        ("from tensorflow.keras.models import load_model as lm", "lm", "keras.models.load_model"),
        ("import tf_keras as keras", "keras.layers.Dense", "keras.layers.Dense"),
        ("import keras", "keras.saving.save_model", "keras.saving.save_model"),
        ("from keras import models", "models.load_model", "keras.models.load_model"),
        ("import tensorflow as tf\nK = tf.keras", "K.Sequential", "keras.Sequential"),
        ("import tensorflow.compat.v1 as tf", "tf.train.Saver", "tensorflow.compat.v1.train.Saver"),
        ("from keras.layers import *", "Dense", "keras.layers.Dense"),
        ("import numpy as np", "np.save", "numpy.save"),
        ("def lm(x): pass", "lm", None),
    ],
)
def test_import_aliases(code: str, expr: str, qualname: str | None) -> None:
    ctx = context(code + f"\n{expr}\n")
    node = ctx.tree.body[-1].value
    assert ctx.qualname(node) == qualname


def test_rules_never_import_tensorflow() -> None:
    check_source("003.py", SEEDS / "003_35032612f6cf8bd1.py")
    loaded = [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras")]
    assert loaded == []


@pytest.mark.parametrize(
    ("internal", "public"),
    [
        ("tensorflow.python.keras._impl.keras.models.load_model", "keras.models.load_model"),
        ("tensorflow.contrib.keras.python.keras.models.Sequential", "keras.models.Sequential"),
        ("keras.engine.saving.save_model", "keras.models.save_model"),
        ("tensorflow.python.keras.saving.save.load_model", "keras.models.load_model"),
        ("freeze_graph.freeze_graph", "tensorflow.python.tools.freeze_graph.freeze_graph"),
        ("keras.saving.legacy.save.load_model", "keras.saving.legacy.save.load_model"),
    ],
)
def test_internal_keras_paths_read_as_public(internal: str, public: str) -> None:
    """Every release's implementation path of a saving API is the API the rules know."""
    from migrator.rules._python import canonical

    assert canonical(internal) == public


@pytest.mark.parametrize(
    ("internal", "public", "how"),
    [
        ("tensorflow.python.training.saver.Saver", "tensorflow.train.Saver", "internal"),
        (
            "tensorflow.python.training.adam.AdamOptimizer",
            "tensorflow.train.AdamOptimizer",
            "internal",
        ),
        (
            "tensorflow.contrib.saved_model.python.saved_model.keras_saved_model.save_keras_model",
            "tensorflow.contrib.saved_model.save_keras_model",
            "internal",
        ),
        ("tensorflow.compat.v1.train.Saver", "tensorflow.train.Saver", "compat.v1"),
        ("tensorflow.train.Saver", "tensorflow.train.Saver", ""),
        ("tensorflow.saved_model.save", "tensorflow.saved_model.save", ""),
    ],
)
def test_internal_tf_paths_read_as_public(internal: str, public: str, how: str) -> None:
    """TF implementation modules map to the public TF1 name, remembering how they were reached."""
    from migrator.rules._python import tf_api

    assert tf_api(internal) == (public, how)

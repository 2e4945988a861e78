"""The one home of version facts: the TF-line table agrees with every place that pins or names a
line (tox.ini, corpus/constraints/, the conversion runtimes, the loadability columns, the corpus
envs), every fact says where it was checked, and the one version parser reads every spelling."""

from __future__ import annotations

import ast
import configparser
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import migrator.knowledge as knowledge
from migrator.knowledge import PROVENANCE, fact, versions
from migrator.knowledge.tf_lines import ENV_NAMES, LINE_NAMES, TF_LINES, by_env, line_of

REPO = Path(__file__).resolve().parents[1]


def _tox() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "tox.ini")
    return parser


def _tox_pins(env: str) -> dict[str, str]:
    """`deps` pins tox installs for one TF env: lines like `tf216: keras==3.3.3`. Only the
    TensorFlow/Keras distributions are the line's pins; tools an env also carries (mlflow in
    tf221, for the MLflow tests) are not."""
    deps = _tox()["testenv:tf{" + ",".join(e[2:] for e in ENV_NAMES) + "}"]["deps"]
    out: dict[str, str] = {}
    for line in deps.strip().splitlines():
        factor, _, requirement = line.strip().partition(":")
        if factor.strip() == env:
            name, _, version = requirement.strip().partition("==")
            if name.strip() in ("tensorflow-cpu", "keras", "tf-keras"):
                out[name.strip()] = version.strip()
    return out


def _constraints(env: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (REPO / "corpus" / "constraints" / f"{env}.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, _, version = line.partition("==")
            out[name.strip().lower().replace("_", "-")] = version.strip()
    return out


def test_tox_envs_are_the_tf_lines() -> None:
    envlist = [e.strip() for e in _tox()["tox"]["envlist"].split(",")]
    assert [e for e in envlist if e.startswith("tf")] == list(ENV_NAMES)
    section = "testenv:tf{" + ",".join(e[2:] for e in ENV_NAMES) + "}"
    assert section in _tox(), f"tox.ini has no [{section}] section for exactly the TF lines"


@pytest.mark.parametrize("line", TF_LINES, ids=lambda t: t.env)
def test_tox_pins_and_constraints_match_the_table(line) -> None:  # noqa: ANN001
    assert _tox_pins(line.env) == line.pins(), f"tox.ini deps for {line.env} disagree"
    frozen = _constraints(line.env)
    for name, version in line.pins().items():
        assert frozen.get(name) == version, f"corpus/constraints/{line.env}.txt: {name}"
    if not line.keras3:
        assert frozen.get("keras") == line.keras, f"{line.env}: tf.keras is keras {line.keras}"
    assert frozen.get("tf-keras") == line.tf_keras, f"{line.env}: tf-keras pin"


def test_tox_sets_one_runtime_variable_per_line() -> None:
    section = _tox()["testenv:tf{" + ",".join(e[2:] for e in ENV_NAMES) + "}"]
    names = re.findall(r"MIGRATOR_RUNTIME_(TF\d+)\s*=", section["set_env"])
    assert names == [e.upper() for e in ENV_NAMES]


def test_constraint_files_are_exactly_the_measured_runtimes() -> None:
    """One per runtime of the extended matrix: the CI lines' (tox's PIP_CONSTRAINT), the other
    TF lines' freezes and the Keras overlays' contents (corpus/envs.py)."""
    from migrator.knowledge.runtimes import NAMES

    files = sorted(p.stem for p in (REPO / "corpus" / "constraints").glob("*.txt"))
    assert files == sorted(NAMES)
    assert set(ENV_NAMES) <= set(files)


def test_runtimes_corpus_and_loadability_derive_from_the_table() -> None:
    from corpus import ENVS
    from migrator.convert import runtimes
    from migrator.loadability import TF_LINES as LOAD_COLUMNS

    assert ENVS == {t.line: t.env for t in TF_LINES}
    assert tuple(runtimes.RUNTIME_NAMES) == ENV_NAMES
    assert tuple(LOAD_COLUMNS) == LINE_NAMES


def test_table_lookups() -> None:
    assert by_env("tf216").keras == "3.3.3"
    assert line_of("2.15.1").env == "tf215"
    assert line_of("2.13.0") is None
    assert line_of("garbage") is None
    with pytest.raises(KeyError, match="known: tf212"):
        by_env("tf299")


def _fact_modules() -> list[str]:
    return [f"migrator.knowledge.{m.name}" for m in pkgutil.iter_modules(knowledge.__path__)]


def test_every_fact_says_where_it_was_checked() -> None:
    for name in _fact_modules():
        importlib.import_module(name)
    assert PROVENANCE, "no facts registered"
    for provenance in PROVENANCE.values():
        assert provenance.checked.strip(), provenance.name


def test_every_public_table_in_knowledge_is_a_registered_fact() -> None:
    """Upper-case tables in knowledge/ are assigned through `fact(...)` (or derived from one)."""
    for name in _fact_modules():
        path = REPO / (name.replace(".", "/") + ".py")
        tree = ast.parse(path.read_text())
        for node in tree.body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign):
                value = node.value
            else:
                continue
            if not (isinstance(target, ast.Name) and target.id.isupper()) or target.id[0] == "_":
                continue
            if not isinstance(value, (ast.Set, ast.Dict, ast.List, ast.Tuple, ast.Call)):
                continue  # labels and aliases
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "fact":
                continue
            derived = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
            assert derived & {
                t.id for t in ast.walk(tree) if isinstance(t, ast.Name) and t.id.isupper()
            } - {target.id}, f"{name}.{target.id} is a table not registered with fact()"


def test_a_fact_is_stated_once() -> None:
    fact("test_knowledge_once", 1, checked="this test")
    with pytest.raises(ValueError, match="stated twice"):
        fact("test_knowledge_once", 2, checked="this test")
    with pytest.raises(ValueError, match="where it was checked"):
        fact("test_knowledge_unchecked", 3, checked="")
    PROVENANCE.pop("test_knowledge_once")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2.2.4-tf", (2, 2, 4)),
        ("2.15.0", (2, 15, 0)),
        ("3.0.0.dev2023112300", (3, 0, 0)),
        ("1.2.2", (1, 2, 2)),
        ("2.15.0rc1", (2, 15, 0)),
        (" v2.4", (2, 4)),
        (b"2.1.6", (2, 1, 6)),
        ("keras", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_version_parser_reads_every_spelling(text: object, parsed: tuple | None) -> None:
    assert versions.parse(text) == parsed


def test_version_helpers() -> None:
    assert versions.major("2.2.4-tf") == 2
    assert versions.major("x") is None
    assert versions.minor_line("3") == (3, 0)
    assert versions.at_least("3.11.3", (3, 11, 3))
    assert not versions.at_least("3.11.2", (3, 11, 3))
    assert versions.at_least("2.5", (2, 5, 0))
    assert not versions.at_least(None, (1,))


# --- the extended matrix's runtimes (migrator/knowledge/runtimes.py)


def test_measured_runtimes_cover_every_tf_and_keras3_minor() -> None:
    from migrator.knowledge.runtimes import RUNTIMES, TF_RUNTIMES, keras_minor

    assert [r.line for r in TF_RUNTIMES] == [f"2.{m}" for m in range(12, 22)]
    for minor in range(16):
        assert keras_minor(f"3.{minor}").keras_line == f"3.{minor}"
    names = [r.name for r in RUNTIMES]
    assert len(names) == len(set(names)) == 10 + 14  # 3.3 and 3.15 are CI lines' own Keras


def test_ci_runtimes_are_the_tf_lines_unchanged() -> None:
    from migrator.knowledge.runtimes import RUNTIMES

    ci = [r for r in RUNTIMES if r.ci]
    assert [r.name for r in ci] == list(ENV_NAMES)
    for runtime, line in zip(ci, TF_LINES, strict=True):
        assert (runtime.tensorflow, runtime.keras, runtime.tf_keras, runtime.python_max) == (
            line.tensorflow,
            line.keras,
            line.tf_keras,
            line.python_max,
        )


def test_keras_overlays_run_on_their_base_line() -> None:
    from migrator.knowledge.runtimes import RUNTIMES, by_name

    for runtime in (r for r in RUNTIMES if r.overlay):
        base = by_name(runtime.base)
        assert not base.overlay and base.keras3, runtime.name
        assert (runtime.tensorflow, runtime.tf_keras) == (base.tensorflow, base.tf_keras)
        assert runtime.name == f"{base.name}-keras{runtime.keras_line.replace('.', '')}"
        assert runtime.pins() == {"keras": runtime.keras}
        # the newest TF that admits the Keras: a base older than 2.21 says which bound decided
        assert (runtime.note == "") == (base.name == "tf221"), runtime.name


def test_runtime_python_bounds() -> None:
    from migrator.knowledge.runtimes import by_name

    assert by_name("tf212").python_min == "3.8"
    assert by_name("tf221").python_min == "3.11"  # keras 3.15.1 Requires-Python >=3.11
    assert by_name("tf219-keras35").python_min == "3.9"
    with pytest.raises(KeyError, match="known: tf212"):
        by_name("tf299")


def test_every_runtime_is_pinned_by_its_constraints_file() -> None:
    """A TF line's freeze holds exactly its pins (tf-keras absent where the table has none); an
    overlay's file holds its Keras and nothing TensorFlow (it changes only the Keras)."""
    from migrator.knowledge.runtimes import RUNTIMES

    for runtime in RUNTIMES:
        frozen = _constraints(runtime.name)
        if runtime.overlay:
            assert frozen.get("keras") == runtime.keras, runtime.name
            assert not {"tensorflow", "tensorflow-cpu", "tf-keras"} & set(frozen), runtime.name
            continue
        for name, version in runtime.pins().items():
            assert frozen.get(name) == version, f"corpus/constraints/{runtime.name}.txt: {name}"
        assert frozen.get("keras") == runtime.keras, runtime.name
        assert frozen.get("tf-keras") == runtime.tf_keras, runtime.name

"""`migrator inspect` prints a SavedModel as `saved_model_cli show --all` does, without TensorFlow.

The core tests build SavedModel protos with our own schema (a COO sparse input, an object graph
whose root has a traced `tf.function` and a bare concrete function) and check the exact lines
saved_model_cli's printing code produces for them (`_print_tensor_info`, `_print_args`). The
TF-marked test runs the real `saved_model_cli show --all` (TF 2.21) on SavedModels built at test
time (a TF1 sparse signature, a TF2 module with several concrete functions and a SparseTensorSpec
argument), corpus and real-world SavedModels, and compares line for line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.formats import protos
from migrator.model import Artifact
from migrator.report.inspect import render, saved_model_cli_text
from tests.cases._writers import PREDICT, saved_model, signature, tf2_graph
from tests.conftest import REALWORLD, REPO

DT_FLOAT, DT_INT32, DT_INT64 = 1, 3, 9


def _only(path: Path) -> Artifact:
    (artifact,) = audit([path]).artifacts
    assert not artifact.errors, artifact.errors
    return artifact


def _cli_lines(artifact: Artifact) -> list[str]:
    functions = artifact.reading.raw.get("concrete_functions")
    return saved_model_cli_text(artifact.details["meta_graphs"], functions)


# --- sparse inputs ---------------------------------------------------------------------------------


def test_coo_sparse_input_prints_an_empty_name(tmp_path: Path) -> None:
    sig = signature(PREDICT, {"x": "x:0"}, {"y": "y:0"})
    sparse = sig.inputs["sp"]
    sparse.dtype = DT_FLOAT
    sparse.tensor_shape.dim.add(size=-1)
    sparse.tensor_shape.dim.add(size=3)
    sparse.coo_sparse.values_tensor_name = "sp/values:0"
    sparse.coo_sparse.indices_tensor_name = "sp/indices:0"
    sparse.coo_sparse.dense_shape_tensor_name = "sp/shape:0"
    graph = tf2_graph(signatures={"serving_default": sig})
    artifact = _only(saved_model(tmp_path / "sm", graph))
    text = "\n".join(_cli_lines(artifact))
    # what saved_model_cli (TF 2.21) prints for a tf.compat.v1.sparse_placeholder input
    assert (
        "    inputs['sp'] tensor_info:\n"
        "        dtype: DT_FLOAT\n"
        "        shape: (-1, 3)\n"
        "        name: \n"
        "    inputs['x'] tensor_info:"
    ) in text
    # the component names stay in the details for anyone who needs them
    info = artifact.details["meta_graphs"][0]["signatures"]["serving_default"]["inputs"]["sp"]
    assert info["sparse"]["indices"] == "sp/indices:0"


# --- concrete functions ------------------------------------------------------------------------------


def _value(**kind: object) -> object:
    return protos.message_class("StructuredValue")(**kind)


def _spec(name: str, dims: list[int], dtype: int) -> object:
    spec = protos.message_class("TensorSpecProto")(name=name, dtype=dtype)
    for size in dims:
        spec.shape.dim.add(size=size)
    return _value(tensor_spec_value=spec)


def _tuple(*items: object) -> object:
    return _value(tuple_value=protos.message_class("ListValue")(values=list(items)))


def _signature_value(args: list[object], kwargs: dict[str, object]) -> object:
    mapping = protos.message_class("DictValue")()
    for key, value in kwargs.items():
        mapping.fields[key].CopyFrom(value)
    return _tuple(_tuple(*args), _value(dict_value=mapping))


def _object_graph_model(folder: Path) -> Path:
    graph = tf2_graph()
    og = graph.object_graph_def
    root = og.nodes[0]
    sparse_state = _tuple(
        _value(tensor_shape_value=protos.message_class("TensorShapeProto")(
            dim=[{"size": -1}, {"size": 4}])),
        _value(tensor_dtype_value=DT_FLOAT),
    )  # fmt: skip
    sparse = protos.message_class("TypeSpecProto")(
        type_spec_class=1, type_state=sparse_state, type_spec_class_name="SparseTensorSpec"
    )
    traced = {
        "__inference_g_60": _signature_value(
            [_spec("a", [-1], DT_FLOAT), _value(int64_value=3), _value(bool_value=False)], {}
        ),
        "__inference_g_66": _signature_value(
            [_spec("a", [2, 2], DT_INT32), _value(int64_value=2), _value(bool_value=True)], {}
        ),
        "__inference_h_46": _signature_value([_value(type_spec_value=sparse)], {}),
        "__inference_k_70": _signature_value(
            [
                _value(
                    list_value=protos.message_class("ListValue")(
                        values=[_value(string_value="a"), _value(int64_value=1)]
                    )
                )
            ],
            {"flag": _value(none_value=protos.message_class("NoneValue")())},
        ),  # fmt: skip
    }
    for name, value in traced.items():
        og.concrete_functions[name].canonicalized_input_signature.CopyFrom(value)
    for child, names in (("g", ["__inference_g_60", "__inference_g_66"]),
                         ("h", ["__inference_h_46"]), ("k", ["__inference_k_70"])):  # fmt: skip
        node = og.nodes.add()
        node.function.concrete_functions.extend(names)
        root.children.add(node_id=len(og.nodes) - 1, local_name=child)
    bare = og.nodes.add()
    bare.bare_concrete_function.concrete_function_name = "__inference_b_80"
    bare.bare_concrete_function.argument_keywords.extend(["x", "y"])
    og.concrete_functions["__inference_b_80"].bound_inputs.append(0)
    root.children.add(node_id=len(og.nodes) - 1, local_name="b")
    variable = og.nodes.add()
    variable.variable.dtype = DT_FLOAT
    root.children.add(node_id=len(og.nodes) - 1, local_name="v")
    return saved_model(folder, graph)


def test_concrete_functions_section_as_saved_model_cli_prints_it(tmp_path: Path) -> None:
    artifact = _only(_object_graph_model(tmp_path / "sm"))
    lines = _cli_lines(artifact)
    section = lines[lines.index("Concrete Functions:") :]
    assert section == [
        "Concrete Functions:",
        "  Function Name: 'b'",
        "    Option #1",
        "      Callable with:",
        "        Argument #1",
        "          x",
        "        Argument #2",
        "          y",
        "",
        "  Function Name: 'g'",
        "    Option #1",
        "      Callable with:",
        "        Argument #1",
        "          a: TensorSpec(shape=(None,), dtype=tf.float32, name='a')",
        "        Argument #2",
        "          DType: int",
        "          Value: 3",
        "        Argument #3",
        "          DType: bool",
        "          Value: False",
        "    Option #2",
        "      Callable with:",
        "        Argument #1",
        "          a: TensorSpec(shape=(2, 2), dtype=tf.int32, name='a')",
        "        Argument #2",
        "          DType: int",
        "          Value: 2",
        "        Argument #3",
        "          DType: bool",
        "          Value: True",
        "",
        "  Function Name: 'h'",
        "    Option #1",
        "      Callable with:",
        "        Argument #1",
        "          DType: SparseTensorSpec",
        "          Value: SparseTensorSpec(TensorShape([None, 4]), tf.float32)",
        "",
        "  Function Name: 'k'",
        "    Option #1",
        "      Callable with:",
        "        Argument #1",
        "          DType: list",
        "          Value: ['a', 1, \b\b]",
        "        Named Argument #1",
        "          flag",
    ]
    # and `migrator inspect` shows it after the signatures
    text = render(artifact)
    assert text.index("signature_def['serving_default']") < text.index("Concrete Functions:")


def test_tf1_savedmodels_have_no_concrete_functions_section() -> None:
    folder = REALWORLD / "artifacts" / "serving_hp2_cpu_tf114"
    if not folder.is_dir():
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    (artifact,) = audit([folder]).artifacts
    assert "Concrete Functions:" not in render(artifact)
    tf2 = REALWORLD / "artifacts" / "serving_hp2_tf2_tf214"
    (artifact,) = audit([tf2]).artifacts
    assert "Concrete Functions:\n  Function Name: '" in render(artifact)


# --- against the real saved_model_cli ----------------------------------------------------------------

SAVED_MODEL_CLI = REPO / ".tox" / "tf221" / "bin" / "saved_model_cli"

BUILD = """
import sys
import tensorflow as tf
out = sys.argv[1]
g = tf.Graph()
with g.as_default():
    sp = tf.compat.v1.sparse_placeholder(tf.float32, shape=[None, 3], name="sp")
    x = tf.compat.v1.placeholder(tf.int64, shape=[2], name="x")
    y = tf.sparse.reduce_sum(sp, axis=1, name="y")
    with tf.compat.v1.Session(graph=g) as s:
        b = tf.compat.v1.saved_model.Builder(out + "/sparse_tf1")
        sig = tf.compat.v1.saved_model.predict_signature_def(
            inputs={"sp": sp, "x": x}, outputs={"y": y})
        b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={"serving_default": sig})
        b.save()

class M(tf.Module):
    def __init__(self):
        self.v = tf.Variable(2.0)
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="a")])
    def f(self, a):
        return {"out": a * self.v}
    @tf.function
    def g(self, a, b=2, training=False):
        return a + b
m = M()
m.g.get_concrete_function(tf.TensorSpec([None], tf.float32), b=3)
m.g.get_concrete_function(tf.TensorSpec([2, 2], tf.int32), training=True)
m.h = tf.function(lambda s: tf.sparse.reduce_sum(s),
                  input_signature=[tf.SparseTensorSpec([None, 4], tf.float32)])
tf.saved_model.save(m, out + "/concrete_tf2", signatures={"serving_default": m.f, "sparse": m.h})
"""

CORPUS = [
    "corpus/generated/tf221/tf_keras/functional/tf-saved-model/saved_model",
    "corpus/generated/tf221/tf_keras/lambda/save-dir/model",
]
REAL = [
    "serving_hp2_tf2_tf214/saved_model_half_plus_two_tf2_cpu/00000123",
    "houserent_tf215_keras_sm_spacedpath/archive (4)",
    "jba_tf20a0_export_saved_model_multimeta/1554322901",
    "serving_hp2_cpu_tf114/saved_model_half_plus_two_cpu/00000123",
]
OPS_LINE = "contains the following ops: "


def _option_blocks(lines: list[str]) -> tuple[list[str], dict[str, list[tuple[str, ...]]]]:
    """The lines outside Concrete Functions, and each function's options as a sorted list."""
    if "Concrete Functions:" not in lines:
        return lines, {}
    cut = lines.index("Concrete Functions:")
    functions: dict[str, list[list[str]]] = {}
    current = ""
    for line in lines[cut + 1 :]:
        if line.startswith("  Function Name: "):
            current = line
            functions[current] = []
        elif line.startswith("    Option #"):
            functions[current].append([])
        elif line and functions.get(current):
            functions[current][-1].append(line)
    blocks = {k: sorted(tuple(o) for o in v) for k, v in functions.items()}
    return lines[:cut], blocks


def _differences(cli: list[str], ours: list[str]) -> list[str]:
    """Every way the two listings differ, in words (empty when they agree)."""
    problems = []
    cli_head, cli_functions = _option_blocks(cli)
    our_head, our_functions = _option_blocks(ours)
    if len(cli_head) != len(our_head):
        problems.append(f"{len(cli_head)} lines before Concrete Functions vs ours {len(our_head)}")
    for index, (theirs, mine) in enumerate(zip(cli_head, our_head, strict=False)):
        if OPS_LINE in theirs and OPS_LINE in mine:
            # a Python set there (hash order): same prefix, and ours lists at least its ops (we
            # also count ops of library functions no graph node reaches)
            prefix, _, cli_ops = theirs.partition(OPS_LINE)
            our_prefix, _, our_ops = mine.partition(OPS_LINE)
            missing = set(_printed_set(cli_ops)) - set(_printed_set(our_ops))
            if prefix != our_prefix or missing:
                problems.append(f"line {index + 1}: ops {sorted(missing)} missing from ours")
        elif theirs != mine:
            problems.append(f"line {index + 1}: saved_model_cli {theirs!r}, ours {mine!r}")
    if cli_functions != our_functions:
        problems.append(f"concrete functions differ: {cli_functions} vs {our_functions}")
    return problems


def _printed_set(text: str) -> list[str]:
    """The op names of a printed Python set of strings (`{'A', 'B'}` or `set()`)."""
    inner = text.strip()
    if inner == "set()":
        return []
    return [part.strip().strip("'") for part in inner.strip("{}").split(",") if part.strip()]


@pytest.mark.tf
def test_inspect_matches_saved_model_cli_line_for_line(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    if not SAVED_MODEL_CLI.is_file():
        pytest.skip(f"no saved_model_cli at {SAVED_MODEL_CLI}")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", BUILD, str(tmp_path)], check=True, env=env,
                   capture_output=True, timeout=600)  # fmt: skip
    folders = [tmp_path / "sparse_tf1", tmp_path / "concrete_tf2"]
    folders += [REPO / c for c in CORPUS if (REPO / c).is_dir()]
    folders += [REALWORLD / "artifacts" / r for r in REAL if (REALWORLD / "artifacts" / r).is_dir()]
    assert len(folders) >= 5
    report = {}
    for number, folder in enumerate(folders):
        copy = tmp_path / "copies" / str(number)
        shutil.copytree(folder, copy)  # saved_model_cli loads it: never the shared originals
        result = subprocess.run(
            [str(SAVED_MODEL_CLI), "show", "--all", "--dir", str(copy)],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        (artifact,) = audit([copy]).artifacts  # jba's export lacks its variables data: an error
        ours = _cli_lines(artifact)
        problems = _differences(result.stdout.rstrip("\n").split("\n"), ours)
        if problems:
            report[str(folder)] = problems
    assert report == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in report.items())

"""GraphDef reader: real frozen and text graphs, graphs built here, and broken copies.

Facts asserted for the real files come from their bytes as the MANIFEST's `evidence` states them
(node counts, Const/VariableV2 presence, the first node of the text graphs).
"""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pytest

from corpus import legacy_savedmodel as gen
from migrator.audit import audit
from migrator.formats import graphdef, protos
from migrator.model import Artifact, Candidate
from tests.conftest import realworld_entry


def one(path: Path, rel: str | None = None) -> Artifact:
    report = audit([path])
    if rel is None:
        assert len(report.artifacts) == 1, [a.path for a in report.artifacts]
        return report.artifacts[0]
    found = {a.path: a for a in report.artifacts}
    assert rel in found, sorted(found)
    return found[rel]


# --- real graphs -----------------------------------------------------------------------------------


def test_frozen_graphdef() -> None:
    a = one(realworld_entry("jonykai_frozen_graphdef"))
    assert a.path == "frozen_model.pb" and a.format == "graph-def"
    assert dict(a.producer) == {}  # a GraphDef records no TensorFlow release
    d = a.details
    assert d["container"] == "GraphDef" and d["encoding"] == "binary"
    assert d["frozen"] is True
    assert d["node_count"] == 269 and d["const_nodes"] == 63 and d["variable_nodes"] == 0
    assert {"Conv2D", "FusedBatchNorm", "Switch", "Merge", "Const"} <= set(d["op_types"])
    assert "VariableV2" not in d["op_types"]
    assert d["op_types"] == sorted(d["op_types"])
    assert {"name": "input_holder", "dtype": "DT_FLOAT", "shape": [-1, 40, 120, 1]} in d["inputs"]
    assert d["likely_outputs"] == ["digits_prediction"]
    assert len(a.reading.raw["ops"]["Const"]) == 63
    assert all(loc.startswith("graph:") for loc in a.reading.raw["ops"]["Conv2D"])
    assert a.errors == ()


def test_text_training_graph_is_not_frozen() -> None:
    a = one(realworld_entry("dl4j_tf_graphdef_text_train_iris"))
    assert a.path == "train_iris.pbtxt" and a.format == "graph-def"
    d = a.details
    assert d["encoding"] == "text" and d["frozen"] is False
    assert d["variable_nodes"] > 0 and "VariableV2" in d["op_types"]
    assert d["inputs"][0] == {"name": "Placeholder", "dtype": "DT_FLOAT", "shape": [-1, 4]}
    assert d["producer_version"] == 24
    assert "producer_version" not in a.producer
    saves = a.reading.raw["string_attrs"]["graph:save/SaveV2"]
    assert saves[0] == "model"  # the Saver's default filename Const feeds SaveV2


def test_same_graph_binary_text_and_txt_extension() -> None:
    root = realworld_entry("dl4j_tf_ckpt_abs_path_simple_graph") / "simple_graph"
    report = audit([root])
    graphs = {a.path: a for a in report.artifacts if a.format == "graph-def"}
    assert sorted(graphs) == ["frozen_graph.pbtxt", "frozen_model.pb", "model.txt"]
    binary, text = graphs["frozen_model.pb"].details, graphs["frozen_graph.pbtxt"].details
    assert {k: v for k, v in binary.items() if k != "encoding"} == {
        k: v for k, v in text.items() if k != "encoding"
    }
    assert binary["op_types"] == ["Add", "Placeholder"]
    assert binary["likely_outputs"] == ["output"]
    assert binary["inputs"] == [
        {"name": "input_0", "dtype": "DT_FLOAT", "shape": [4]},
        {"name": "input_1", "dtype": "DT_FLOAT", "shape": [4]},
    ]
    # model.txt is the checkpointed (not frozen) graph, as text, whatever its extension says
    model = graphs["model.txt"].details
    assert model["encoding"] == "text" and model["frozen"] is False
    assert "VariableV2" in model["op_types"]


def test_loose_metagraphdef(tmp_path: Path) -> None:
    meta = realworld_entry("dl4j_tf_ckpt_abs_path_simple_graph") / "simple_graph/data-all-1000.meta"
    shutil.copy(meta, tmp_path / "graph.pb")
    a = one(tmp_path)
    assert a.format == "graph-def"
    assert a.details["container"] == "MetaGraphDef"
    assert dict(a.producer) == {"tensorflow_version": "1.4.1"}
    assert a.details["tensorflow_git_version"] == "unknown"
    assert "MetaGraphDef" in a.details["note"] and "variables are not with it" in a.details["note"]
    assert a.details["node_count"] == 17 and a.errors == ()


# --- sniffing ------------------------------------------------------------------------------------------


def test_sniff_tells_the_graph_protos_apart() -> None:
    root = realworld_entry("dl4j_tf_ckpt_abs_path_simple_graph") / "simple_graph"
    sm = realworld_entry("serving_hp2_cpu_tf114") / "saved_model_half_plus_two_cpu/00000123"
    fp = realworld_entry("serving_hp2_tf2_tf214") / "saved_model_half_plus_two_tf2_cpu/00000123"
    assert graphdef.sniff((root / "frozen_model.pb").read_bytes()[:64]) == ("GraphDef", "binary")
    assert graphdef.sniff((root / "frozen_graph.pbtxt").read_bytes()[:64]) == ("GraphDef", "text")
    assert graphdef.sniff((root / "data-all-1000.meta").read_bytes()[:64]) == (
        "MetaGraphDef",
        "binary",
    )
    assert graphdef.sniff((sm / "saved_model.pb").read_bytes()[:64]) == ("SavedModel", "binary")
    assert graphdef.sniff((fp / "fingerprint.pb").read_bytes()[:64]) is None
    assert graphdef.sniff(b"item {\n  id: 1\n  name: 'drop'\n}\n") is None
    assert graphdef.sniff(b"saved_model_schema_version: 1\nmeta_graphs {") == (
        "SavedModel",
        "text",
    )
    assert graphdef.sniff(b'# proto-message: GraphDef\nnode {\n  name: "x"') == (
        "GraphDef",
        "text",
    )
    assert graphdef.sniff(b"\x89HDF\r\n\x1a\n" + b"\x00" * 56) is None
    assert graphdef.sniff(b"") is None


def test_long_first_node_name_is_read_past_the_head(tmp_path: Path) -> None:
    g = gen.Graph(24)
    g.placeholder("a" * 80 + "/input", gen.DT_FLOAT, (-1, 2))
    path = tmp_path / "graph.bin"
    path.write_bytes(g.graph.SerializeToString())
    head = path.read_bytes()[:64]
    assert graphdef.claim_file(path, head) is True
    a = one(tmp_path)
    assert a.format == "graph-def" and a.details["inputs"][0]["shape"] == [-1, 2]


# --- built graphs ----------------------------------------------------------------------------------


def _io_graph() -> bytes:
    """Ops that touch files, fed by string constants, in the graph and in a library function."""
    g = gen.Graph(1205)
    g.const("path", gen.DT_STRING, (), ["/etc/passwd"])
    g.node("read", "ReadFile", ["path"])
    g.node(
        "print",
        "PrintV2",
        ["read"],
        output_stream=gen.a_s("file:///tmp/leak.txt"),
        end=gen.a_s("\n"),
    )
    g.const("big_vocab", gen.DT_STRING, (5000,), [f"token{i:05d}" for i in range(5000)])
    g.node(
        "table_init",
        "InitializeTableFromTextFileV2",
        ["table", "big_vocab"],
        key_index=gen.a_i(-2),
        value_index=gen.a_i(-1),
    )
    fn = g.graph.library.function.add()
    fn.signature.name = "__inference_call_7"
    node = fn.node_def.add(name="pattern", op="Const")
    node.attr["dtype"].CopyFrom(gen.a_type(gen.DT_STRING))
    node.attr["value"].CopyFrom(
        protos.message_class("AttrValue")(tensor=gen.tensor(gen.DT_STRING, (), ["/home/*/.ssh"]))
    )
    fn.node_def.add(name="ls", op="MatchingFiles", input=["pattern:output:0"])
    g.node("call", "__inference_call_7")  # a call of the library function, not an op type
    return g.graph.SerializeToString()


@pytest.fixture(params=["whole", "walked"])
def walk_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Read graphs whole (as small graphs are), or force the field walk big graphs get."""
    if request.param == "walked":
        monkeypatch.setattr(graphdef.walk, "NODE_RUN", 256)
    return str(request.param)


def test_io_strings_and_function_library(tmp_path: Path, walk_mode: str) -> None:
    (tmp_path / "model.pb").write_bytes(_io_graph())
    a = one(tmp_path)
    d, raw = a.details, a.reading.raw
    assert d["function_count"] == 1 and d["function_node_count"] == 2
    assert "__inference_call_7" not in d["op_types"]
    assert {"ReadFile", "PrintV2", "MatchingFiles"} <= set(d["op_types"])
    assert raw["ops"]["MatchingFiles"] == ["function:__inference_call_7/ls"]
    assert raw["string_attrs"]["graph:read"] == ["/etc/passwd"]
    assert "file:///tmp/leak.txt" in raw["string_attrs"]["graph:print"]
    assert raw["string_attrs"]["function:__inference_call_7/ls"] == ["/home/*/.ssh"]
    # a 5000-string vocabulary feeds the table: bounded, whether parsed small or walked big
    vocab = raw["string_attrs"]["graph:table_init"]
    assert len(vocab) == graphdef.MAX_STRINGS and vocab[0] == "token00000"
    assert d["producer_version"] == 1205


def _big_frozen_graph(megabytes: int) -> bytes:
    g = gen.Graph(27)
    x = g.placeholder("input", gen.DT_FLOAT, (-1, 256))
    count = megabytes * 1024 * 1024 // 4
    value = protos.message_class("TensorProto")(
        dtype=gen.DT_FLOAT,
        tensor_shape=gen.shape_proto((256, count // 256)),
        tensor_content=b"\x01" * (count * 4),
    )
    g.node(
        "dense/kernel",
        "Const",
        dtype=gen.a_type(gen.DT_FLOAT),
        value=protos.message_class("AttrValue")(tensor=value),
    )
    g.matmul("dense/MatMul", x, "dense/kernel", (-1, count // 256))
    g.unary("output", "Softmax", "dense/MatMul", (-1, count // 256))
    return g.graph.SerializeToString()


def test_big_constants_are_walked_not_copied(tmp_path: Path) -> None:
    path = tmp_path / "frozen.pb"
    path.write_bytes(_big_frozen_graph(48))
    tracemalloc.start()
    try:
        reading = graphdef.read(Candidate(path, "frozen.pb", "graphdef"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    d = reading.details
    assert d["frozen"] is True and d["const_nodes"] == 1 and d["node_count"] == 4
    assert d["op_types"] == ["Const", "MatMul", "Placeholder", "Softmax"]
    assert d["likely_outputs"] == ["output"]
    assert peak < 8 * 1024 * 1024, peak


def test_big_node_keeps_its_inputs_and_string_values(walk_mode: str) -> None:
    strings = [f"/data/shard-{i:04d}.tfrecord" for i in range(3000)]  # > SMALL_NODE bytes
    g = gen.Graph(27)
    g.const("files", gen.DT_STRING, (len(strings),), strings)
    g.node("ds", "TFRecordDatasetV2", ["files", "^files"])
    data = g.graph.SerializeToString()
    facts = graphdef.scan_graph_bytes(data, 0, len(data))
    assert facts.string_attrs["graph:ds"][:2] == strings[:2]
    assert len(facts.string_attrs["graph:ds"]) == graphdef.MAX_STRINGS
    assert facts.consumed == {"files"}
    assert facts.likely_outputs() == ["ds"]


# --- broken graphs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.99])
def test_truncated_frozen_graph(tmp_path: Path, fraction: float) -> None:
    data = (realworld_entry("jonykai_frozen_graphdef") / "frozen_model.pb").read_bytes()
    (tmp_path / "frozen_model.pb").write_bytes(data[: int(len(data) * fraction)])
    a = one(tmp_path)
    assert a.format == "graph-def"
    (error,) = a.errors
    assert error.startswith("binary GraphDef is truncated or corrupt")
    assert "re-export" in error


def test_malformed_text_graph(tmp_path: Path) -> None:
    (tmp_path / "graph.pbtxt").write_text('node {\n  name: "x"\n  op: "Placeholder"\n  attr {')
    a = one(tmp_path)
    assert a.format == "graph-def"
    (error,) = a.errors
    assert error.startswith("text GraphDef does not parse")


def test_unrelated_pb_is_not_claimed(tmp_path: Path) -> None:
    fp = realworld_entry("serving_hp2_tf2_tf214") / "saved_model_half_plus_two_tf2_cpu/00000123"
    shutil.copy(fp / "fingerprint.pb", tmp_path / "fingerprint.pb")
    a = one(tmp_path)
    assert a.format == "unknown"
    (error,) = a.errors
    assert "matches no known format" in error


def test_oversized_text_graph_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphdef.reading, "MAX_TEXT_BYTES", 1024)
    (tmp_path / "graph.pbtxt").write_text('node {\n  name: "x"\n  op: "NoOp"\n}\n' * 100)
    a = one(tmp_path)
    assert a.format == "graph-def"
    (error,) = a.errors
    assert "larger than migrator parses as text" in error and "as_text=False" in error
